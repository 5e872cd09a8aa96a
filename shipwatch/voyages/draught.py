"""Draught history of one vessel and what it says about a port call: loaded or discharged."""

from __future__ import annotations

from typing import Any

from shipwatch.cargo import CHANGE_MIN_M

MAX_READINGS = 16  # draught reports kept per vessel; a voyage needs only the last few


def record(readings: list[list[Any]], at: str, draught: float) -> list[list[Any]]:
    """Add a reading (ISO time, metres), kept in time order and bounded."""
    kept = [r for r in readings if r[0] != at]
    return sorted([*kept, [at, draught]])[-MAX_READINGS:]


def at_or_before(readings: list[list[Any]], at: str) -> float | None:
    """The draught reported last at or before a time; ISO UTC strings sort as times."""
    value = None
    for when, draught in readings:
        if when > at:
            break
        value = draught
    return float(value) if value is not None else None


def first_after(readings: list[list[Any]], at: str) -> float | None:
    """The first draught reported after a time (the crew often updates it on leaving)."""
    return next((float(d) for when, d in readings if when > at), None)


def change_across(readings: list[list[Any]], start: str, end: str) -> dict[str, Any]:
    """Draught before `start`, after `end`, and what the difference means."""
    before = at_or_before(readings, start)
    if before is None:
        before = first_after(readings, start)
    after = at_or_before(readings, end)
    change = None if before is None or after is None else round(after - before, 2)
    return {
        "draught_before": before,
        "draught_after": after,
        "draught_change": change,
        "loaded": change is not None and change >= CHANGE_MIN_M,
        "discharged": change is not None and change <= -CHANGE_MIN_M,
    }
