"""The ceiling for one Python consumer here: consume, decode, produce, and nothing else.

A plain aiokafka loop over the same raw topic the worker reads: a consumer group member (as a
Faust worker is) with Faust's fetch settings, `ais.raw_message.decode_message` on every
message (orjson and the same pydantic validation as the ingest stage), and one message
produced per position to a sink topic with acks=all and no linger (Faust's producer settings),
the raw bytes forwarded as they came. Timed from the moment the group assigns the partitions
(Faust's "Ready" is the same moment for a worker) until the last produced message is
acknowledged.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from ais.raw_message import decode_message
from streams.kafka_config import client_options
from streams.settings import Settings

AWAIT_EVERY = 5000  # acknowledgements collected in batches, as `shipwatch replay` does


@dataclass(frozen=True)
class BaselineResult:
    """How long the loop took for how many messages."""

    messages: int
    seconds: float  # assignment to the last acknowledgement
    steady_per_s: float  # between 10 % and 90 % of the messages

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


async def run_baseline(settings: Settings, expected: int, sink: str) -> BaselineResult:
    """Consume `expected` messages of the raw topic, decode each, produce each to `sink`."""
    listener = _Assigned()
    consumer = AIOKafkaConsumer(
        **client_options(settings),
        group_id=f"{settings.namespace}.baseline",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        fetch_max_wait_ms=1500,
    )
    producer = AIOKafkaProducer(**client_options(settings), acks="all", linger_ms=0)
    await producer.start()
    await consumer.start()
    consumer.subscribe([settings.topic("ais-raw")], listener=listener)
    done, pending = 0, []
    marks: dict[int, float] = {}
    try:
        while done < expected:
            batches = await consumer.getmany(timeout_ms=1000)
            for messages in batches.values():
                for message in messages:
                    value = message.value or b""
                    for _record in decode_message(value):
                        pending.append(await producer.send(sink, value, key=message.key))
                    done += 1
                    if done in (expected // 10, expected * 9 // 10):
                        marks[done] = time.perf_counter()
            if len(pending) >= AWAIT_EVERY:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        end = time.perf_counter()
    finally:
        await consumer.stop()
        await producer.stop()
    start = listener.at if listener.at is not None else end
    low, high = expected // 10, expected * 9 // 10
    steady = (high - low) / (marks[high] - marks[low]) if high in marks and low in marks else 0.0
    return BaselineResult(done, end - start, steady)


def measure(settings: Settings, expected: int, sink: str) -> BaselineResult:
    """Run the baseline loop to completion."""
    return asyncio.run(run_baseline(settings, expected, sink))
