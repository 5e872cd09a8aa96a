"""What the live page says of each source: a status record every few seconds.

`shipwatch feed` publishes one per source onto `<ns>.feed-status` (compacted, keyed by the
source's name); the worker reads them and the live page shows a line per source ("connected,
812 msg/s", "silent for 4 min").
"""

from __future__ import annotations

from collections.abc import Sequence

from shipwatch.ais.json_form import json_bytes
from shipwatch.ais.timefmt import iso_ms_of
from shipwatch.feeds.outlet import Source

STATUS_EVERY_S = 5.0


class StatusReport:
    """Each source's status, with its message rate since the previous report."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = list(sources)
        self._last: dict[str, tuple[float, int]] = {}  # name -> (time, messages) last reported

    def records(self, now: float) -> list[tuple[bytes, bytes]]:
        """(key, value) of every source's status now."""
        out = []
        for source in self.sources:
            then, before = self._last.get(source.name, (now, source.received))
            rate = (source.received - before) / (now - then) if now > then else 0.0
            self._last[source.name] = (now, source.received)
            offset = source.clock.offset
            status = {
                "source": source.name,
                "connected": source.up,
                "messages_per_s": round(max(rate, 0.0), 1),
                "last_message_at": iso_ms_of(source.last_heard) if source.last_heard else None,
                "reconnects": max(source.connections - 1, 0),
                "clock_offset_s": None if offset is None else round(offset, 1),
                "at": iso_ms_of(now),
            }
            out.append((source.name.encode(), json_bytes(status)))
        return out
