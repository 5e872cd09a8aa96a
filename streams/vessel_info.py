"""What the live page says about a vessel: its flag from the MMSI, its name and IMO from statics."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

KEEP = 50_000  # vessels remembered; the least recently updated go first
TEXT_FIELDS = ("name", "callsign", "destination")
MAX_TEXT = 120

# ITU Maritime Identification Digits of the flags most seen in the watched seas and the large
# open registries: MID -> (ISO 3166-1 alpha-2, name). An unknown MID shows as its digits.
FLAGS: dict[str, tuple[str, str]] = {
    "201": ("AL", "Albania"),
    "205": ("BE", "Belgium"),
    "209": ("CY", "Cyprus"),
    "210": ("CY", "Cyprus"),
    "211": ("DE", "Germany"),
    "212": ("CY", "Cyprus"),
    "215": ("MT", "Malta"),
    "218": ("DE", "Germany"),
    "219": ("DK", "Denmark"),
    "220": ("DK", "Denmark"),
    "224": ("ES", "Spain"),
    "225": ("ES", "Spain"),
    "226": ("FR", "France"),
    "227": ("FR", "France"),
    "228": ("FR", "France"),
    "229": ("MT", "Malta"),
    "230": ("FI", "Finland"),
    "232": ("GB", "United Kingdom"),
    "233": ("GB", "United Kingdom"),
    "234": ("GB", "United Kingdom"),
    "235": ("GB", "United Kingdom"),
    "237": ("GR", "Greece"),
    "239": ("GR", "Greece"),
    "240": ("GR", "Greece"),
    "241": ("GR", "Greece"),
    "244": ("NL", "Netherlands"),
    "245": ("NL", "Netherlands"),
    "246": ("NL", "Netherlands"),
    "247": ("IT", "Italy"),
    "248": ("MT", "Malta"),
    "249": ("MT", "Malta"),
    "256": ("MT", "Malta"),
    "257": ("NO", "Norway"),
    "258": ("NO", "Norway"),
    "259": ("NO", "Norway"),
    "261": ("PL", "Poland"),
    "265": ("SE", "Sweden"),
    "266": ("SE", "Sweden"),
    "271": ("TR", "Türkiye"),
    "272": ("UA", "Ukraine"),
    "273": ("RU", "Russia"),
    "308": ("BS", "Bahamas"),
    "309": ("BS", "Bahamas"),
    "311": ("BS", "Bahamas"),
    "312": ("BZ", "Belize"),
    "316": ("CA", "Canada"),
    "338": ("US", "United States"),
    "341": ("KN", "Saint Kitts and Nevis"),
    "351": ("PA", "Panama"),
    "352": ("PA", "Panama"),
    "353": ("PA", "Panama"),
    "354": ("PA", "Panama"),
    "355": ("PA", "Panama"),
    "356": ("PA", "Panama"),
    "357": ("PA", "Panama"),
    "366": ("US", "United States"),
    "367": ("US", "United States"),
    "368": ("US", "United States"),
    "369": ("US", "United States"),
    "370": ("PA", "Panama"),
    "371": ("PA", "Panama"),
    "372": ("PA", "Panama"),
    "373": ("PA", "Panama"),
    "374": ("PA", "Panama"),
    "375": ("VC", "Saint Vincent and the Grenadines"),
    "376": ("VC", "Saint Vincent and the Grenadines"),
    "377": ("VC", "Saint Vincent and the Grenadines"),
    "403": ("SA", "Saudi Arabia"),
    "412": ("CN", "China"),
    "413": ("CN", "China"),
    "414": ("CN", "China"),
    "416": ("TW", "Taiwan"),
    "419": ("IN", "India"),
    "422": ("IR", "Iran"),
    "431": ("JP", "Japan"),
    "432": ("JP", "Japan"),
    "440": ("KR", "South Korea"),
    "441": ("KR", "South Korea"),
    "445": ("KP", "North Korea"),
    "457": ("MN", "Mongolia"),
    "470": ("AE", "United Arab Emirates"),
    "471": ("AE", "United Arab Emirates"),
    "477": ("HK", "Hong Kong"),
    "511": ("PW", "Palau"),
    "503": ("AU", "Australia"),
    "512": ("NZ", "New Zealand"),
    "514": ("KH", "Cambodia"),
    "515": ("KH", "Cambodia"),
    "518": ("CK", "Cook Islands"),
    "525": ("ID", "Indonesia"),
    "533": ("MY", "Malaysia"),
    "538": ("MH", "Marshall Islands"),
    "548": ("PH", "Philippines"),
    "563": ("SG", "Singapore"),
    "564": ("SG", "Singapore"),
    "565": ("SG", "Singapore"),
    "566": ("SG", "Singapore"),
    "567": ("TH", "Thailand"),
    "570": ("TO", "Tonga"),
    "572": ("TV", "Tuvalu"),
    "574": ("VN", "Vietnam"),
    "576": ("VU", "Vanuatu"),
    "577": ("VU", "Vanuatu"),
    "613": ("CM", "Cameroon"),
    "620": ("KM", "Comoros"),
    "622": ("EG", "Egypt"),
    "626": ("GA", "Gabon"),
    "636": ("LR", "Liberia"),
    "637": ("LR", "Liberia"),
    "667": ("SL", "Sierra Leone"),
    "671": ("TG", "Togo"),
    "677": ("TZ", "Tanzania"),
}


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
