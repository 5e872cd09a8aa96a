"""Event-time conversions shared by the core: epoch seconds inside, ISO 8601 UTC outside."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shipwatch.ais.errors import Rejected

_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def iso_of(t: float) -> str:
    """Epoch seconds to ISO 8601 UTC with a Z suffix."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms_of(t: float) -> str:
    """Epoch seconds to ISO 8601 UTC with milliseconds and a Z suffix (wall-clock stamps)."""
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_of(text: str) -> float:
    """ISO 8601 (Z or offset; naive means UTC) to epoch seconds."""
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.timestamp()


TIMES_CACHED = 4096  # a feed's fixes share their seconds: each ISO time is parsed once


class EventTimes:
    """ISO times to epoch seconds, remembering the recent ones."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def __call__(self, ts: str) -> float:
        """Epoch seconds of an ISO 8601 time."""
        t = self._seen.get(ts)
        if t is None:
            if len(self._seen) >= TIMES_CACHED:
                self._seen.clear()
            t = self._seen[ts] = epoch_of(ts)
        return t


def is_dmy(text: str) -> bool:
    """True when the text looks like the Danish "dd/mm/yyyy HH:MM:SS"."""
    return _DMY.fullmatch(text.strip()) is not None


def dmy_time(text: str, field: str) -> datetime:
    """ "dd/mm/yyyy HH:MM[:SS]" in UTC (the Danish Maritime Authority's format)."""
    match = _DMY.fullmatch(text.strip())
    if match is None:
        raise Rejected("invalid_field", f"{field}: not dd/mm/yyyy HH:MM:SS: {text[:40]!r}")
    day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise Rejected("invalid_field", f"{field}: {exc}: {text[:40]!r}") from exc
