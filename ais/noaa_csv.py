"""NOAA MarineCadastre CSV rows: one row gives a position and the static fields it carries."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from ais.errors import Rejected
from ais.normalized_json import rejection_from
from ais.records import Position, Record, Static

COLUMNS = [
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
]
REQUIRED = ("MMSI", "BaseDateTime", "LAT", "LON")

# AIS "not available" sentinels, as transmitted (ITU-R M.1371).
LAT_NA = 91.0
LON_NA = 181.0
SOG_NA = 102.3
COG_NA = 360.0
HEADING_NA = 511


def _num(row: Mapping[str, str], col: str) -> float | None:
    text = (row.get(col) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise Rejected("invalid_field", f"{col}: not a number: {text[:40]!r}") from exc


def _text(row: Mapping[str, str], col: str) -> str | None:
    text = (row.get(col) or "").strip()
    return text or None


def _int_or_none(value: float | None, na: float | None = None) -> int | None:
    if value is None or (na is not None and value == na):
        return None
    return int(value)


def _imo(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.upper().removeprefix("IMO").strip()
    if not digits.isdigit() or int(digits) == 0:
        return None
    return int(digits)


def decode_row(row: Mapping[str, str]) -> list[Record]:
    """Decode one MarineCadastre row into a position and, when present, static data."""
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    lat, lon = _num(row, "LAT"), _num(row, "LON")
    if lat == LAT_NA or lon == LON_NA:
        raise Rejected("no_position", "latitude or longitude not available")
    sog, cog = _num(row, "SOG"), _num(row, "COG")
    heading = _num(row, "Heading")
    draught = _num(row, "Draft")
    length, beam = _num(row, "Length"), _num(row, "Width")
    common = {"mmsi": _text(row, "MMSI"), "ts": _text(row, "BaseDateTime")}
    try:
        position = Position.model_validate(
            {
                **common,
                "lat": lat,
                "lon": lon,
                "sog": None if sog == SOG_NA else sog,
                "cog": None if cog is None or cog >= COG_NA else cog,
                "heading": _int_or_none(heading, HEADING_NA),
                "nav_status": _int_or_none(_num(row, "Status")),
            }
        )
        static_fields = {
            "imo": _imo(_text(row, "IMO")),
            "name": _text(row, "VesselName"),
            "callsign": _text(row, "CallSign"),
            "ship_type": _int_or_none(_num(row, "VesselType")),
            "length": length or None,
            "beam": beam or None,
            "draught": draught or None,
        }
        if not any(v is not None for v in static_fields.values()):
            return [position]
        return [position, Static.model_validate({**common, **static_fields})]
    except ValidationError as exc:
        raise rejection_from(exc) from exc
