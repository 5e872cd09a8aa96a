"""The triage topic (`<ns>.alert-state`) read whole and followed, and written with acks=all.

The web's triage service keeps the board; this module only moves its records between the
topic and the service, through the small protocol below, so the pages never touch Kafka.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from shipwatch.settings import Settings
from shipwatch.triage.errors import NotWritten
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

TOPIC = "alert-state"
READ_MAX = 2000  # records a poll hands over at most
POLL_MS = 1000

Send = Callable[[bytes, bytes], Awaitable[tuple[int, int]]]


class TriageReplica(Protocol):
    """What keeps the topic's state (shipwatch.web.triage.TriageService)."""

    def attach(self, send: Send | None) -> None:
        """Write through `send` from now on; None once the writer stopped."""

    def take(self, offset: int, raw_key: bytes | None, raw_value: bytes | None) -> None:
        """Apply one record."""

    async def applied(self, partition: int, next_offset: int) -> None:
        """Everything before `next_offset` in `partition` has been taken."""

    def caught_up(self) -> None:
        """The topic has been read up to where it ended when reading started."""


async def follow_triage(settings: Settings, replica: TriageReplica) -> None:
    """Read the whole topic into the replica, then follow it, writing through one producer."""
    topic = settings.topic(TOPIC)
    options = client_options(settings)
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    producer = AIOKafkaProducer(**options, acks="all")

    async def send(key: bytes, value: bytes) -> tuple[int, int]:
        try:
            meta = await producer.send_and_wait(topic, value, key=key)
        except KafkaError as exc:
            raise NotWritten(f"the broker did not acknowledge: {exc}") from exc
        return int(meta.partition), int(meta.offset)

    await consumer.start()
    try:
        await producer.start()
        try:
            counts = await ensure_topics(settings)
            tps = [TopicPartition(topic, p) for p in range(counts[topic])]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
            replica.attach(send)
            await _read(consumer, ends, replica)
        finally:
            replica.attach(None)
            await producer.stop()
    finally:
        await consumer.stop()


async def _read(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], replica: TriageReplica
) -> None:
    behind = {tp for tp, end in ends.items() if end > 0}
    if not behind:
        replica.caught_up()
    while True:
        batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=READ_MAX)
        for tp, messages in batches.items():
            for message in messages:
                replica.take(message.offset, message.key, message.value)
            await replica.applied(tp.partition, messages[-1].offset + 1)
        for tp in list(behind):
            if await consumer.position(tp) >= ends[tp]:
                behind.discard(tp)
                if not behind:
                    replica.caught_up()
