"""What every web viewer sees: recent alerts, vessel names and positions, read from the topics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from shipwatch.ais.timefmt import iso_ms_of
from shipwatch.settings import Settings
from shipwatch.web.vessel_info import VesselDirectory
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

log = logging.getLogger(__name__)
KEEP = 500  # alerts kept for a newly opened page
# How far back each feed starts, in messages per partition: bounded start-up work.
BACKLOG = {"alerts": KEEP, "statics": 20_000, "nearby": 5_000}

Handle = Callable[[dict[str, Any], int | None], None]


def _iso_ms(timestamp_ms: int | None) -> str | None:
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return iso_ms_of(timestamp_ms / 1000)


class AlertFeed:
    """Newest alerts by id (a replayed alert replaces, never duplicates) and live subscribers."""

    def __init__(self, keep: int = KEEP, vessels: VesselDirectory | None = None) -> None:
        self.keep = keep
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
        # A retraction repeats the id with another status: that is news for every viewer.
        changed = previous is not None and previous[0].get("status") != alert.get("status")
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


async def follow_topic(settings: Settings, name: str, handle: Handle) -> None:
    """Read every partition of `<ns>.<name>` (no consumer group) from its recent end, forever."""
    topic = settings.topic(name)
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        counts = await ensure_topics(settings)
        tps = [TopicPartition(topic, p) for p in range(counts[topic])]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(0, ends[tp] - BACKLOG.get(name, KEEP)))
        async for message in consumer:
            try:
                value = orjson.loads(message.value) if message.value is not None else None
                if isinstance(value, dict):
                    handle(value, message.timestamp)
            except Exception as exc:  # anyone can write to a topic: one bad value is skipped
                log.warning("%s: skipped the value at offset %s: %s", topic, message.offset, exc)
    finally:
        await consumer.stop()


async def follow_alerts(settings: Settings, feed: AlertFeed) -> None:
    """Feed every alert of the alerts topic to the page, forever."""
    await follow_topic(settings, "alerts", feed.add)
