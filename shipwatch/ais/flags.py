"""The flag an MMSI declares: ITU Maritime Identification Digits to country."""

from __future__ import annotations

import re

from pyais.constants import COUNTRY_MAPPING

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
