"""RawPublisher: a vessel's lines keyed and partitioned by it; what a partition's failed send
left unwritten comes back to be sent again, and only that."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import pytest

from shipwatch.feeds.received import Received
from shipwatch.pipeline.partitioner import KeyPartitioner
from streams.kafka.raw_publisher import RawPublisher
from tests.unit.shipwatch.feeds.harness import feed_settings

PARTITIONS = 6


class Broker:
    """Stands in for the bulk producer: one partition's sends fail while `down` names it."""

    def __init__(self, down: set[int]) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.down = down
        self.written: dict[int, list[bytes]] = defaultdict(list)

    async def partitions(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))

    async def send_stamped(self, topic: str, records: Any) -> list[asyncio.Future[None]]:
        acks = []
        for partition, _key, value, _ts, _headers in records:
            ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if partition in self.down:
                ack.set_exception(ConnectionError(f"partition {partition}: no leader"))
            else:
                self.written[partition].append(value)
                ack.set_result(None)
            acks.append(ack)
        return acks


def _items(n: int) -> list[Received]:
    return [
        Received("rx", b"rx", b"line %d" % i, 1.0, vessel=b"%d" % (273000000 + i)) for i in range(n)
    ]


def test_only_the_lines_of_the_partitions_whose_sends_failed_come_back() -> None:
    items = _items(40)
    of = KeyPartitioner(PARTITIONS)
    down = {of(items[0].vessel or b"")}

    async def scenario() -> None:
        broker = Broker(down)
        publisher = RawPublisher(feed_settings(), broker)  # type: ignore[arg-type]
        left = await publisher.publish(items)
        assert left == [i for i in items if of(i.vessel or b"") in down]
        assert sum(map(len, broker.written.values())) == len(items) - len(left)
        broker.down = set()
        assert await publisher.publish(left) == []
        written = [v for values in broker.written.values() for v in values]
        assert sorted(written) == sorted(i.payload for i in items)  # each once
        for partition, values in broker.written.items():  # a vessel's lines where it lives
            assert all(of(i.vessel or b"") == partition for i in items if i.payload in values)

    asyncio.run(scenario())


def test_nothing_written_raises_the_brokers_error() -> None:
    async def scenario() -> None:
        publisher = RawPublisher(feed_settings(), Broker(set(range(PARTITIONS))))  # type: ignore[arg-type]
        with pytest.raises(ConnectionError, match="no leader"):
            await publisher.publish(_items(10))

    asyncio.run(scenario())
