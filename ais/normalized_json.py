"""Decoding of JSON records already in the contract's normalized form (positions, statics and
satellite sightings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ais.errors import Rejected
from ais.records import AnyRecord, Position, Record, Sighting, Static


def rejection_from(exc: ValidationError) -> Rejected:
    """Turn a pydantic error into a rejection naming the first bad field."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "record"
    reason = "missing_field" if first["type"] == "missing" else "invalid_field"
    return Rejected(reason, f"{field}: {first['msg']}")


def decode_record(obj: dict[str, Any]) -> AnyRecord:
    """Validate one normalized record (`kind` position, static or sighting)."""
    kind = obj.get("kind")
    try:
        if kind == "position":
            return Position.model_validate(obj)
        if kind == "static":
            return Static.model_validate(obj)
        if kind == "sighting":
            return Sighting.model_validate(obj)
    except ValidationError as exc:
        raise rejection_from(exc) from exc
    raise Rejected(
        "unsupported_kind",
        f"kind must be 'position', 'static' or 'sighting', got {kind!r}",
    )


def position_and_static(
    common: dict[str, Any],
    position_fields: dict[str, Any],
    static_fields: Callable[[], dict[str, Any]],
) -> list[Record]:
    """A row's position, and its static data when it has any (fields read after the position,
    so a bad position is the rejection reported); pydantic errors become rejections."""
    try:
        position = Position.model_validate({**common, **position_fields})
        fields = static_fields()
        if all(v is None for v in fields.values()):
            return [position]
        return [position, Static.model_validate({**common, **fields})]
    except ValidationError as exc:
        raise rejection_from(exc) from exc
