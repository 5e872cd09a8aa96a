"""NOAA MarineCadastre CSV rows: one row gives a position and the static fields it carries."""

from __future__ import annotations

from collections.abc import Mapping

from shipwatch.ais import values
from shipwatch.ais.cells import cell, imo_text, int_or_none, number, optional_number
from shipwatch.ais.errors import Rejected
from shipwatch.ais.normalized_json import position_and_static
from shipwatch.ais.records import Record
from shipwatch.ais.values import LAT_NA, LON_NA, Nulled

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


def decode_row(row: Mapping[str, str], nulled: Nulled | None = None) -> list[Record]:
    """Decode one MarineCadastre row into a position and, when present, static data; invalid
    optional fields become null, named in `nulled`."""
    missing = [c for c in REQUIRED if cell(row, c) is None]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    lat, lon = number(row, "LAT"), number(row, "LON")
    if lat == LAT_NA or lon == LON_NA:
        raise Rejected("no_position", "latitude or longitude not available")
    common = {"mmsi": cell(row, "MMSI"), "ts": cell(row, "BaseDateTime")}
    position = {
        "lat": lat,
        "lon": lon,
        "sog": values.sog(optional_number(row, "SOG", "sog", nulled), nulled),
        "cog": values.cog(optional_number(row, "COG", "cog", nulled), nulled),
        "heading": values.heading(optional_number(row, "Heading", "heading", nulled), nulled),
        "nav_status": int_or_none(optional_number(row, "Status", "nav_status", nulled)),
    }

    def static_fields() -> dict[str, object]:  # read after the position, as before
        def size(col: str, field: str, limit: float) -> float | None:
            return values.positive(optional_number(row, col, field, nulled), limit, field, nulled)

        return {
            "imo": imo_text(cell(row, "IMO"), nulled),
            "name": cell(row, "VesselName"),
            "callsign": cell(row, "CallSign"),
            "ship_type": int_or_none(optional_number(row, "VesselType", "ship_type", nulled)),
            "length": size("Length", "length", values.MAX_LENGTH_M),
            "beam": size("Width", "beam", values.MAX_BEAM_M),
            "draught": size("Draft", "draught", values.MAX_DRAUGHT_M),
        }

    return position_and_static(common, position, static_fields, nulled)
