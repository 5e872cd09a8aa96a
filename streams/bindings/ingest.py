"""The ingest binding: a plain aiokafka consumer group over the raw topic, batch in, batch out.

Stateless like the webhook sink (multipart NMEA aside), so it needs no Faust table and pays no
Faust cost per message. Each `getmany` is decoded and routed by `pipeline.ingest_stage`, sent as
one batch per partition per topic, and its offsets are committed only once every record and
frame it gave is acknowledged: a crash repeats a batch, never skips one. Each offset is
committed with its partition's event-time progress, where the partition's next owner takes it
up (a partition read to its end before it moved has nothing more to tell it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError, KafkaError

from geofences.map_areas import MapAreas
from shipwatch import metrics
from shipwatch.history.thinning import Thinner
from shipwatch.pipeline.ingest_stage import IngestStage, Routed, Routing
from shipwatch.settings import Settings
from streams.kafka.bulk_producer import Acks, BulkProducer
from streams.kafka.config import client_options

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 5.0  # every raw partition's progress told again this often
MAX_RECORDS = 5000  # raw messages per getmany: frames of several hundred positions each
FETCH_MIN_BYTES = 64 * 1024  # as the Faust consumer (streams/faust_patches/fetch_tuning.py)
FETCH_MAX_WAIT_MS = 50
IN_FLIGHT = 3  # batches sent and not yet acknowledged while the next ones are decoded
RESUME_TRIES = 3  # reads of the committed progress at an assignment (a coordinator may be
RESUME_WAIT_S = 1.0  # loading after a broker restart), this far apart, before the loop stops
# What a batch lets commit: each raw partition's next offset, and its progress after the
# batch as that offset's metadata (`progress_metadata`).
Commits = dict[TopicPartition, tuple[int, str]]


def progress_metadata(t: float | None) -> str:
    """A raw partition's progress as its committed offset's metadata: the newest event time
    of the records before that offset (Kafka keeps up to 4 KiB of text beside each offset)."""
    return "" if t is None else orjson.dumps({"progress": t}).decode()


def progress_of(metadata: str | None) -> float | None:
    """The progress committed with an offset; None if there is none (an older release's
    commit, or another client's)."""
    try:
        found = orjson.loads(metadata or "null")
        t = found.get("progress") if isinstance(found, dict) else None
        return float(t) if isinstance(t, (int, float)) else None
    except orjson.JSONDecodeError:
        return None


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, ingest: Ingest, stage: IngestStage, consumer: AIOKafkaConsumer) -> None:
        self.ingest, self.stage, self.consumer = ingest, stage, consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Commit what is already sent, so that the next owner repeats as little as possible.
        try:
            await self.ingest.commit_sent(self.consumer, wait=True)
        except Exception as exc:
            # aiokafka only logs what a listener raises: the loop must stop on it instead,
            # committing nothing more (the restarted loop reads the unacknowledged batch again).
            self.ingest.failure = exc
        finally:
            for tp in revoked:
                self.stage.forget(tp.partition)
                # Its quiet time starts again with its next owner: a partition that comes back
                # here is not told idle before it has been watched for the whole wait.
                self.ingest.quiet.pop(tp.partition, None)
                self.ingest.last_seen.pop(tp.partition, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("ingest: assigned %d raw partition(s)", len(assigned))
        try:
            await self.ingest.resume(self.stage, assigned)
        except Exception as exc:
            # As above: the loop stops on it (and is restarted), rather than tell partitions
            # whose progress it could not read as having none.
            self.ingest.failure = exc


def _log_failed_heartbeat(ack: asyncio.Future[Any]) -> None:
    if not ack.cancelled() and ack.exception() is not None:
        log.warning("ingest: a progress heartbeat was not sent: %r", ack.exception())


class Ingest:
    """The raw topic's consumer loop inside the worker.

    Batches are pipelined: while one batch's records wait for the broker, the next is fetched
    and decoded (waiting would leave the worker's core idle about a tenth of the time). Offsets
    are still committed in order, each batch's only once all it sent is acknowledged."""

    def __init__(self, settings: Settings, producer: BulkProducer, areas: MapAreas) -> None:
        self.settings = settings
        self.producer = producer
        self.areas = areas
        self.raw_topic = settings.topic("ais-raw")
        self.quiet: dict[int, float] = {}  # raw partition -> monotonic time of its last message
        self.last_seen: dict[int, float] = {}  # the same, kept: when each went quiet
        self.last_beat = 0.0  # when every raw partition's progress was last told again
        # In fetch order: what each batch lets commit, and its sends' acks.
        self.sent: deque[tuple[Commits, asyncio.Future[Any]]] = deque()
        self.admin: AIOKafkaAdminClient | None = None  # reads the progress committed
        # The loop and the rebalance listener both commit: one at a time, so that a later
        # batch's offsets are never committed while an earlier batch still waits for its acks.
        self.committing = asyncio.Lock()
        self.failure: BaseException | None = None  # a send that failed where it cannot raise
        # Bound once: a labels() lookup per batch would be wasted work.
        self.taken = metrics.STAGE_MESSAGES.labels(stage="ingest")
        self.decoded = metrics.STAGE_RECORDS.labels(stage="ingest")
        self.spent = metrics.STAGE_SECONDS.labels(stage="ingest")

    async def run(self) -> None:
        """Consume, decode, send; commit what the broker has acknowledged; forever."""
        await self.producer.ready.wait()
        frames = await self.producer.partitioner(self.settings.topic("frames"))

        def on_map(lat: float, lon: float) -> bool:
            return self.areas.area_of(lat, lon) is not None

        history = None
        if self.settings.history:
            history = Thinner(self.settings.history_thin_s, self.settings.history_turn_deg)
        raw_count = len(await self.producer.partitions(self.raw_topic))
        routing = Routing(frames, on_map, history, frames.partitions, raw_count)
        stage = IngestStage(self.raw_topic, routing)
        consumer = AIOKafkaConsumer(
            **client_options(self.settings),
            group_id=f"{self.settings.namespace}.ingest",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_min_bytes=FETCH_MIN_BYTES,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        consumer.subscribe([self.raw_topic], listener=_Rebalance(self, stage, consumer))
        self.sent.clear()  # a restarted loop: what was in flight is read again
        self.failure = None
        self.admin = AIOKafkaAdminClient(**client_options(self.settings))
        await self.admin.start()
        await consumer.start()
        try:
            while True:
                # Short polls while something awaits its commit, so that it is not held back.
                timeout_ms = 100 if self.sent else 1000
                batches = await consumer.getmany(timeout_ms=timeout_ms, max_records=MAX_RECORDS)
                if self.failure is not None:
                    raise self.failure
                if batches:
                    commits: Commits = {}
                    acks = await self._batch(stage, batches, consumer, commits)
                    self.sent.append((commits, asyncio.gather(*acks)))
                await self.commit_sent(consumer, wait=len(self.sent) > IN_FLIGHT)
                await self._expire_quiet(stage)
                await self._tell_progress(stage, consumer)
        finally:
            await consumer.stop()
            await self.admin.close()

    async def resume(self, stage: IngestStage, assigned: set[TopicPartition]) -> None:
        """Each newly assigned raw partition's progress, from the metadata of its committed
        offset: a new owner with nothing left to read still tells where that partition got."""
        if not assigned or self.admin is None:
            return
        group = f"{self.settings.namespace}.ingest"
        for attempt in range(1, RESUME_TRIES + 1):
            try:
                committed = await self.admin.list_consumer_group_offsets(
                    group, partitions=[*assigned]
                )
                break
            except (KafkaError, OSError) as exc:
                # Never told as unknown instead: idle with no progress, such a partition let
                # the watermark fall back to the other partitions' times.
                log.warning("ingest: cannot read the committed progress (%d): %r", attempt, exc)
                if attempt == RESUME_TRIES:
                    raise
                await asyncio.sleep(RESUME_WAIT_S)
        for tp, found in committed.items():
            stage.resume(tp.partition, progress_of(found.metadata))

    async def commit_sent(self, consumer: AIOKafkaConsumer, wait: bool) -> None:
        """Commit, in order, the batches whose records the broker has acknowledged (with
        `wait`, all of them, waiting); a failed send raises here, committing nothing after."""
        async with self.committing:
            if self.failure is not None:
                raise self.failure  # an earlier batch was lost: nothing after it may commit
            committed: Commits = {}
            while self.sent and (wait or self.sent[0][1].done()):
                commits, acknowledged = self.sent.popleft()
                await acknowledged
                committed.update(commits)
            if not committed:
                return
            try:
                await consumer.commit(committed)
            except (CommitFailedError, KafkaError) as exc:
                # A rebalance took the partitions: their next owner decodes these again.
                log.warning("ingest: commit failed, batches will be decoded again: %s", exc)

    async def _batch(
        self,
        stage: IngestStage,
        batches: dict[TopicPartition, list[Any]],
        consumer: AIOKafkaConsumer,
        commits: Commits,
    ) -> Acks:
        """Decode, route and send a fetch; `commits` gets each partition's next offset with its
        progress after it (read as each is decoded: a revocation during a later send forgets
        the stage's), which the partition's next owner starts from (`resume`)."""
        started = time.perf_counter()
        acks: Acks = []
        now = time.monotonic()
        # Before this batch moves any progress on: a raw partition told idle that has input
        # again (written with this batch's, say) must hold the others back first.
        acks += await self._wake(stage, consumer, now, batches)
        for tp, messages in batches.items():
            self.quiet[tp.partition] = now
            self.last_seen[tp.partition] = now
            routed = stage.batch(tp.partition, messages, now)
            after = stage.progress.get(tp.partition)
            commits[tp] = (messages[-1].offset + 1, progress_metadata(after))
            self.decoded.inc(len(messages))
            self.taken.inc(len(messages))
            acks += await self._send(routed)
        self.spent.observe(time.perf_counter() - started)
        return acks

    async def _send(self, routed: Routed) -> Acks:
        t = self.settings.topic
        send = self.producer
        acks = await send.send_keyed(t("positions"), routed.positions)
        acks += await send.send_keyed(t("statics"), routed.statics)
        acks += await send.send_keyed(t("nearby"), routed.nearby)
        acks += await send.send_partitioned(t("history"), ((p, None, f) for p, f in routed.history))
        acks += await send.send_partitioned(t("frames"), ((p, None, f) for p, f in routed.frames))
        for key, value in routed.dead_letters:
            acks += await send.send_one(t("dead-letters"), key, value)
        for sighting_id, value in routed.sightings:  # rare: as received, for outside readers
            acks += await send.send_one(t("sightings"), sighting_id.encode(), value)
        for reason, count in routed.rejected.items():
            metrics.REJECTED.labels(reason=reason).inc(count)
        for name, count in routed.invalid_fields.items():
            metrics.INVALID_FIELDS.labels(field=name).inc(count)
        return acks

    async def _caught_up(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> set[int]:
        """The raw partitions with nothing left to read, asked of the broker now."""
        if not tps:
            return set()
        ends = await consumer.end_offsets(tps)
        return {tp.partition for tp in tps if await consumer.position(tp) >= ends[tp]}

    async def _wake(
        self,
        stage: IngestStage,
        consumer: AIOKafkaConsumer,
        now: float,
        batches: dict[TopicPartition, list[Any]],
    ) -> Acks:
        """Frames telling that raw partitions told idle have input again: in this fetch, or
        still to read."""
        idle = [tp for tp in consumer.assignment() if stage.idle_told(tp.partition)]
        if not idle:
            return []
        # One whose input is all in this fetch is already read to its end: caught up, yet awake.
        done = await self._caught_up(consumer, [tp for tp in idle if tp not in batches])
        frames = [f for tp in idle if tp.partition not in done for f in stage.heartbeat(
            tp.partition, idle=False, now=now)]  # fmt: skip
        return await self.producer.send_partitioned(
            self.settings.topic("frames"), ((p, None, f) for p, f in frames)
        )

    async def _tell_progress(self, stage: IngestStage, consumer: AIOKafkaConsumer) -> None:
        """Tell the frames partitions which raw partitions are idle (quiet for
        `watermark_idle_s` and nothing left to read), and every raw partition's progress again
        every `HEARTBEAT_EVERY_S`: a frames partition that moved to another worker rebuilds
        it from what it reads."""
        now = time.monotonic()
        owned = consumer.assignment()
        for tp in owned:
            self.last_seen.setdefault(tp.partition, now)  # newly assigned: the wait starts now
        quiet = [
            tp
            for tp in owned
            if now - self.last_seen[tp.partition] >= self.settings.watermark_idle_s
            and not stage.idle_told(tp.partition)
        ]
        idle = await self._caught_up(consumer, quiet)
        every = now - self.last_beat >= HEARTBEAT_EVERY_S
        if every:
            self.last_beat = now
        frames = []
        for tp in owned:
            # Idle until input comes again (`_wake`, before the batch that brings it).
            is_idle = tp.partition in idle or stage.idle_told(tp.partition)
            frames += stage.heartbeat(tp.partition, is_idle, now, every=every)
        if frames:
            acks = await self.producer.send_partitioned(
                self.settings.topic("frames"), ((p, None, f) for p, f in frames)
            )
            # Not waited for here (the loop goes on fetching): a heartbeat commits nothing, and
            # one lost is told again within seconds; a failure is logged.
            for ack in acks:
                ack.add_done_callback(_log_failed_heartbeat)

    async def _expire_quiet(self, stage: IngestStage) -> None:
        """Dead-letter the unfinished multiparts of raw partitions quiet for too long."""
        quiet_since = time.monotonic() - self.settings.multipart_idle_s
        for partition, last in list(self.quiet.items()):
            if last <= quiet_since:
                del self.quiet[partition]
                routed = stage.finish(partition)
                await asyncio.gather(*await self._send(routed))
