"""The Danish Maritime Authority's words for navigational status and ship type, as AIS codes."""

from __future__ import annotations

import re

# ITU-R M.1371 navigational status codes.
NAV_STATUS = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted maneuverability": 3,
    "restricted manoeuverability": 3,
    "restricted manoeuvrability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment hsc": 9,
    "reserved for future amendment wig": 10,
    "power driven vessel towing astern": 11,
    "power driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13,
    "ais sart": 14,
    "ais sart active": 14,
    # 15 is the code AIS itself sends for "not defined", as NMEA and NOAA sources give it.
    "unknown value": 15,
    "unknown": 15,
    "undefined": 15,
}

# AIS ship type: the first code of each range the DMA names (ITU-R M.1371 table 53).
SHIP_TYPE = {
    "wig": 20,
    "fishing": 30,
    "towing": 31,
    "towing long wide": 32,
    "dredging": 33,
    "diving": 34,
    "military": 35,
    "sailing": 36,
    "pleasure": 37,
    "hsc": 40,
    "pilot": 50,
    "sar": 51,
    "tug": 52,
    "port tender": 53,
    "anti pollution": 54,
    "law enforcement": 55,
    "spare 1": 56,
    "spare 2": 57,
    "medical": 58,
    "not party to conflict": 59,
    "passenger": 60,
    "cargo": 70,
    "tanker": 80,
    "other": 90,
}

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def nav_status(text: str | None) -> int | None:
    """The status code for the DMA's text; None when absent or a text we do not know."""
    return None if text is None else NAV_STATUS.get(_key(text))


def ship_type(text: str | None) -> int | None:
    """The ship type code for the DMA's text; None for "Undefined", "Reserved" and the unknown."""
    return None if text is None else SHIP_TYPE.get(_key(text))
