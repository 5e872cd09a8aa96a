"""The track stage bound to Kafka: frames in, fence events out, vessel states flushed in bulk.

Faust costs about 130 µs per consumed record whatever the agent does, so positions come in
frames of hundreds, and the agent acknowledges nothing itself (`noack`). About once a second,
a flush makes the batch's effects durable in this order:
  1. wait until every fence event sent since the last flush is acknowledged;
  2. write each changed vessel's state once to the `tracks` changelog, one batch per partition,
     partitioned as the frames are (murmur2 of the MMSI key), so table and input stay together;
  3. wait for those writes;
  4. only then acknowledge the frames, whose offsets Faust commits afterwards.
Offsets never get ahead of durable state, and state is never durable without its events. When
partitions move, everything not flushed is dropped: the new owner reads those frames again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any, cast

import orjson
from faust import Stream
from faust.types import AppT, EventT, StreamT, TableT

from geofences.index import FenceIndex
from geofences.track_state import fences_of
from shipwatch import metrics
from shipwatch.pipeline.frames import parse_frame
from shipwatch.pipeline.partitioner import key_of
from shipwatch.pipeline.track_stage import TrackBatch, track_batch
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.sea.sampler import SeaContext
from shipwatch.watermarks import RAW_LEVEL, TRACK_LEVEL, Marks, Progress, low_watermark, note
from streams.bindings.guard import send_dead_letter
from streams.bindings.sea import TELL_AGAIN_S, send_events, send_sea
from streams.kafka.bulk_producer import BulkProducer

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 1.0  # how much work a crash may repeat, and how late offsets are committed


class TrackBinding:
    """The state, the unacknowledged frames and the flush of one worker's track stage.

    One lock orders the three things that touch them: applying a frame (with its sends), a
    flush, and a revocation. So a flush never takes a frame half sent, and partitions never
    move while a flush still writes to them."""

    def __init__(
        self,
        app: AppT,
        topics: dict[str, Any],
        table: TableT[bytes, bytes],
        index: FenceIndex,
        bulk: BulkProducer,
        sea: SeaContext | None = None,
    ) -> None:
        self.app, self.topics, self.table, self.index, self.bulk = app, topics, table, index, bulk
        self.sea = sea
        # Each owned frames partition's word from every raw partition (ingest tells each frames
        # partition every raw partition's progress, after the records it covers), and the
        # frames partition's own progress last told to every sea partition: the slowest raw
        # partition's. Rebuilt from the frames after a rebalance (ingest repeats itself).
        self.marks: dict[int, Marks] = {}
        self.told: dict[int, float | None] = {}
        self.last_told_all = 0.0  # monotonic: when every partition's progress was told again
        self.states: WriteBack[VesselState] = WriteBack(self._load, VesselState)
        self.stream: Stream[bytes] | None = None  # the agent's noack stream: it acks the frames
        self.frames: list[Any] = []  # consumed since the last flush, not yet acknowledged
        self.sends: list[Any] = []  # fence events and dead letters sent since the last flush
        self.last_flush = time.monotonic()
        self.flushing_since: float | None = None  # monotonic, while a flush is under way
        self.lock = asyncio.Lock()
        self.taken = metrics.STAGE_MESSAGES.labels(stage="track")
        self.applied = metrics.STAGE_RECORDS.labels(stage="track")
        self.spent = metrics.STAGE_SECONDS.labels(stage="track")
        self.flushed = metrics.STAGE_RECORDS.labels(stage="flush")
        self.flush_spent = metrics.STAGE_SECONDS.labels(stage="flush")

    def _load(self, mmsi: int) -> VesselState | None:
        value = self.table.data.get(key_of(mmsi))
        return VesselState.from_json(value) if value else None

    async def run(self, stream: StreamT[Any]) -> None:
        """The agent: every frame applied at once, acknowledged by a later flush."""
        # Faust hands an agent its Stream, whose noack() the protocol StreamT does not name.
        own = cast("Stream[bytes]", stream)
        self.stream = noack = cast("Stream[bytes]", own.noack())
        async for event in noack.events():
            self.taken.inc()
            await self.apply(event)
            if time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
                await self.flush()

    async def apply(self, event: EventT[bytes]) -> None:
        """Take one frame: it is acknowledged by the first flush after all its sends."""
        async with self.lock:
            self.frames.append(event)
            await self._guarded(self.on_frame(event))

    async def on_frame(self, event: EventT[bytes]) -> None:
        """Apply one frame's records and send the fence events they make."""
        started = time.perf_counter()
        try:
            records, raw_progress = parse_frame(event.value)
        except (ValueError, KeyError, TypeError) as exc:
            await self.reject(event, "bad_frame", str(exc), event.value or b"")
            return
        # One record's failure costs that record; fixes of slow vessels at sea go on to the sea.
        batch = track_batch(self.states, records, self.index, self.sea)
        self.spent.observe(time.perf_counter() - started)
        self._count(batch)
        here = event.message.partition
        marks = self.marks.setdefault(here, {})
        if raw_progress is not None:
            note(marks, raw_progress)
        fence_events = self.topics["geofence-events"]
        for ev in batch.events:
            if "fence" in ev:
                metrics.GEOFENCE_EVENTS.labels(fence=ev["fence"], kind=ev["kind"]).inc()
            value = orjson.dumps(ev)
            self.sends.append(await fence_events.send(key=key_of(ev["mmsi"]), value=value))
        if batch.sea.records:  # behind this partition's progress, which covers them
            sea_topic = self.topics["sea"].get_topic_name()
            progress = await self._progress(here, low_watermark(marks, RAW_LEVEL))
            self.sends += await send_sea(self.bulk, sea_topic, batch.sea.records, progress)
        if batch.sea.events:
            metrics.count_sea_events(batch.sea.events)
            self.sends += await send_events(
                self.bulk, self.topics["voyage-events"], batch.sea.events
            )
        for i, record, detail in batch.failed:
            metrics.PROCESSING_ERRORS.labels(stage="track").inc()
            await self.reject(event, "internal_error", detail, orjson.dumps(record), record=i)

    def _count(self, batch: TrackBatch) -> None:
        self.applied.inc(batch.positions + batch.statics)
        metrics.POSITIONS.inc(batch.positions)
        metrics.STALE_POSITIONS.inc(batch.stale)
        now = time.time()
        metrics.observe_all(metrics.EVENT_LAG, [now - t for t in batch.event_times])

    async def reject(
        self, event: EventT[bytes], reason: str, detail: str, raw: bytes, **where: int
    ) -> None:
        """Dead-letter a frame, or one record of it, with its source."""
        topic = self.topics["dead-letters"]
        sent = await send_dead_letter(topic, event, reason, detail, raw, "track", **where)
        self.sends.append(sent)

    async def flush_if_due(self) -> None:
        """The timer's flush, for when frames stop coming."""
        if self.frames and time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
            await self.flush()

    async def progress_if_due(self) -> None:
        """The timer's heartbeat: each owned frames partition's progress, where it moved."""
        if self.sea is not None:
            async with self.lock:
                await self._guarded(self.tell_progress())

    async def _progress(self, partition: int, t: float | None) -> Progress:
        frames = self.topics["frames"].get_topic_name()
        sources = len(await self.bulk.partitions(frames))
        return Progress(TRACK_LEVEL, partition, sources, t)

    async def tell_progress(self) -> None:
        """Tell every sea partition how far each owned frames partition has got (a heartbeat:
        the sea stage decides only up to the slowest), where that changed, and all of it again
        every `TELL_AGAIN_S` (a sea partition's new owner recovers older progress)."""
        await self.bulk.ready.wait()
        sea_topic = self.topics["sea"].get_topic_name()
        now = time.monotonic()
        again = now - self.last_told_all >= TELL_AGAIN_S
        if again:
            self.last_told_all = now
        for partition, marks in sorted(self.marks.items()):
            t = low_watermark(marks, RAW_LEVEL)
            if partition in self.told and self.told[partition] == t and not again:
                continue
            self.told[partition] = t
            progress = await self._progress(partition, t)
            self.sends += await send_sea(self.bulk, sea_topic, [], progress, everywhere=True)

    async def flush(self) -> None:
        """Make everything applied so far durable, then acknowledge its frames (in that order)."""
        async with self.lock:
            await self._guarded(self._flush())

    def flushing_for(self) -> float:
        """How long the flush under way has taken so far; 0 when none is (for /readyz)."""
        since = self.flushing_since
        return 0.0 if since is None else time.monotonic() - since

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:
            # A send or a write failed: state, events and offsets can no longer be kept in step
            # here. Stop the worker; its next start recovers the last durable states and reads
            # everything after them again. Nothing unsent is ever acknowledged.
            log.critical("track: cannot make the stage's work durable, stopping: %r", exc)
            await self.app.crash(exc)
            raise

    async def _flush(self) -> None:
        self.last_flush = self.flushing_since = time.monotonic()
        try:
            await self._write_back()
        finally:
            self.flushing_since = None

    async def _write_back(self) -> None:
        frames, self.frames = self.frames, []
        sends, self.sends = self.sends, []
        await self.bulk.ready.wait()
        started = time.perf_counter()
        values = {mmsi: state.to_json() for mmsi, state in self.states.take().items()}
        self.flushed.inc(len(values))
        await asyncio.gather(*sends)  # 1. the events first
        changelog = self.table.changelog_topic.get_topic_name()
        acks = await self.bulk.send_keyed(changelog, values.items())
        self.flush_spent.observe(time.perf_counter() - started)
        await asyncio.gather(*acks)  # 2, 3. the states, written once each, acknowledged
        data = self.table.data
        for mmsi, value in values.items():
            data[key_of(mmsi)] = value
        await self.acknowledge(frames)

    async def acknowledge(self, frames: list[Any]) -> None:
        """4. Only now may Faust commit the frames' offsets: what they did is durable."""
        current = self.app.consumer_generation_id
        assert self.stream is not None, "frames are acknowledged only by the running agent"
        for event in frames:
            if event.message.generation_id == current:  # else Faust reads it again anyway
                await self.stream.ack(event)

    async def on_revoked(self, *_: Any, **__: Any) -> None:
        """Partitions are moving: drop what was not flushed; the next owner repeats it.

        Faust awaits this before the group moves on, and the lock waits for a flush under way,
        so no write of ours can land after the new owner has recovered the table."""
        async with self.lock:
            self.states.drop()
            self.frames, self.sends = [], []
            # The next owners tell the moved partitions' progress, from the frames they read.
            self.marks.clear()
            self.told.clear()

    def vessels_in_fences(self) -> dict[str, int]:
        """Vessels inside each fence among this worker's stored states."""
        counts: dict[str, int] = {}
        for value in list(self.table.data.values()):
            for fence in fences_of(value):
                counts[fence] = counts.get(fence, 0) + 1
        return counts
