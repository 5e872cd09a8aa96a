"""Any other CSV, through a column mapping: `--columns mmsi=MMSI,ts=Time,lat=Lat,lon=Lon,...`.

The file reader renames the mapped columns to the field names below, so the rows on the raw
topic are self-describing (`{"format": "csv", "row": {"mmsi": ..., "ts": ...}}`) and the worker
needs no mapping of its own.

A mapping that names `sighting_id` (and not `mmsi`) reads satellite sightings instead of AIS:
`sighting_id`, `ts`, `lat` and `lon` required, `length_m`, `source` and `scene_id` optional (a
row without a source gets null). Its rows carry `sighting_id` and no `mmsi`, which is how
`decode_row` tells them apart. Global Fishing Watch's SAR vessel detections (Sentinel-1; their
columns as in GFW's BigQuery tables and the CSVs exported from them) load with `--columns` set to

    sighting_id=detect_id,ts=detect_timestamp,lat=detect_lat,lon=detect_lon,length_m=length_m

(add `scene_id=scene_id` to pair each detection with its scene's footprint, given as a `scene`
record in normalized JSON), and an export that names them `timestamp`, `lat` and `lon` with
`sighting_id=detect_id,ts=timestamp,lat=lat,lon=lon,length_m=length_m`. Their `ssvid` or `mmsi`
column (GFW's own AIS match) stays unmapped: mapping `mmsi` would make the rows AIS. BigQuery's
CSV times ("2022-01-01 05:30:12 UTC") are read as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shipwatch.ais import values
from shipwatch.ais.cells import cell, imo_text, int_or_none, number, optional_number
from shipwatch.ais.errors import BadColumns, Rejected
from shipwatch.ais.normalized_json import position_and_static, validated
from shipwatch.ais.records import AnyRecord, Sighting
from shipwatch.ais.timefmt import dmy_time, is_dmy
from shipwatch.ais.values import Nulled

REQUIRED = ("mmsi", "ts", "lat", "lon")
POSITION_FIELDS = ("sog", "cog", "heading", "nav_status")
STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "beam", "draught")
FIELDS = (*REQUIRED, *POSITION_FIELDS, *STATIC_FIELDS, "destination", "eta")  # AIS rows
SIGHTING_REQUIRED = ("sighting_id", "ts", "lat", "lon")
SIGHTING_FIELDS = (*SIGHTING_REQUIRED, "length_m", "source", "scene_id")
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


def decode_sighting(row: Mapping[str, str], nulled: Nulled | None = None) -> list[AnyRecord]:
    """Decode one renamed sighting row; Rejected `missing_field` / `invalid_field` names a bad
    required field; a bad `length_m`, `source` or `scene_id` becomes null, named in `nulled`."""
    missing = [f for f in SIGHTING_REQUIRED if cell(row, f) is None]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    fields: dict[str, Any] = {
        "sighting_id": cell(row, "sighting_id"),
        "ts": _time(cell(row, "ts")),
        "lat": number(row, "lat"),
        "lon": number(row, "lon"),
        "length_m": optional_number(row, "length_m", "length_m", nulled),
        "source": values.text(cell(row, "source")),
        "scene_id": cell(row, "scene_id"),  # None: not written (`Sighting`)
    }
    return [validated(Sighting, fields, nulled)]


def decode_row(row: Mapping[str, str], nulled: Nulled | None = None) -> list[AnyRecord]:
    """Decode one renamed row (keys are the field names) into a position and static data,
    or, for a row of `sighting_id` without `mmsi`, into a sighting; invalid optional fields
    become null, named in `nulled`."""
    if is_sighting_mapping(row):
        return decode_sighting(row, nulled)
    missing = [f for f in ("mmsi", "ts") if cell(row, f) is None]
    if missing:
        raise Rejected("missing_field", ", ".join(missing))
    lat, lon = values.coordinates(number(row, "lat"), number(row, "lon"))
    common: dict[str, Any] = {"mmsi": cell(row, "mmsi"), "ts": _time(cell(row, "ts"))}

    def num(field: str) -> float | None:
        return optional_number(row, field, field, nulled)

    def size(field: str, limit: float) -> float | None:
        return values.positive(num(field), limit, field, nulled)

    position = {
        "lat": lat,
        "lon": lon,
        "sog": values.sog(num("sog"), nulled),
        "cog": values.cog(num("cog"), nulled),
        "heading": values.heading(num("heading"), nulled),
        "nav_status": int_or_none(num("nav_status")),
    }

    def static_fields() -> dict[str, Any]:  # read after the position
        return {
            "name": values.text(cell(row, "name")),
            "imo": values.imo(imo_text(cell(row, "imo"), nulled), nulled),
            "callsign": values.text(cell(row, "callsign")),
            "ship_type": int_or_none(num("ship_type")),
            "length": size("length", values.MAX_LENGTH_M),
            "beam": size("beam", values.MAX_BEAM_M),
            "draught": size("draught", values.MAX_DRAUGHT_M),
            "destination": values.text(cell(row, "destination")),
            "eta": values.text(cell(row, "eta")),
        }

    return [*position_and_static(common, position, static_fields, nulled)]
