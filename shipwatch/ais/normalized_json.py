"""Decoding of JSON records already in the contract's normalized form (positions, statics,
satellite sightings and scenes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from shipwatch.ais.errors import Rejected
from shipwatch.ais.records import (
    OPTIONAL_FIELDS,
    AnyRecord,
    Position,
    Record,
    Scene,
    Sighting,
    Static,
)
from shipwatch.ais.values import Nulled

M = TypeVar("M", Position, Static, Sighting, Scene)


def rejection_from(exc: ValidationError) -> Rejected:
    """Turn a pydantic error into a rejection naming the first bad field."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "record"
    reason = "missing_field" if first["type"] == "missing" else "invalid_field"
    return Rejected(reason, f"{field}: {first['msg']}")


def validated(model: type[M], fields: dict[str, Any], nulled: Nulled | None = None) -> M:
    """The record of `fields`; an invalid optional field becomes null and is named in `nulled`,
    an invalid required one (MMSI, time, coordinates, ...) rejects the record.

    Valid fields cost one validation; only a failed one looks at the errors and validates again.
    """
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        optional = OPTIONAL_FIELDS[model]
        bad = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]} & optional)
        if not bad:
            raise rejection_from(exc) from exc
        try:
            record = model.model_validate({**fields, **dict.fromkeys(bad)})
        except ValidationError as again:  # a required field is bad too: that is the reason
            raise rejection_from(again) from again
    if nulled is not None:
        nulled.extend(bad)
    return record


# JSON's true and false are no numbers, though pydantic reads them as 1 and 0 (a position at
# latitude true was 1.0). Given to a number field as the words they are, they fail as any word
# does: a required field rejects the record, an optional one is nulled and counted. (Done here,
# for JSON alone: a validator on the models cost every record 2.4 µs.)
NUMBER_FIELDS = frozenset(
    {"mmsi", "lat", "lon", "sog", "cog", "heading", "nav_status", "imo", "ship_type", "length",
     "beam", "draught", "length_m", "min_length_m"}
)  # fmt: skip


def _no_booleans(obj: dict[str, Any]) -> dict[str, Any]:
    if not any(type(v) is bool for v in obj.values()):
        return obj
    return {
        k: ("true" if v else "false") if type(v) is bool and k in NUMBER_FIELDS else v
        for k, v in obj.items()
    }


def decode_record(obj: dict[str, Any], nulled: Nulled | None = None) -> AnyRecord:
    """Validate one normalized record (`kind` position, static, sighting or scene); invalid
    optional fields become null, named in `nulled` (a scene has none: a bad one is rejected)."""
    obj = _no_booleans(obj)
    kind = obj.get("kind")
    if kind == "position":
        return validated(Position, obj, nulled)
    if kind == "static":
        return validated(Static, obj, nulled)
    if kind == "sighting":
        return validated(Sighting, obj, nulled)
    if kind == "scene":
        return validated(Scene, obj, nulled)
    raise Rejected(
        "unsupported_kind",
        f"kind must be 'position', 'static', 'sighting' or 'scene', got {kind!r}",
    )


def position_and_static(
    common: dict[str, Any],
    position_fields: dict[str, Any],
    static_fields: Callable[[], dict[str, Any]],
    nulled: Nulled | None = None,
) -> list[Record]:
    """A row's position, and its static data when it has any (fields read after the position,
    so a bad position is the rejection reported); invalid optional fields become null, named
    in `nulled`, other pydantic errors become rejections."""
    position = validated(Position, {**common, **position_fields}, nulled)
    fields = static_fields()
    if all(v is None for v in fields.values()):
        return [position]
    static = validated(Static, {**common, **fields}, nulled)
    return [position, static] if has_data(static) else [position]


def has_data(static: Static) -> bool:
    """Whether a static record says anything (its fields may all have been invalid)."""
    return any(getattr(static, f) is not None for f in OPTIONAL_FIELDS[Static])
