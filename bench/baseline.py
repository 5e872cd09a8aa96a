"""Baselines: what a plain aiokafka loop does with the same raw topic, on the same machine.

Both loops are consumer group members reading the topic the worker reads, and both call
`ais.raw_message.decode_message` on every message (orjson and the same pydantic validation as
the ingest stage) and forward the raw bytes of each decoded message to a sink topic with
acks=all. Each is timed from the moment the group assigns its partitions (a worker's "Ready"
is the same moment) until the last of its messages is acknowledged.

- The batch loop, THE baseline (`run_batch`): `getmany`; decode every message; one
  `send_batch` per partition, each message in the partition aiokafka's default partitioner
  gives its key (murmur2), a new batch only when one is full; offsets committed once the
  batches are acknowledged. What a worker built on batches can approach; the ratio target is
  measured against it.
- The per-message loop (`run_per_message`): `await producer.send` per message, no linger (Faust's
  producer settings), acknowledgements collected every 5,000 messages, offsets auto-committed.
  What a worker that handles one message at a time can approach.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import ConsumerRecord

from bench.drain import steady_rate
from shipwatch.ais.errors import Rejected
from shipwatch.ais.raw_message import decode_message
from shipwatch.settings import Settings
from streams.kafka.config import client_options

AWAIT_EVERY = 5000  # per-message loop: acknowledgements collected in batches, as `replay` does
BATCH_BYTES = 512 * 1024  # batch loop: a produce batch's size limit (the broker allows 1 MiB)
FETCH_MIN_BYTES = 64 * 1024  # the worker's consumer settings (streams.faust_patches.fetch_tuning)
FETCH_MAX_WAIT_MS = 50

Message: TypeAlias = ConsumerRecord[bytes, bytes]
Fetched: TypeAlias = dict[TopicPartition, list[Message]]
Step: TypeAlias = Callable[[Fetched], Awaitable[int]]


@dataclass(frozen=True)
class BaselineResult:
    """How long a loop took for how many messages."""

    loop: str  # "batch" or "per-message"
    messages: int
    seconds: float  # assignment to the last acknowledgement
    steady_per_s: float  # between 10 % and 90 % of the messages
    rejected: int = 0  # messages decode_message refused (none in the benchmark's traffic)

    @property
    def per_s(self) -> float:
        """Messages per second over the whole run."""
        return self.messages / self.seconds


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.at: float | None = None

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        if assigned and self.at is None:
            self.at = time.perf_counter()


def _decodes(value: bytes) -> bool:
    """Whether the message decodes to at least one record; a rejected one does not."""
    try:
        return bool(decode_message(value))
    except Rejected:
        return False


class Partitioner:
    """The partition of a key as aiokafka's DefaultPartitioner picks it: murmur2 of the bytes."""

    def __init__(self, partitions: Sequence[int]) -> None:
        self.partitions = sorted(partitions)

    def __call__(self, key: bytes | None, fallback: int) -> int:
        """The key's partition; a message without a key keeps its input partition."""
        if key is None:
            return self.partitions[fallback % len(self.partitions)]
        return self.partitions[int(murmur2(key) & 0x7FFFFFFF) % len(self.partitions)]


class BatchSink:
    """One produce batch per partition, filled message by message, sent at the end of a round."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, partition: Partitioner) -> None:
        self.producer, self.topic, self.partition = producer, topic, partition
        self.open: dict[int, BatchBuilder] = {}
        self.sent: list[asyncio.Future[object]] = []

    async def add(self, message: Message) -> None:
        """Append the message to its partition's batch; a full batch is sent, a new one begun."""
        part = self.partition(message.key, message.partition)
        batch = self.open.get(part)
        if batch is None:
            batch = self.open[part] = self.producer.create_batch()
        if batch.append(key=message.key, value=message.value, timestamp=None) is None:
            await self._send(part, batch)
            batch = self.open[part] = self.producer.create_batch()
            batch.append(key=message.key, value=message.value, timestamp=None)

    async def flush(self) -> None:
        """Send the open batches and wait until the broker has acknowledged every batch."""
        for part, batch in self.open.items():
            await self._send(part, batch)
        self.open.clear()
        await asyncio.gather(*self.sent)
        self.sent.clear()

    async def _send(self, part: int, batch: BatchBuilder) -> None:
        self.sent.append(await self.producer.send_batch(batch, self.topic, partition=part))


