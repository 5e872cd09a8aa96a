"""Any other CSV, through a column mapping: `--columns mmsi=MMSI,ts=Time,lat=Lat,lon=Lon,...`.

The file reader renames the mapped columns to the field names below, so the rows on the raw
topic are self-describing (`{"format": "csv", "row": {"mmsi": ..., "ts": ...}}`) and the worker
needs no mapping of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ais import values
from ais.cells import cell, imo_text, int_or_none, number
from ais.errors import BadColumns, Rejected
from ais.normalized_json import position_and_static
from ais.records import Record
from ais.timefmt import dmy_time, is_dmy

REQUIRED = ("mmsi", "ts", "lat", "lon")
POSITION_FIELDS = ("sog", "cog", "heading", "nav_status")
STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "beam", "draught")
FIELDS = (*REQUIRED, *POSITION_FIELDS, *STATIC_FIELDS, "destination", "eta")


def parse_columns(spec: str) -> dict[str, str]:
    """`field=column,...` to {field: column}; BadColumns names what is wrong."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in spec.split(","))):
        field, sep, column = (s.strip() for s in pair.partition("="))
        if not sep or not field or not column:
            raise BadColumns(f"{pair!r} is not field=column")
        if field not in FIELDS:
            raise BadColumns(f"unknown field {field!r}; known: {', '.join(FIELDS)}")
        if field in mapping:
            raise BadColumns(f"field {field!r} is mapped twice")
        mapping[field] = column
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise BadColumns(f"--columns must map {', '.join(missing)}")
    return mapping


def check_header(mapping: Mapping[str, str], header: Sequence[str]) -> None:
    """BadColumns when a mapped column is not in the file's header."""
    absent = [c for c in mapping.values() if c not in header]
    if absent:
        raise BadColumns(f"no column {', '.join(map(repr, absent))} in header {list(header)}")


def _time(text: str | None) -> datetime | str | None:
    # ISO 8601 and Unix seconds are left to pydantic; the Danish dd/mm/yyyy is common enough.
    return dmy_time(text, "ts") if text and is_dmy(text) else text


def decode_row(row: Mapping[str, str]) -> list[Record]:
    """Decode one renamed row (keys are the field names) into a position and static data."""
    missing = [f for f in ("mmsi", "ts") if cell(row, f) is None]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    lat, lon = values.coordinates(number(row, "lat"), number(row, "lon"))
    common: dict[str, Any] = {"mmsi": cell(row, "mmsi"), "ts": _time(cell(row, "ts"))}
    static_fields = {
        "name": values.text(cell(row, "name")),
        "imo": values.imo(imo_text(cell(row, "imo"))),
        "callsign": values.text(cell(row, "callsign")),
        "ship_type": int_or_none(number(row, "ship_type")),
        "length": values.positive(number(row, "length"), values.MAX_LENGTH_M),
        "beam": values.positive(number(row, "beam"), values.MAX_BEAM_M),
        "draught": values.positive(number(row, "draught"), values.MAX_DRAUGHT_M),
        "destination": values.text(cell(row, "destination")),
        "eta": values.text(cell(row, "eta")),
    }
    position = {
        "lat": lat,
        "lon": lon,
        "sog": values.sog(number(row, "sog")),
        "cog": values.cog(number(row, "cog")),
        "heading": values.heading(number(row, "heading")),
        "nav_status": int_or_none(number(row, "nav_status")),
    }
    return position_and_static(common, position, lambda: static_fields)
