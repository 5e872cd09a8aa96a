"""Danish Maritime Authority (aisdk) CSV rows: a position and the static fields of the vessel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipwatch.ais import values
from shipwatch.ais.cells import cell, imo_text, number, optional_number
from shipwatch.ais.dma_labels import nav_status, ship_type
from shipwatch.ais.errors import Rejected
from shipwatch.ais.normalized_json import position_and_static
from shipwatch.ais.records import Record, iso
from shipwatch.ais.timefmt import dmy_time
from shipwatch.ais.values import Nulled, dropped

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
NO_SHIP_TYPE = (*UNKNOWN, "Reserved")  # the DMA's words for a type it cannot name


def _size(
    row: Mapping[str, str], cols: tuple[str, str, str], field: str, limit: float, nulled: Nulled
) -> float | None:
    # An absent or zero length (beam) is the sum of the antenna's distances A and B (C and D).
    column, a, b = cols
    bad: Nulled = []
    value = optional_number(row, column, field, bad)
    if not value:
        first, second = optional_number(row, a, field, bad), optional_number(row, b, field, bad)
        value = None if first is None or second is None else first + second
    value = values.positive(value, limit, field, bad)
    if value is None and bad:  # counted once, and only when nothing usable was left
        dropped(field, nulled)
    return value


def _eta(text: str | None, nulled: Nulled) -> str | None:
    # A garbled ETA is not worth losing the position over: it becomes null, and is counted.
    try:
        return None if text is None else iso(dmy_time(text, "ETA"))
    except Rejected:
        dropped("eta", nulled)
        return None


def _label(
    code: int | None, text: str | None, field: str, unknown: tuple[str, ...], nulled: Nulled
) -> int | None:
    """A code read from its text; a text that is neither known nor a word for "unknown" is an
    invalid value, counted."""
    if code is None and values.text(text, *unknown) is not None:
        dropped(field, nulled)
    return code


def _static_fields(row: Mapping[str, str], nulled: Nulled) -> dict[str, Any]:
    draught = optional_number(row, "Draught", "draught", nulled)
    kind = cell(row, "Ship type")
    return {
        "imo": values.imo(imo_text(cell(row, "IMO"), nulled), nulled),
        "name": values.text(cell(row, "Name"), *UNKNOWN),
        "callsign": values.text(cell(row, "Callsign"), *UNKNOWN),
        "ship_type": _label(ship_type(kind), kind, "ship_type", NO_SHIP_TYPE, nulled),
        "length": _size(row, ("Length", "A", "B"), "length", values.MAX_LENGTH_M, nulled),
        "beam": _size(row, ("Width", "C", "D"), "beam", values.MAX_BEAM_M, nulled),
        "draught": values.positive(draught, values.MAX_DRAUGHT_M, "draught", nulled),
        "destination": values.text(cell(row, "Destination"), *UNKNOWN),
        "eta": _eta(cell(row, "ETA"), nulled),
    }


def decode_row(row: Mapping[str, str], nulled: Nulled | None = None) -> list[Record]:
    """Decode one aisdk row into a position and, when the row has any, static data; invalid
    optional fields become null, named in `nulled`."""
    if nulled is None:
        nulled = []
    mobile = (cell(row, "Type of mobile") or "").casefold()
    if mobile in NOT_VESSELS:
        raise Rejected("not_a_vessel", f"type of mobile {cell(row, 'Type of mobile')!r}")
    stamp = cell(row, "# Timestamp") or cell(row, "Timestamp")
    mmsi = cell(row, "MMSI")
    if stamp is None or mmsi is None:
        raise Rejected("missing_field", "MMSI" if stamp else "# Timestamp")
    lat, lon = values.coordinates(number(row, "Latitude"), number(row, "Longitude"))
    common = {"mmsi": mmsi, "ts": dmy_time(stamp, "# Timestamp")}
    status = cell(row, "Navigational status")
    position = {
        "lat": lat,
        "lon": lon,
        "sog": values.sog(optional_number(row, "SOG", "sog", nulled), nulled),
        "cog": values.cog(optional_number(row, "COG", "cog", nulled), nulled),
        "heading": values.heading(optional_number(row, "Heading", "heading", nulled), nulled),
        "nav_status": _label(nav_status(status), status, "nav_status", UNKNOWN, nulled),
    }
    return position_and_static(common, position, lambda: _static_fields(row, nulled), nulled)
