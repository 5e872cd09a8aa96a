"""The sea stage bound to Kafka: frames of samples, sightings and pairs in, by area cell.

The track stage sends the sea stage's input as frames on `<ns>.sea`, partitioned by
the murmur2 of the record's key (its cell, its pair, or `watched`), so that each key's state
lives in one partition of the `sea` table. A frame is applied at once; the records it makes for
other keys go back onto the same topic, in frames, and its events to `voyage-events`, where the
alert stage reads them. The sends are awaited before the frame's state is written, and the
frame is acknowledged (by Faust) after both: a crash repeats work, which the stage ignores.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import orjson
from faust.types import EventT, StreamT, TopicT

from shipwatch import metrics
from shipwatch.pipeline.frames import frames_of, parse_frame
from shipwatch.pipeline.partitioner import KeyPartitioner
from shipwatch.sea.sampler import SeaContext
from shipwatch.sea.stage import sea_batch
from shipwatch.watermarks import SEA_LEVEL, Progress
from streams.bindings.guard import guarded, send_dead_letter
from streams.kafka.bulk_producer import Acks, BulkProducer

Record = dict[str, Any]
log = logging.getLogger(__name__)
# Every watermark is told again this often, changed or not: a partition's new owner recovers
# its sources' progress from the table, written only when its own watermark moved.
TELL_AGAIN_S = 5.0


class TableStore:
    """A SeaStore over the `sea` table for one frame: values parsed once, written once."""

    def __init__(self, table: Any, clocks: dict[str, Any] | None = None) -> None:
        self.table = table
        self.values: dict[str, Any] = {}
        self.changed: set[str] = set()
        # The partitions' watermarks (`wm:<p>`), kept in memory between frames: the stage
        # writes one to the table only when a watermark moved, and changes it in place.
        self.clocks = {} if clocks is None else clocks

    def get(self, key: str) -> Any | None:
        """The value, from this frame's changes, the kept clocks, or the table."""
        if key in self.values:
            return self.values[key]
        if key in self.clocks:
            value = self.values[key] = self.clocks[key]
            return value
        stored = self.table.get(key.encode())
        value = self.values[key] = orjson.loads(stored) if stored else None
        if key.startswith("wm:") and value is not None:
            self.clocks[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        """Set the value (written at `commit`)."""
        self.values[key] = value
        self.changed.add(key)
        if key.startswith("wm:") and value is not None:
            self.clocks[key] = value

    def delete(self, key: str) -> None:
        """Forget the key (a tombstone at `commit`)."""
        self.put(key, None)

    def commit(self) -> None:
        """Write the frame's changes: Faust sends them to this partition's changelog."""
        for key in self.changed:
            value = self.values[key]
            if value is None:
                self.table.pop(key.encode(), None)
            else:
                self.table[key.encode()] = orjson.dumps(value)
        self.changed.clear()


_partitioners: dict[str, KeyPartitioner] = {}


async def _partitioner(bulk: BulkProducer, topic: str) -> KeyPartitioner:
    await bulk.ready.wait()
    found = _partitioners.get(topic)
    if found is None:
        found = _partitioners[topic] = KeyPartitioner(len(await bulk.partitions(topic)))
    return found


async def send_sea(
    bulk: BulkProducer,
    topic: str,
    records: Iterable[Record],
    progress: Progress | None = None,
    everywhere: bool = False,
) -> Acks:
    """Records for the sea stage, as frames on each key's partition; with `progress`, the last
    frame to each partition carries the sender's progress (it covers the records before it),
    and with `everywhere` a partition that gets no record gets the progress alone."""
    partition = await _partitioner(bulk, topic)
    framed: dict[int, list[bytes]] = {}
    for record in records:
        framed.setdefault(partition(record["key"]), []).append(orjson.dumps(record))
    if everywhere:
        for p in range(partition.partitions):
            framed.setdefault(p, [])
    header = b"" if progress is None else orjson.dumps(progress.to_json())
    return await bulk.send_partitioned(
        topic,
        ((p, None, frame) for p, blobs in framed.items() for frame in frames_of(blobs, header)),
    )


def event_key(event: Record) -> str:
    """Events are keyed by vessel; a sighting nobody matched by its id."""
    mmsi = event.get("mmsi")
    return str(mmsi if mmsi is not None else event.get("sighting_id"))


class SeaBinding:
    """The sea agent: one frame at a time (they are few: a sample per slow vessel per tick)."""

    def __init__(
        self, topics: dict[str, Any], table: Any, ctx: SeaContext, bulk: BulkProducer, ns: str
    ) -> None:
        self.topics, self.table, self.ctx, self.bulk = topics, table, ctx, bulk
        self.sea_topic = f"{ns}.sea"
        # Each owned partition's level-1 watermark, and what was last announced of it.
        self.watermarks: dict[int, float | None] = {}
        self.announced: dict[int, float | None] = {}
        self.clocks: dict[str, Any] = {}  # see TableStore
        self.last_told_all = 0.0  # monotonic: when every watermark was last told again
        self.applied = metrics.STAGE_RECORDS.labels(stage="sea")

    async def run(self, stream: StreamT[Any]) -> None:
        """The agent; a frame that fails is dead-lettered whole and the stream goes on."""
        crash = self.table.app.crash  # a Faust table knows its app
        await guarded("sea", stream, self.on_frame, self.topics["dead-letters"], crash)

    async def on_frame(self, event: EventT[bytes]) -> None:
        """Apply a frame; send what it makes; then write its state."""
        try:
            records, progress = parse_frame(event.value)
        except (ValueError, KeyError, TypeError) as exc:
            await self.reject(event, "bad_frame", str(exc), event.value or b"")
            return
        here = event.message.partition
        store = TableStore(self.table, self.clocks)
        rules, zones = self.ctx.rules, self.ctx.zones
        batch = sea_batch(store, records, rules, zones, here, progress)
        self.applied.inc(len(records))
        for reason, count in batch.dropped.items():
            metrics.SEA_SAMPLES_DROPPED.labels(reason=reason).inc(count)
        metrics.count_sea_events(batch.events)
        acks: Acks = []
        if batch.forward:  # behind this partition's progress, which covers them (the timer
            # still tells it to every partition: these frames go only where the records go)
            mine = await self._progress(here, batch.watermark)
            acks += await send_sea(self.bulk, self.sea_topic, batch.forward, mine)
        self.watermarks[here] = batch.watermark
        if batch.watermark is not None:
            metrics.WATERMARK.labels(partition=str(here)).set(batch.watermark)
        acks += await send_events(self.bulk, self.topics["voyage-events"], batch.events)
        for record, reason, detail in batch.refused:
            if reason == "internal_error":
                metrics.PROCESSING_ERRORS.labels(stage="sea").inc()
            await self.reject(event, reason, detail, orjson.dumps(record))
        for ack in acks:
            await ack  # the state below must never be durable without what it sent
        store.commit()

    async def _progress(self, partition: int, watermark: float | None) -> Progress:
        sources = len(await self.bulk.partitions(self.sea_topic))
        return Progress(SEA_LEVEL, partition, sources, watermark)

    async def announce(self) -> None:
        """The timer: tell every sea partition how far each of ours has got (level 2), so
        that pairs, whose observations come from every partition, can be decided."""
        now = time.monotonic()
        again = now - self.last_told_all >= TELL_AGAIN_S  # a partition's new owner rebuilds
        if again:
            self.last_told_all = now
        for partition, watermark in list(self.watermarks.items()):
            if watermark is None or (self.announced.get(partition) == watermark and not again):
                continue
            self.announced[partition] = watermark
            progress = await self._progress(partition, watermark)
            for ack in await send_sea(self.bulk, self.sea_topic, [], progress, everywhere=True):
                await ack

    async def on_revoked(self, *_: Any, **__: Any) -> None:
        """Partitions are moving: their next owner announces them (from the table)."""
        self.watermarks.clear()
        self.announced.clear()
        self.clocks.clear()

    async def reject(self, event: EventT[bytes], reason: str, detail: str, raw: bytes) -> None:
        """Dead-letter a frame or one of its records, with its source."""
        await send_dead_letter(self.topics["dead-letters"], event, reason, detail, raw, "sea")


async def send_events(bulk: BulkProducer, topic: TopicT, events: list[Record]) -> Acks:
    """At-sea events onto `voyage-events`, keyed by vessel."""
    if not events:
        return []
    for ev in events:
        metrics.VOYAGE_EVENTS.labels(kind=ev["kind"]).inc()
    name = topic.get_topic_name()
    partition = await _partitioner(bulk, name)
    keyed = [(event_key(ev), ev) for ev in events]
    return await bulk.send_partitioned(
        name,
        ((partition(key), key.encode(), orjson.dumps(ev)) for key, ev in keyed),
    )
