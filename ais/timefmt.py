"""Event-time conversions shared by the core: epoch seconds inside, ISO 8601 UTC outside."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_of(t: float) -> str:
    """Epoch seconds to ISO 8601 UTC with a Z suffix."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(text: str) -> float:
    """ISO 8601 (Z or offset; naive means UTC) to epoch seconds."""
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.timestamp()
