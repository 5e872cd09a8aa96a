"""NOAA MarineCadastre CSV rows: one row gives a position and the static fields it carries."""

from __future__ import annotations

from collections.abc import Mapping

from ais.cells import cell, imo_text, int_or_none, number
from ais.errors import Rejected
from ais.normalized_json import position_and_static
from ais.records import Record
from ais.values import COG_NA, HEADING_NA, LAT_NA, LON_NA, SOG_NA

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


def decode_row(row: Mapping[str, str]) -> list[Record]:
    """Decode one MarineCadastre row into a position and, when present, static data."""
    missing = [c for c in REQUIRED if cell(row, c) is None]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    lat, lon = number(row, "LAT"), number(row, "LON")
    if lat == LAT_NA or lon == LON_NA:
        raise Rejected("no_position", "latitude or longitude not available")
    sog, cog = number(row, "SOG"), number(row, "COG")
    heading = number(row, "Heading")
    draught = number(row, "Draft")
    length, beam = number(row, "Length"), number(row, "Width")
    common = {"mmsi": cell(row, "MMSI"), "ts": cell(row, "BaseDateTime")}
    position = {
        "lat": lat,
        "lon": lon,
        "sog": None if sog == SOG_NA else sog,
        "cog": None if cog is None or cog >= COG_NA else cog,
        "heading": int_or_none(heading, HEADING_NA),
        "nav_status": int_or_none(number(row, "Status")),
    }

    def static_fields() -> dict[str, object]:  # read after the position, as before
        return {
            "imo": imo_text(cell(row, "IMO")),
            "name": cell(row, "VesselName"),
            "callsign": cell(row, "CallSign"),
            "ship_type": int_or_none(number(row, "VesselType")),
            "length": length or None,
            "beam": beam or None,
            "draught": draught or None,
        }

    return position_and_static(common, position, static_fields)