def _consumer(settings: Settings, group: str, auto_commit: bool) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_options(settings),
        group_id=f"{settings.namespace}.{group}",
        auto_offset_reset="earliest",
        enable_auto_commit=auto_commit,
        fetch_min_bytes=FETCH_MIN_BYTES,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )


async def _nothing() -> None:
    return None


async def _timed(
    settings: Settings,
    consumer: AIOKafkaConsumer,
    expected: int,
    step: Step,
    finish: Callable[[], Awaitable[None]] = _nothing,
) -> tuple[float, float, list[tuple[float, float]], int]:
    """Run `step` on every `getmany` until `expected` messages, then `finish`.

    Returns (assigned at, finished at, (seconds since assigned, messages) after each step,
    messages).
    """
    listener = _Assigned()
    await consumer.start()
    consumer.subscribe([settings.topic("ais-raw")], listener=listener)
    done, samples = 0, []
    try:
        while done < expected:
            done += await step(await consumer.getmany(timeout_ms=1000))
            samples.append((time.perf_counter(), float(done)))
        await finish()
        end = time.perf_counter()
    finally:
        await consumer.stop()
    start = listener.at if listener.at is not None else end
    return start, end, [(0.0, 0.0)] + [(t - start, n) for t, n in samples], done


async def run_batch(settings: Settings, expected: int, sink: str) -> BaselineResult:
    """THE baseline: consume `expected` messages, decode each, batch-produce, commit after acks."""
    consumer = _consumer(settings, "baseline-batch", auto_commit=False)
    producer = AIOKafkaProducer(
        **client_options(settings), acks="all", linger_ms=0, max_batch_size=BATCH_BYTES
    )
    await producer.start()
    rejected = 0
    try:
        out = BatchSink(producer, sink, Partitioner(await producer.partitions_for(sink)))

        async def step(fetched: Fetched) -> int:
            nonlocal rejected
            count = 0
            for messages in fetched.values():
                for message in messages:
                    if _decodes(message.value or b""):
                        await out.add(message)
                    else:
                        rejected += 1
                count += len(messages)
            if fetched:
                await out.flush()
                await consumer.commit({tp: ms[-1].offset + 1 for tp, ms in fetched.items() if ms})
            return count

        start, end, samples, done = await _timed(settings, consumer, expected, step)
    finally:
        await producer.stop()
    return BaselineResult("batch", done, end - start, steady_rate(samples, 0, expected), rejected)


async def run_per_message(settings: Settings, expected: int, sink: str) -> BaselineResult:
    """The per-message loop: consume, decode, `send` each message, acks every 5,000."""
    consumer = _consumer(settings, "baseline", auto_commit=True)
    producer = AIOKafkaProducer(**client_options(settings), acks="all", linger_ms=0)
    await producer.start()
    pending: list[asyncio.Future[object]] = []
    rejected = 0
    try:

        async def step(fetched: Fetched) -> int:
            nonlocal rejected
            count = 0
            for messages in fetched.values():
                for message in messages:
                    value = message.value or b""
                    if _decodes(value):
                        pending.append(await producer.send(sink, value, key=message.key))
                    else:
                        rejected += 1
                count += len(messages)
            if len(pending) >= AWAIT_EVERY:
                await asyncio.gather(*pending)
                pending.clear()
            return count

        async def acknowledged() -> None:
            await asyncio.gather(*pending)

        start, end, samples, done = await _timed(settings, consumer, expected, step, acknowledged)
    finally:
        await producer.stop()
    return BaselineResult(
        "per-message", done, end - start, steady_rate(samples, 0, expected), rejected
    )


def measure(settings: Settings, expected: int, sink: str) -> BaselineResult:
    """Run the batch loop, THE baseline, to completion."""
    return asyncio.run(run_batch(settings, expected, sink))


def measure_per_message(settings: Settings, expected: int, sink: str) -> BaselineResult:
    """Run the per-message loop to completion."""
    return asyncio.run(run_per_message(settings, expected, sink))
