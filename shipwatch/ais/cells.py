"""Reading typed values out of a CSV row (column name to text), with clear rejections."""

from __future__ import annotations

import math
from collections.abc import Mapping

from shipwatch.ais.errors import Rejected
from shipwatch.ais.values import Nulled, dropped

# What feeds write in an IMO column for "none": not available, not garbage.
_NO_IMO = frozenset({"unknown", "undefined", "unknown value", "n/a", "na", "none"})


def cell(row: Mapping[str, str], col: str) -> str | None:
    """The stripped text of a cell, None when absent or empty."""
    text = (row.get(col) or "").strip()
    return text or None


def _float(text: str) -> float:
    # Python's float() also reads "4_2.7" as 42.7: a CSV cell with an underscore is no number.
    if "_" in text:
        raise ValueError(text)
    return float(text)


def number(row: Mapping[str, str], col: str) -> float | None:
    """A finite number, None when empty; Rejected `invalid_field` otherwise."""
    text = cell(row, col)
    if text is None:
        return None
    try:
        value = _float(text)
    except ValueError as exc:
        raise Rejected("invalid_field", f"{col}: not a number: {text[:40]!r}") from exc
    if not math.isfinite(value):
        raise Rejected("invalid_field", f"{col}: not a finite number: {text[:40]!r}")
    return value


def optional_number(
    row: Mapping[str, str], col: str, field: str, nulled: Nulled | None
) -> float | None:
    """A finite number, None when empty; anything else (text, NaN, infinity) is an invalid
    value of an optional field: None, with `field` named in `nulled`."""
    text = cell(row, col)
    if text is None:
        return None
    try:
        value = _float(text)
    except ValueError:
        value = math.nan
    if math.isfinite(value):
        return value
    dropped(field, nulled)
    return None


def int_or_none(value: float | None, na: float | None = None) -> int | None:
    """An integer, None when missing or equal to the "not available" value `na`."""
    if value is None or (na is not None and value == na):
        return None
    return int(value)


def imo_text(text: str | None, nulled: Nulled | None = None) -> int | None:
    """An IMO number from text such as "IMO9123458" or "9123458"; None for 0 or "Unknown",
    and for other text (counted as an invalid `imo`)."""
    if text is None:
        return None
    digits = text.upper().removeprefix("IMO").strip()
    # isdigit() alone accepts "²" and other digits int() refuses; an IMO number has 7 digits
    # (a few leading zeros allowed), and int() refuses thousands.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        if text.strip().casefold() not in _NO_IMO:
            dropped("imo", nulled)
        return None
    return int(digits) or None
