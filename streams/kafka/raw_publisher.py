"""What `shipwatch feed` receives, onto `<ns>.ais-raw`: the line as received, stamped.

The value is the line (or JSON message) byte for byte; the Kafka timestamp is the receive
time, which ingest's decoder uses for a line without a time of its own and never in place of
one; the `source` header names the receiver. The key is the vessel's MMSI, set on every line of
a whole message (a multipart's fragments, a `$PGHP` line and the sentence it dates), so that a
vessel's messages stay in order in one partition whichever receiver brought each; a line that
names no vessel is keyed by its sender.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, TypeVar

from shipwatch.pipeline.partitioner import MAX_CACHED, KeyPartitioner
from shipwatch.settings import Settings
from streams.errors import KafkaUnavailable
from streams.kafka.bulk_producer import Acks, BulkProducer


class Stamped(Protocol):
    """One received message (shipwatch.feeds.received.Received)."""

    @property
    def source(self) -> str: ...
    @property
    def key(self) -> bytes: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def received_at(self) -> float: ...
    @property
    def vessel(self) -> bytes | None: ...


S = TypeVar("S", bound=Stamped)


async def _settled(acks: Acks) -> list[object]:
    return list(await asyncio.gather(*acks, return_exceptions=True))


class RawPublisher:
    """Publishes batches of received messages and returns once the broker has them all."""

    def __init__(self, settings: Settings, producer: BulkProducer) -> None:
        self.topic = settings.topic("ais-raw")
        self.status_topic = settings.topic("feed-status")
        self.producer = producer
        self._partition: KeyPartitioner | None = None  # once the topic's partitions are known
        self._headers: dict[str, list[tuple[str, bytes]]] = {}

    async def publish(self, items: Sequence[S]) -> list[S]:
        """Send, wait for every acknowledgement, and return the items of the partitions whose
        sends failed, to be sent again (the others are written: sent again, they would be
        written twice); raises the first error when nothing was written."""
        await self.producer.ready.wait()
        if self._partition is None:
            partitions = len(await self.producer.partitions(self.topic))
            # Keyed by vessel (or sender): as many keys as the world has ships, and never more
            # than MAX_CACHED remembered (two generations).
            self._partition = KeyPartitioner(partitions, generation=MAX_CACHED // 2)
        partition = self._partition
        groups: dict[int, list[S]] = {}
        for item in items:
            number = partition(item.vessel or item.key)
            group = groups.get(number)
            if group is None:
                group = groups[number] = []
            group.append(item)
        header = self._header
        sent: list[tuple[list[S], Acks | BaseException]] = []
        for number, group in groups.items():
            try:
                acks: Acks | BaseException = await self.producer.send_stamped(
                    self.topic,
                    (
                        (
                            number,
                            item.vessel or item.key,
                            item.payload,
                            int(item.received_at * 1000),
                            header(item.source),
                        )
                        for item in group
                    ),
                )
            except KafkaUnavailable as exc:
                acks = exc
            sent.append((group, acks))
        failed: list[S] = []
        errors: list[BaseException] = []
        for group, acks in sent:
            done = [acks] if isinstance(acks, BaseException) else await _settled(acks)
            error = next((r for r in done if isinstance(r, BaseException)), None)
            if error is not None:
                failed += group
                errors.append(error)
        if errors and len(failed) == len(items):
            raise errors[0]  # nothing written: the broker away, as the caller will say
        return failed

    async def status(self, records: list[tuple[bytes, bytes]]) -> None:
        """Each source's status onto `<ns>.feed-status` (compacted, keyed by source)."""
        acks = []
        for key, value in records:
            acks += await self.producer.send_one(self.status_topic, key, value)
        await asyncio.gather(*acks)

    def _header(self, source: str) -> list[tuple[str, bytes]]:
        found = self._headers.get(source)
        if found is None:
            found = self._headers[source] = [("source", source.encode())]
        return found
