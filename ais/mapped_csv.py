"""Any other CSV, through a column mapping: `--columns mmsi=MMSI,ts=Time,lat=Lat,lon=Lon,...`.

The file reader renames the mapped columns to the field names below, so the rows on the raw
topic are self-describing (`{"format": "csv", "row": {"mmsi": ..., "ts": ...}}`) and the worker
needs no mapping of its own.

A mapping that names `sighting_id` (and not `mmsi`) reads satellite sightings instead of AIS:
`sighting_id`, `ts`, `lat` and `lon` required, `length_m` and `source` optional (a row without
a source gets null). Its rows carry `sighting_id` and no `mmsi`, which is how `decode_row`
tells them apart. Global Fishing Watch's SAR vessel detections (Sentinel-1; their columns as
in GFW's BigQuery tables and the CSVs exported from them) load with `--columns` set to

    sighting_id=detect_id,ts=detect_timestamp,lat=detect_lat,lon=detect_lon,length_m=length_m

and an export that names them `timestamp`, `lat` and `lon` with
`sighting_id=detect_id,ts=timestamp,lat=lat,lon=lon,length_m=length_m`. Their `ssvid` or `mmsi`
column (GFW's own AIS match) stays unmapped: mapping `mmsi` would make the rows AIS. BigQuery's
CSV times ("2022-01-01 05:30:12 UTC") are read as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ais import values
from ais.cells import cell, imo_text, int_or_none, number
from ais.errors import BadColumns, Rejected
from ais.normalized_json import position_and_static, rejection_from
from ais.records import AnyRecord, Sighting
from ais.timefmt import dmy_time, is_dmy

REQUIRED = ("mmsi", "ts", "lat", "lon")
POSITION_FIELDS = ("sog", "cog", "heading", "nav_status")
STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "beam", "draught")
FIELDS = (*REQUIRED, *POSITION_FIELDS, *STATIC_FIELDS, "destination", "eta")  # AIS rows
SIGHTING_REQUIRED = ("sighting_id", "ts", "lat", "lon")
SIGHTING_FIELDS = (*SIGHTING_REQUIRED, "length_m", "source")
_KNOWN = (*FIELDS, *(f for f in SIGHTING_FIELDS if f not in FIELDS))
_UTC_SUFFIX = " UTC"


def is_sighting_mapping(fields: Iterable[str]) -> bool:
    """Whether a mapping (or a renamed row) is of sightings: `sighting_id` and no `mmsi`."""
    names = set(fields)
    return "sighting_id" in names and "mmsi" not in names


def parse_columns(spec: str) -> dict[str, str]:
    """`field=column,...` to {field: column}; BadColumns names what is wrong."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in spec.split(","))):
        field, sep, column = (s.strip() for s in pair.partition("="))
        if not sep or not field or not column:
            raise BadColumns(f"{pair!r} is not field=column")
        if field not in _KNOWN:
            raise BadColumns(
                f"unknown field {field!r}; known: {', '.join(FIELDS)} "
                f"(for sightings: {', '.join(SIGHTING_FIELDS)})"
            )
        if field in mapping:
            raise BadColumns(f"field {field!r} is mapped twice")
        mapping[field] = column
    if "sighting_id" in mapping and "mmsi" in mapping:
        raise BadColumns("map mmsi for AIS rows or sighting_id for sightings, not both")
    sightings = is_sighting_mapping(mapping)
    allowed, required = (SIGHTING_FIELDS, SIGHTING_REQUIRED) if sightings else (FIELDS, REQUIRED)
    foreign = [f for f in mapping if f not in allowed]
    if foreign:
        what = "sightings" if sightings else "AIS rows (sightings map sighting_id, not mmsi)"
        raise BadColumns(f"{', '.join(foreign)}: not a field of {what}")
    missing = [f for f in required if f not in mapping]
    if missing:
        hint = " (or sighting_id..., for sightings)" if "mmsi" in missing else ""
        raise BadColumns(f"--columns must map {', '.join(missing)}{hint}")
    return mapping


def check_header(mapping: Mapping[str, str], header: Sequence[str]) -> None:
    """BadColumns when a mapped column is not in the file's header."""
    absent = [c for c in mapping.values() if c not in header]
    if absent:
        raise BadColumns(f"no column {', '.join(map(repr, absent))} in header {list(header)}")


def _time(text: str | None) -> datetime | str | None:
    # ISO 8601 and Unix seconds are left to pydantic; the Danish dd/mm/yyyy is common enough,
    # and so is BigQuery's "2022-01-01 05:30:12 UTC".
    if text and text.upper().endswith(_UTC_SUFFIX):
        text = text[: -len(_UTC_SUFFIX)].rstrip() + "Z"
    return dmy_time(text, "ts") if text and is_dmy(text) else text


def decode_sighting(row: Mapping[str, str]) -> list[AnyRecord]:
    """Decode one renamed sighting row; Rejected `missing_field` / `invalid_field` names it."""
    missing = [f for f in SIGHTING_REQUIRED if cell(row, f) is None]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    fields: dict[str, Any] = {
        "sighting_id": cell(row, "sighting_id"),
        "ts": _time(cell(row, "ts")),
        "lat": number(row, "lat"),
        "lon": number(row, "lon"),
        "length_m": number(row, "length_m"),
        "source": values.text(cell(row, "source")),
    }
    try:
        return [Sighting.model_validate(fields)]
    except ValidationError as exc:
        raise rejection_from(exc) from exc


def decode_row(row: Mapping[str, str]) -> list[AnyRecord]:
    """Decode one renamed row (keys are the field names) into a position and static data,
    or, for a row of `sighting_id` without `mmsi`, into a sighting."""
    if is_sighting_mapping(row):
        return decode_sighting(row)
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
    return [*position_and_static(common, position, lambda: static_fields)]
