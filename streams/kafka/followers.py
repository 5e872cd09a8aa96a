"""Readers of a whole topic without a consumer group: what the worker's pages show.

Each worker's pages need every partition's records (alerts, vessel names, vessels near the
fences), not a group member's share, so these assign every partition and start from a recent
offset rather than a committed one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from shipwatch.settings import Settings
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

log = logging.getLogger(__name__)
# How far back each reader starts, in messages per partition: bounded start-up work.
BACKLOG = {"alerts": 500, "statics": 20_000, "nearby": 5_000, "feed-status": 200}
DEFAULT_BACKLOG = 500
MAX_RECORDS = 1000  # per poll

Handle = Callable[[dict[str, Any], int | None], None]  # a JSON object and its publication ms


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
            consumer.seek(tp, max(0, ends[tp] - BACKLOG.get(name, DEFAULT_BACKLOG)))
        while True:
            # In batches: one message at a time (`async for`) cost the worker about 12 µs of
            # event-loop work a record (py-spy), on a topic with a tenth of the bench's fixes.
            polled = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
            for messages in polled.values():
                for message in messages:
                    _take(topic, message, handle)
    finally:
        await consumer.stop()


def _take(topic: str, message: Any, handle: Handle) -> None:
    try:
        value = orjson.loads(message.value) if message.value is not None else None
        if isinstance(value, dict):
            handle(value, message.timestamp)
    except Exception as exc:  # anyone can write to a topic: one bad value is skipped
        log.warning("%s: skipped the value at offset %s: %s", topic, message.offset, exc)
