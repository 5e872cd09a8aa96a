"""What the live page says about a vessel: its flag from the MMSI, its name and IMO from statics."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from pyais.constants import COUNTRY_MAPPING

KEEP = 50_000  # vessels remembered; the least recently updated go first
TEXT_FIELDS = ("name", "callsign", "destination")
MAX_TEXT = 120

# ITU Maritime Identification Digits -> (ISO 3166-1 alpha-2, country), from pyais's table (about
# 290 MIDs), built once here. Its data is used as given except where it is wrong or misleads:
# MIDs it assigns to the wrong territory or to a code that is not ISO 3166-1 ...
MID_FIXES: dict[int, tuple[str, str]] = {
    608: ("SH", "Ascension Island"),  # pyais: IO (British Indian Ocean Territory)
    618: ("TF", "Crozet Archipelago"),  # pyais: AQ Antarctica
    635: ("TF", "Kerguelen Islands"),  # pyais: AQ Antarctica
    740: ("FK", "Falkland Islands"),  # pyais: "UK", not an ISO 3166-1 code
}
# ... and names that are ambiguous (pyais calls South Korea "Korea") or out of date.
NAME_FIXES: dict[str, str] = {
    "KP": "North Korea",
    "KR": "South Korea",
    "MK": "North Macedonia",
    "SZ": "Eswatini",
    "CF": "Central African Republic",
    "GQ": "Equatorial Guinea",
}
_ALPHA2 = re.compile(r"[A-Z]{2}")


def _flags() -> dict[str, tuple[str | None, str]]:
    table: dict[str, tuple[str | None, str]] = {}
    for mid, (code, name) in {**COUNTRY_MAPPING, **MID_FIXES}.items():
        # A code that is not two capitals is dropped; the country still shows.
        iso = code if isinstance(code, str) and _ALPHA2.fullmatch(code) else None
        table[f"{int(mid):03d}"] = (iso, NAME_FIXES.get(iso or "", name))
    return table


FLAGS = _flags()  # MID (three digits) -> (alpha-2 or None, country); unknown MIDs show digits


def flag(mmsi: int) -> dict[str, str | None]:
    """The flag a ship station's MMSI declares: its MID, and the country when known."""
    mid = str(mmsi).zfill(9)[:3]
    code, country = FLAGS.get(mid, (None, None))
    return {"mid": mid, "code": code, "country": country}


def _text(value: Any) -> str | None:
    # Feeds are untrusted: keep strings only, bounded; the page escapes them on display.
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:MAX_TEXT]


def _imo(value: Any) -> int | None:
    return value if isinstance(value, int) and 1 <= value <= 9_999_999 else None


class VesselDirectory:
    """The last known static data per MMSI, merged field by field, bounded to `keep` vessels."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.vessels: OrderedDict[int, dict[str, Any]] = OrderedDict()

    def add_static(self, record: dict[str, Any]) -> None:
        """Merge one static record (a value of `<ns>.statics`); other values are ignored."""
        mmsi = record.get("mmsi")
        if record.get("kind") != "static" or not isinstance(mmsi, int):
            return
        known = self.vessels.pop(mmsi, {})
        fresh: dict[str, Any] = {field: _text(record.get(field)) for field in TEXT_FIELDS}
        fresh["imo"] = _imo(record.get("imo"))
        # A source that leaves a field out has not cleared it: keep the older value.
        known.update({k: v for k, v in fresh.items() if v is not None})
        self.vessels[mmsi] = known
        while len(self.vessels) > self.keep:
            self.vessels.popitem(last=False)

    def describe(self, mmsi: Any) -> dict[str, Any]:
        """MMSI, name, IMO, call sign, destination and flag, with None for what is unknown."""
        if not isinstance(mmsi, int):
            return {"mmsi": mmsi, "flag": None}
        known = self.vessels.get(mmsi, {})
        return {
            "mmsi": mmsi,
            "name": known.get("name"),
            "imo": known.get("imo"),
            "callsign": known.get("callsign"),
            "destination": known.get("destination"),
            "flag": flag(mmsi),
        }
