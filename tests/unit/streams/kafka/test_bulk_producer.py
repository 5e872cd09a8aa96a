"""The bulk producer before it has started: a stage's first input waits for it, never fails.

Seen in the scale test: a third worker joined a group whose frames were already on the broker,
so its track agent had a frame before its producer had started, asked it for the frames
topic's partitions, and the worker crashed ("the bulk producer is not running").
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shipwatch.settings import Settings
from streams.errors import KafkaUnavailable
from streams.kafka.bulk_producer import BulkProducer


class Producer:
    """aiokafka's producer, as far as the calls before any batch go."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> Any:
        self.sent.append((topic, value, key))
        return asyncio.get_running_loop().create_future()


def test_first_calls_wait_for_the_producer_to_start() -> None:
    async def scenario() -> tuple[set[int], int, Producer]:
        bulk = BulkProducer(Settings())
        asking = asyncio.gather(
            bulk.partitions("ns.frames"),
            bulk.partitioner("ns.frames"),
            bulk.send_one("ns.dead-letters", None, b"{}"),
        )
        await asyncio.sleep(0.05)
        assert not asking.done()  # waiting, not failed
        producer = Producer()
        bulk._producer = producer  # as `run` does once the client has started
        bulk.ready.set()
        partitions, partitioner, _ = await asyncio.wait_for(asking, 5)
        return partitions, partitioner.partitions, producer

    partitions, count, producer = asyncio.run(scenario())
    assert partitions == {0, 1, 2} and count == 3
    assert producer.sent == [("ns.dead-letters", b"{}", None)]


def test_a_send_in_the_middle_of_a_batch_still_fails_when_the_producer_is_gone() -> None:
    async def scenario() -> None:
        bulk = BulkProducer(Settings())
        await bulk.send_stamped("ns.frames", [(0, None, b"{}", None, [])])

    with pytest.raises(KafkaUnavailable, match="not running"):
        asyncio.run(scenario())
