"""Danish Maritime Authority (aisdk) CSV rows: a position and the static fields of the vessel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ais import values
from ais.cells import cell, imo_text, number
from ais.dma_labels import nav_status, ship_type
from ais.errors import Rejected
from ais.normalized_json import position_and_static
from ais.records import Record, iso
from ais.timefmt import dmy_time

COLUMNS = [
    "# Timestamp",
    "Type of mobile",
    "MMSI",
    "Latitude",
    "Longitude",
    "Navigational status",
    "ROT",
    "SOG",
    "COG",
    "Heading",
    "IMO",
    "Callsign",
    "Name",
    "Ship type",
    "Cargo type",
    "Width",
    "Length",
    "Type of position fixing device",
    "Draught",
    "Destination",
    "ETA",
    "Data source type",
    "A",
    "B",
    "C",
    "D",
]
# Stations that transmit AIS but are not vessels; the MMSI check catches the others.
NOT_VESSELS = {"base station", "aton", "sar airborne"}
UNKNOWN = ("Unknown", "Undefined", "Unknown value")


def _sum(row: Mapping[str, str], a: str, b: str) -> float | None:
    first, second = number(row, a), number(row, b)
    return None if first is None or second is None else first + second


def _eta(text: str | None) -> str | None:
    # A garbled ETA is not worth losing the position over: it becomes null.
    try:
        return None if text is None else iso(dmy_time(text, "ETA"))
    except Rejected:
        return None


def _static_fields(row: Mapping[str, str]) -> dict[str, Any]:
    length = number(row, "Length") or _sum(row, "A", "B")
    beam = number(row, "Width") or _sum(row, "C", "D")
    return {
        "imo": values.imo(imo_text(cell(row, "IMO"))),
        "name": values.text(cell(row, "Name"), *UNKNOWN),
        "callsign": values.text(cell(row, "Callsign"), *UNKNOWN),
        "ship_type": ship_type(cell(row, "Ship type")),
        "length": values.positive(length, values.MAX_LENGTH_M),
        "beam": values.positive(beam, values.MAX_BEAM_M),
        "draught": values.positive(number(row, "Draught"), values.MAX_DRAUGHT_M),
        "destination": values.text(cell(row, "Destination"), *UNKNOWN),
        "eta": _eta(cell(row, "ETA")),
    }


def decode_row(row: Mapping[str, str]) -> list[Record]:
    """Decode one aisdk row into a position and, when the row has any, static data."""
    mobile = (cell(row, "Type of mobile") or "").casefold()
    if mobile in NOT_VESSELS:
        raise Rejected("not_a_vessel", f"type of mobile {cell(row, 'Type of mobile')!r}")
    stamp = cell(row, "# Timestamp") or cell(row, "Timestamp")
    mmsi = cell(row, "MMSI")
    if stamp is None or mmsi is None:
        raise Rejected("missing_field", "MMSI" if stamp else "# Timestamp")
    lat, lon = values.coordinates(number(row, "Latitude"), number(row, "Longitude"))
    common = {"mmsi": mmsi, "ts": dmy_time(stamp, "# Timestamp")}
    position = {
        "lat": lat,
        "lon": lon,
        "sog": values.sog(number(row, "SOG")),
        "cog": values.cog(number(row, "COG")),
        "heading": values.heading(number(row, "Heading")),
        "nav_status": nav_status(cell(row, "Navigational status")),
    }
    return position_and_static(common, position, lambda: _static_fields(row))
