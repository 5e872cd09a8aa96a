"""The live sources as the pages show them: each one's newest status from `<ns>.feed-status`.

`shipwatch feed` reports every source every few seconds; the page says "connected, 812 msg/s"
or "silent for 4 min". A status not renewed for `STALE_S` means the feed process itself is gone.
"""

from __future__ import annotations

import time
from typing import Any

from shipwatch.ais.timefmt import epoch_of

STALE_S = 30.0  # six missed reports: the feed process stopped, or cannot reach Kafka
KEEP = 200  # sources shown at most


def _epoch(value: Any) -> float | None:
    try:
        return epoch_of(str(value))
    except ValueError:
        return None


class FeedBoard:
    """The newest status of every live source."""

    def __init__(self) -> None:
        self.sources: dict[str, dict[str, Any]] = {}

    def add(self, value: dict[str, Any], published_ms: int | None = None) -> None:
        """Keep a status record (a value of `<ns>.feed-status`); anything else is ignored."""
        source = value.get("source")
        if not isinstance(source, str) or not source or _epoch(value.get("at")) is None:
            return
        known = self.sources.get(source)
        if known is not None and str(known.get("at")) > str(value.get("at")):
            return  # an older report read late
        self.sources[source] = value
        if len(self.sources) > KEEP:
            oldest = min(self.sources, key=lambda s: str(self.sources[s].get("at")))
            del self.sources[oldest]

    def view(self, now: float | None = None) -> list[dict[str, Any]]:
        """Every source, by name: its status, how long it has been silent, and whether its
        feed is still reporting."""
        now = time.time() if now is None else now
        out = []
        for name in sorted(self.sources):
            status = self.sources[name]
            last = _epoch(status.get("last_message_at"))
            at = _epoch(status.get("at")) or 0.0
            out.append(
                {
                    **status,
                    "silent_s": None if last is None else round(max(now - last, 0.0), 1),
                    "reporting": now - at <= STALE_S,
                }
            )
        return out
