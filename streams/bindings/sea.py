"""The sea stage bound to Kafka: frames of samples, sightings and pairs in, by area cell.

The track stage sends the sea stage's input as frames on `<ns>.sea`, partitioned by
the murmur2 of the record's key (its cell, its pair, or `watched`), so that each key's state
lives in one partition of the `sea` table. A frame is applied at once; the records it makes for
other keys go back onto the same topic, in frames, and its events to `voyage-events`, where the
alert stage reads them.

Its state is written back in bulk, as the track stage's is (streams/bindings/track.py): values
stay objects between flushes, and about once a second a flush makes the frames' work durable in
this order: every record and event they sent acknowledged; each changed key's last value
written once to the `sea` changelog, one batch per partition (the partition of the frames that
changed it, as Faust would have written it); those writes acknowledged; only then the frames
acknowledged, whose offsets Faust commits afterwards. A crash repeats work, which the stage
ignores; when partitions move, everything not flushed is dropped and the next owner reads those
frames again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Iterable
from typing import Any, cast

import orjson
from aiokafka.errors import KafkaError
from faust import Stream
from faust.types import EventT, StreamT, TopicT

from shipwatch import metrics
from shipwatch.ais.json_form import json_bytes
from shipwatch.pipeline.frames import frames_of, parse_frame
from shipwatch.pipeline.partitioner import KeyPartitioner
from shipwatch.sea.sampler import SeaContext
from shipwatch.sea.stage import sea_batch
from shipwatch.watermarks import SEA_LEVEL, Progress
from streams.bindings.guard import send_dead_letter
from streams.errors import KafkaUnavailable
from streams.kafka.bulk_producer import Acks, BulkProducer

Record = dict[str, Any]
Change = tuple[bytes, bytes | None]  # a key and its new value, None: deleted
log = logging.getLogger(__name__)
# Every watermark is told again this often, changed or not: a partition's new owner recovers
# its sources' progress from the table, written only when its own watermark moved.
TELL_AGAIN_S = 5.0
FLUSH_INTERVAL_S = 1.0  # how much work a crash may repeat, and how late offsets are committed


class TableStore:
    """A SeaStore over one partition of the `sea` table between two flushes: each value parsed
    once, changed in place, and its last version written once (`take`, then the flush)."""

    def __init__(self, table: Any, clocks: dict[str, Any] | None = None) -> None:
        self.table = table
        self.values: dict[str, Any] = {}
        self.changed: set[str] = set()
        # The partitions' watermarks (`wm:<p>`), kept in memory across flushes: the stage
        # writes one to the table only when a watermark moved, and changes it in place.
        self.clocks = {} if clocks is None else clocks

    def get(self, key: str) -> Any | None:
        """The value, from the changes since the flush, the kept clocks, or the table."""
        if key in self.values:
            return self.values[key]
        if key in self.clocks:
            value = self.values[key] = self.clocks[key]
            return value
        stored = self.table.data.get(key.encode())
        value = self.values[key] = orjson.loads(stored) if stored else None
        if key.startswith("wm:") and value is not None:
            self.clocks[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        """Set the value (written at the flush)."""
        self.values[key] = value
        self.changed.add(key)
        if key.startswith("wm:") and value is not None:
            self.clocks[key] = value

    def delete(self, key: str) -> None:
        """Forget the key (a tombstone at the flush)."""
        self.put(key, None)

    def take(self) -> list[Change]:
        """The changes since the last `take`, serialized now (each value a bytes object of its
        own size: the table keeps it, and orjson's own result holds 4 KiB); the values read
        since are forgotten (read from the table again, once written there: see `written`)."""
        changes = [
            (key.encode(), None if (v := self.values[key]) is None else json_bytes(v))
            for key in self.changed
        ]
        self.changed.clear()
        self.values.clear()
        return changes

    def written(self, changes: Iterable[Change]) -> None:
        """The changes are durable in the changelog: the table holds them too."""
        data = self.table.data
        for key, value in changes:
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value


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
    """The sea agent: frames applied at once, their state and offsets made durable by a flush.

    One lock orders applying a frame (with its sends), a flush and a revocation, as in the
    track stage: a flush never takes a frame half applied, and partitions never move while a
    flush still writes to them."""

    def __init__(
        self, topics: dict[str, Any], table: Any, ctx: SeaContext, bulk: BulkProducer, ns: str
    ) -> None:
        self.topics, self.table, self.ctx, self.bulk = topics, table, ctx, bulk
        self.sea_topic = f"{ns}.sea"
        # Each owned partition's level-1 watermark, and what was last announced of it.
        self.watermarks: dict[int, float | None] = {}
        self.announced: dict[int, float | None] = {}
        self.clocks: dict[str, Any] = {}  # see TableStore
        self.stores: dict[int, TableStore] = {}  # by partition, until the next flush
        self.stream: Stream[bytes] | None = None  # the agent's noack stream: it acks the frames
        self.frames: list[Any] = []  # applied since the last flush, not yet acknowledged
        self.sends: Acks = []  # records, events and dead letters sent since the last flush
        self.last_flush = time.monotonic()
        self.lock = asyncio.Lock()
        self.last_told_all = 0.0  # monotonic: when every watermark was last told again
        self.applied = metrics.STAGE_RECORDS.labels(stage="sea")
        self.taken = metrics.STAGE_MESSAGES.labels(stage="sea")
        self.spent = metrics.STAGE_SECONDS.labels(stage="sea")
        self.errors = metrics.PROCESSING_ERRORS.labels(stage="sea")

    async def run(self, stream: StreamT[Any]) -> None:
        """The agent: every frame applied at once, acknowledged by a later flush."""
        # Faust hands an agent its Stream, whose noack() the protocol StreamT does not name.
        own = cast("Stream[bytes]", stream)
        self.stream = noack = cast("Stream[bytes]", own.noack())
        async for event in noack.events():
            self.taken.inc()
            started = time.perf_counter()
            await self.apply(event)
            self.spent.observe(time.perf_counter() - started)
            if time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
                await self.flush()

    async def apply(self, event: EventT[bytes]) -> None:
        """Take one frame: it is acknowledged by the first flush after all its sends. A frame
        whose work raises is dead-lettered whole and the stream goes on; a send the broker
        never took stops the worker (its offset must not be committed without its output)."""
        async with self.lock:
            self.frames.append(event)
            try:
                await self.on_frame(event)
            except (KafkaError, KafkaUnavailable) as exc:
                await self._crash(exc)
            except Exception as exc:  # one bad frame never stops the stream
                self.errors.inc()
                detail = "".join(traceback.format_exception_only(exc)).strip()
                raw = event.value if isinstance(event.value, bytes) else b""
                await self._guarded(self.reject(event, "internal_error", detail, raw))

    async def on_frame(self, event: EventT[bytes]) -> None:
        """Apply a frame; send what it makes (acknowledged before the flush writes its state)."""
        try:
            records, progress = parse_frame(event.value)
        except (ValueError, KeyError, TypeError) as exc:
            await self.reject(event, "bad_frame", str(exc), event.value or b"")
            return
        here = event.message.partition
        store = self.stores.get(here)
        if store is None:
            store = self.stores[here] = TableStore(self.table, self.clocks)
        rules, zones = self.ctx.rules, self.ctx.zones
        batch = sea_batch(store, records, rules, zones, here, progress)
        self.applied.inc(len(records))
        for reason, count in batch.dropped.items():
            metrics.SEA_SAMPLES_DROPPED.labels(reason=reason).inc(count)
        metrics.count_sea_events(batch.events)
        if batch.forward:  # behind this partition's progress, which covers them (the timer
            # still tells it to every partition: these frames go only where the records go)
            mine = await self._progress(here, batch.watermark)
            self.sends += await send_sea(self.bulk, self.sea_topic, batch.forward, mine)
        self.watermarks[here] = batch.watermark
        if batch.watermark is not None:
            metrics.WATERMARK.labels(partition=str(here)).set(batch.watermark)
        self.sends += await send_events(self.bulk, self.topics["voyage-events"], batch.events)
        for record, reason, detail in batch.refused:
            if reason == "internal_error":
                metrics.PROCESSING_ERRORS.labels(stage="sea").inc()
            await self.reject(event, reason, detail, orjson.dumps(record))

    async def flush_if_due(self) -> None:
        """The timer's flush, for when frames stop coming."""
        if self.frames and time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
            await self.flush()

    async def flush(self) -> None:
        """Make everything applied so far durable, then acknowledge its frames (in that order)."""
        async with self.lock:
            await self._guarded(self._flush())

    async def _flush(self) -> None:
        self.last_flush = time.monotonic()
        frames, self.frames = self.frames, []
        sends, self.sends = self.sends, []
        changes = {p: store.take() for p, store in self.stores.items()}
        await asyncio.gather(*sends)  # 1. what the frames sent, first
        changed = [(p, key, value) for p, found in changes.items() for key, value in found]
        if changed:
            await self.bulk.ready.wait()
            changelog = self.table.changelog_topic.get_topic_name()
            acks = await self.bulk.send_partitioned(changelog, changed)
            await asyncio.gather(*acks)  # 2, 3. each changed key written once, acknowledged
            for p, found in changes.items():
                self.stores[p].written(found)
        await self.acknowledge(frames)

    async def acknowledge(self, frames: list[Any]) -> None:
        """4. Only now may Faust commit the frames' offsets: what they did is durable."""
        if not frames:
            return
        current = self.table.app.consumer_generation_id
        assert self.stream is not None, "frames are acknowledged only by the running agent"
        for event in frames:
            if event.message.generation_id == current:  # else Faust reads it again anyway
                await self.stream.ack(event)

    async def _guarded(self, work: Any) -> None:
        try:
            await work
        except Exception as exc:
            await self._crash(exc)

    async def _crash(self, exc: BaseException) -> None:
        # A send or a write failed: state, output and offsets can no longer be kept in step
        # here. Stop the worker; its next start recovers the last durable state and reads
        # everything after it again. Nothing unsent is ever acknowledged.
        log.critical("sea: cannot make the stage's work durable, stopping: %r", exc)
        await self.table.app.crash(exc)
        raise exc

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
        acks: Acks = []
        for partition, watermark in list(self.watermarks.items()):
            if watermark is None or (self.announced.get(partition) == watermark and not again):
                continue
            self.announced[partition] = watermark
            progress = await self._progress(partition, watermark)
            acks += await send_sea(self.bulk, self.sea_topic, [], progress, everywhere=True)
        await asyncio.gather(*acks)

    async def on_revoked(self, *_: Any, **__: Any) -> None:
        """Partitions are moving: drop what was not flushed (the next owner repeats it) and
        the watermarks (their next owner announces them, from the table).

        Faust awaits this before the group moves on, and the lock waits for a flush under way,
        so no write of ours can land after the new owner has recovered the table."""
        async with self.lock:
            self.frames, self.sends = [], []
            self.stores.clear()
            self.watermarks.clear()
            self.announced.clear()
            self.clocks.clear()

    async def reject(self, event: EventT[bytes], reason: str, detail: str, raw: bytes) -> None:
        """Dead-letter a frame or one of its records, with its source (acknowledged before
        the frame is)."""
        sent = await send_dead_letter(
            self.topics["dead-letters"], event, reason, detail, raw, "sea"
        )
        self.sends.append(sent)


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
