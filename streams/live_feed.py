"""The recent alerts every web viewer sees: a ring buffer fed from the whole alerts topic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.kafka_config import client_options
from streams.settings import Settings
from streams.topics import ensure_topics

log = logging.getLogger(__name__)
KEEP = 500  # alerts kept for a newly opened page


class AlertFeed:
    """Newest alerts by id (a replayed alert replaces, never duplicates) and live subscribers."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.alerts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    def add(self, alert: dict[str, Any]) -> None:
        """Record one alert and push it to every subscriber."""
        alert_id = str(alert.get("alert_id"))
        fresh = alert_id not in self.alerts
        self.alerts[alert_id] = alert
        self.alerts.move_to_end(alert_id)
        while len(self.alerts) > self.keep:
            self.alerts.popitem(last=False)
        if fresh:
            for queue in list(self.subscribers):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(alert)

    def recent(self) -> list[dict[str, Any]]:
        """Newest first."""
        return list(reversed(self.alerts.values()))

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue that receives every new alert until unsubscribed."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop delivering to a queue."""
        self.subscribers.discard(queue)


async def follow_alerts(settings: Settings, feed: AlertFeed) -> None:
    """Read every partition of the alerts topic (no consumer group) into the feed, forever."""
    topic = settings.topic("alerts")
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        counts = await ensure_topics(settings)
        tps = [TopicPartition(topic, p) for p in range(counts[topic])]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(0, ends[tp] - KEEP))
        async for message in consumer:
            try:
                feed.add(orjson.loads(message.value))
            except orjson.JSONDecodeError:
                log.warning("alerts topic: skipped a value that is not JSON at %s", message.offset)
    finally:
        await consumer.stop()
