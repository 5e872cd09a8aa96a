"""What every web viewer sees: the recent alerts, newest first, and the pages following them.

The worker feeds it from the alerts topic (shipwatch.worker); nothing here reads Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from typing import Any

from shipwatch.ais.timefmt import iso_ms_of
from shipwatch.web.vessel_info import VesselDirectory

KEEP = 500  # alerts kept for a newly opened page


def _iso_ms(timestamp_ms: int | None) -> str | None:
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return iso_ms_of(timestamp_ms / 1000)


class AlertFeed:
    """Newest alerts by id (a replayed alert replaces, never duplicates) and live subscribers."""

    def __init__(self, keep: int | None = None, vessels: VesselDirectory | None = None) -> None:
        self.keep = KEEP if keep is None else keep  # read now: a soak lowers KEEP before start
        self.vessels = vessels or VesselDirectory()
        self.alerts: OrderedDict[str, tuple[dict[str, Any], int | None]] = OrderedDict()
        self.subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.closed = False

    def add(self, alert: dict[str, Any], published_ms: int | None = None) -> None:
        """Record one alert and push it to every subscriber."""
        alert_id = str(alert.get("alert_id"))
        previous = self.alerts.pop(alert_id, None)
        # A repeat (restart, replay) is the same finding: it keeps its first publication time.
        first_ms = previous[1] if previous else published_ms
        self.alerts[alert_id] = (alert, first_ms)
        while len(self.alerts) > self.keep:
            self.alerts.popitem(last=False)
        # A retraction repeats the id with another status, and a correction (the cap stage's
        # re-issue after late data) with other evidence: news for every viewer. A repeat (a
        # restart, a replay) is the same record and is not pushed again.
        changed = previous is not None and previous[0] != alert
        if previous is None or changed:
            view = self.view(alert, first_ms)
            for queue in list(self.subscribers):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(view)

    def view(self, alert: dict[str, Any], published_ms: int | None) -> dict[str, Any]:
        """The alert as published, with `published_at` and what is known of the `vessel`."""
        vessel = self.vessels.describe(alert.get("mmsi"))
        own = alert.get("vessel")
        if isinstance(own, dict):
            vessel.update(own)
        return {**alert, "vessel": vessel, "published_at": _iso_ms(published_ms)}

    def recent(self) -> list[dict[str, Any]]:
        """Newest first, by publication time."""
        entries = list(self.alerts.values())
        entries.reverse()  # equal or missing times keep arrival order, newest first
        entries.sort(key=lambda entry: entry[1] or 0, reverse=True)
        return [self.view(alert, ms) for alert, ms in entries]

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue that receives every new alert until unsubscribed, then None when closed."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """Stop delivering to a queue."""
        self.subscribers.discard(queue)

    def close(self) -> None:
        """Wake every subscriber with None: the server is stopping."""
        # Open event streams would otherwise hold the web server's shutdown for a minute.
        self.closed = True
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)  # a full queue's reader sees `closed` at its next alert
