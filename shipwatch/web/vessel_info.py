"""What the live page says about a vessel: its flag from the MMSI, name and IMO from statics."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from shipwatch.ais.flags import flag

KEEP = 50_000  # vessels remembered; the least recently updated go first
TEXT_FIELDS = ("name", "callsign", "destination")
MAX_TEXT = 120


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
