"""Reading the alerts topic for people and scripts: every partition, no consumer group."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from shipwatch.settings import Settings
from streams.errors import KafkaUnavailable
from streams.kafka.config import client_options
from streams.kafka.contact import first_contact


async def read_alerts(
    settings: Settings,
    partitions: int,
    *,
    from_beginning: bool,
    follow: bool,
    idle_timeout: float | None,
) -> AsyncIterator[bytes]:
    """Yield alert values; without `follow`, stop once caught up with the end at start."""
    topic = settings.topic("alerts")
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    try:
        with first_contact(settings):
            await consumer.start()
    except KafkaUnavailable:
        await consumer.stop()
        raise
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        ends = await consumer.end_offsets(tps)
        last_new = time.monotonic()
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            for messages in batch.values():
                for message in messages:
                    if message.value is not None:
                        yield message.value
            if batch:
                last_new = time.monotonic()
            if not follow and all([await consumer.position(tp) >= ends[tp] for tp in tps]):
                return
            if idle_timeout is not None and time.monotonic() - last_new >= idle_timeout:
                return
            await asyncio.sleep(0)
    except KafkaError as exc:
        raise KafkaUnavailable(
            f"reading {topic} from {settings.kafka_bootstrap} failed: {exc}"
        ) from exc
    finally:
        await consumer.stop()
