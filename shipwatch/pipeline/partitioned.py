"""The track and sea stages over many partitions, in-process, in an order a scheduler picks.

The stream runs the track stage on each partition of the frames topic (by MMSI) and the sea
stage on each partition of the sea topic (by key), and the partitions run unevenly: one may be
days ahead of another in a replay, or stalled in a catch-up. The sea stage decides on
watermarks (`shipwatch.watermarks`), so that whatever the interleaving it decides what one
ordered file decides (`Detector`). This runner is that graph with one FIFO queue per partition
and a seeded scheduler that picks which partition reads next; tests replay a file under many
interleavings and compare the alerts with `Detector`'s. Pure: no broker, no Faust.

The protocol, as the stream's bindings keep it:
- the input is split over the raw partitions as `replay` keys it (JSON lines by MMSI, a
  sighting, which has no key, on any partition); ingest reads a chunk of one raw partition and
  sends each frames partition one frame: its vessels' records (sightings spread by id), then
  the raw partition's progress at level 0 (the newest event time read from it; idle once it
  has nothing left to read);
- a frames partition applies a frame (`track_batch`) and sends each sea partition one frame:
  the sea records of that partition's keys (none: a heartbeat), then its progress at level 1
  (the slowest raw partition's);
- a sea partition applies a frame (`sea_batch`) and, when it forwarded records or its level-1
  watermark moved, sends each sea partition one frame: the records of its keys, then that
  watermark at level 2;
- fence events go through the voyage, alert and cap stages, sea events through the alert stage,
  as in `Detector`;
- at the end of input, pending fixes are applied, every frames partition sends level 1 at
  infinity, and the queues are drained: the sea partitions announce infinity at level 2 as
  their own watermark gets there, and what they forward is applied until nothing is left.
"""

from __future__ import annotations

import random
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from alerts.context import RuleContext
from geofences import tracker
from geofences.index import FenceIndex
from shipwatch.ais.json_form import JsonRecord, as_json
from shipwatch.ais.records import AnyRecord
from shipwatch.ais.timefmt import EventTimes
from shipwatch.pipeline import partitioner
from shipwatch.pipeline.detector import DetectionError, Detector, Output
from shipwatch.pipeline.track_stage import track_batch
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.sea.stage import sea_batch
from shipwatch.sea.thresholds import SeaRules
from shipwatch.voyages import machine
from shipwatch.watermarks import (
    RAW_LEVEL,
    SEA_LEVEL,
    TRACK_LEVEL,
    Marks,
    Progress,
    low_watermark,
    note,
)

Record = dict[str, Any]
Policy = Literal["random", "ahead", "stalled"]
POLICIES: tuple[Policy, ...] = ("random", "ahead", "stalled")
# A partitioner for `n` partitions: what `shipwatch.pipeline.partitioner` makes (murmur2 mod n).
VesselPartitioner = Callable[[int], Callable[[int], int]]
KeyPartitioner = Callable[[int], Callable[[str], int]]
END = float("inf")  # the progress of a partition whose input has ended


def _nothing_stored(_mmsi: int) -> None:
    return None  # every partition starts from no state: it all lives in memory


def _new_tracks() -> WriteBack[VesselState]:
    return WriteBack(_nothing_stored, VesselState)


@dataclass(slots=True)
class _RawPartition:
    """One partition of the raw topic: what ingest has still to read, and how far it got."""

    number: int
    queue: deque[JsonRecord] = field(default_factory=deque)
    progress: float | None = None  # the newest event time read


@dataclass(slots=True)
class _FramesPartition:
    """One partition of the frames topic: the frames sent to it, its vessels, what it heard."""

    number: int
    queue: deque[tuple[list[JsonRecord], Progress]] = field(default_factory=deque)
    tracks: WriteBack[VesselState] = field(default_factory=_new_tracks)
    marks: Marks = field(default_factory=dict)  # each raw partition's progress, as told


@dataclass(slots=True)
class _SeaPartition:
    """One partition of the sea topic: the frames sent to it, and what it last announced."""

    number: int
    queue: deque[tuple[list[Record], Progress]] = field(default_factory=deque)
    announced: float | None = None  # its level-1 watermark as last sent on at level 2


class PartitionedRunner:
    """Runs ingest, the track and the sea stages over `raw`, `frames` and `sea` partitions in
    a scheduled order.

    `policy` picks the next partition to read: "random" (any partition with something to read,
    chunks of random size), "ahead" (raw and frames partition `chosen` read all their input
    first, days ahead of the others, then random), "stalled" (they read nothing until
    everything else is done, then catch up). `chosen` defaults to a seeded choice among the raw
    partitions with records. Without `idleness`, a raw partition with nothing left to read
    holds every watermark at its last time until the end of input."""

    def __init__(
        self,
        index: FenceIndex,
        ctx: RuleContext,
        sea_rules: SeaRules | None = None,
        *,
        frames: int = 1,
        sea: int = 1,
        raw: int | None = None,
        seed: int = 0,
        policy: Policy = "random",
        chosen: int | None = None,
        max_chunk: int = 64,
        idleness: bool = True,
        vessel_partitioner: VesselPartitioner | None = None,
        key_partitioner: KeyPartitioner | None = None,
    ) -> None:
        raw = frames if raw is None else raw  # one partition count for every topic, by default
        if frames < 1 or sea < 1 or raw < 1 or max_chunk < 1:
            raise ValueError("raw, frames, sea and max_chunk must be at least 1")
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}: one of {POLICIES}")
        if chosen is not None and not 0 <= chosen < frames:
            raise ValueError(f"chosen partition {chosen} is not one of the {frames} partitions")
        # Kafka's default partitioner unless told otherwise: what the stream's topics pick.
        vessel_partitioner = vessel_partitioner or partitioner.MmsiPartitioner
        key_partitioner = key_partitioner or partitioner.KeyPartitioner
        # After the partitions, everything runs as in `detect`: the detector's own voyage,
        # alert and cap stages (and its sea context), so that the two cannot drift apart.
        self.detector = Detector(index, ctx, sea_rules)
        self.index, self.ctx, self.sea = index, ctx, self.detector.sea
        # One store for every sea partition: their keys are distinct (each key lives on one
        # partition) and each partition's clock is its own key, `wm:<partition>`.
        self.sea_store = self.detector.sea_store
        self.policy: Policy = policy
        self.chosen = chosen
        self.max_chunk = max_chunk
        self.idleness = idleness
        self.rng = random.Random(seed)
        self._epoch = EventTimes()
        self.stale = 0
        self.steps = 0  # frames applied, on either stage: how finely the run was interleaved
        self._frame_of = vessel_partitioner(frames)
        self._raw_of = vessel_partitioner(raw)
        self._key_of = key_partitioner(sea)
        self._raws = [_RawPartition(r) for r in range(raw)]
        self._frames = [_FramesPartition(p) for p in range(frames)]
        self._seas = [_SeaPartition(q) for q in range(sea)]

    @property
    def tracks(self) -> dict[int, VesselState]:
        """Each vessel's tracker state, over every frames partition."""
        return {m: s for part in self._frames for m, s in part.tracks.states.items()}

    @property
    def voyages(self) -> dict[int, machine.VoyageState]:
        """Each vessel's voyage state."""
        return self.detector.voyages

    @property
    def cap_totals(self) -> dict[str, Any]:
        """The cap stage's totals by route and year."""
        return self.detector.cap_totals

    def run(self, records: Iterable[AnyRecord], *, flush: bool = True) -> list[Output]:
        """Everything the records lead to, in the scheduled order; then the end of input."""
        out = list(self._run([as_json(r) for r in records]))
        if flush:
            out += self.flush()
        return out

    def flush(self) -> list[Output]:
        """The end of a finite input: pending fixes applied, every watermark past everything."""
        out: list[Output] = []
        for part in self._frames:
            for mmsi in sorted(part.tracks.states):
                state = part.tracks.states[mmsi]
                if state.pending:
                    new_state, fence_events = tracker.numbered(
                        *tracker.flush(state, mmsi, self.index)
                    )
                    part.tracks.put(mmsi, new_state)
                    out += self._downstream(fence_events)
        # No more input is coming: every raw partition's progress is past everything.
        for raw in self._raws:
            raw.progress = END
            self._ingest_send(raw, [], idle=False)
        out += self._drain()
        return out

    def _run(self, records: list[JsonRecord]) -> Iterator[Output]:
        for record in records:
            self._raws[self._raw_partition_of(record)].queue.append(record)
        if self.idleness:
            # A partition with nothing to read says so at once, as ingest does after a quiet
            # while; else it would hold the watermark of every sea partition forever.
            for raw in self._raws:
                if not raw.queue:
                    self._ingest_send(raw, [], idle=True)
        if self.chosen is None and self.policy != "random":
            busy = [raw.number for raw in self._raws if raw.queue]
            self.chosen = self.rng.choice(busy) if busy else 0
        yield from self._drain()

    def _raw_partition_of(self, record: JsonRecord) -> int:
        """The raw partition `replay` writes a record to: by MMSI; a sighting or a scene,
        unkeyed, to any."""
        if record["kind"] in ("sighting", "scene"):
            return self.rng.randrange(len(self._raws))
        return self._raw_of(record["mmsi"])

    def _read_raw(self, raw: _RawPartition) -> None:
        """Ingest: a chunk of one raw partition into frames, each partition told its progress."""
        size = min(self.rng.randint(1, self.max_chunk), len(raw.queue))
        chunk = [raw.queue.popleft() for _ in range(size)]
        for record in chunk:
            t = self._epoch(record["ts"])
            raw.progress = t if raw.progress is None or t > raw.progress else raw.progress
        self._ingest_send(raw, chunk, idle=self.idleness and not raw.queue)

    def _ingest_send(self, raw: _RawPartition, records: list[JsonRecord], idle: bool) -> None:
        framed: dict[int, list[JsonRecord]] = {}
        for record in records:
            framed.setdefault(self._partition_of(record), []).append(record)
        progress = Progress(RAW_LEVEL, raw.number, len(self._raws), raw.progress, idle)
        for part in self._frames:
            part.queue.append((framed.get(part.number, []), progress))

    def _partition_of(self, record: JsonRecord) -> int:
        """The frames partition a record is read from, as ingest routes it."""
        if record["kind"] == "sighting":  # no vessel: spread over the frames by its id
            return self._frame_of(zlib.crc32(record["sighting_id"].encode()))
        if record["kind"] == "scene":
            return self._frame_of(zlib.crc32(record["scene_id"].encode()))
        return self._frame_of(record["mmsi"])

    def _drain(self) -> Iterator[Output]:
        """Apply frames, one at a time from a partition the policy picks, until none is left."""
        while ready := self._ready():
            part = self.rng.choice(ready)
            self.steps += 1
            if isinstance(part, _RawPartition):
                self._read_raw(part)
            elif isinstance(part, _FramesPartition):
                yield from self._read_frames(part)
            else:
                yield from self._read_sea(part)

    def _ready(self) -> list[_RawPartition | _FramesPartition | _SeaPartition]:
        """The partitions the policy lets read next: `chosen` is a raw partition and the frames
        partition of the same number (with one count for both, its vessels' own)."""
        raws = [raw for raw in self._raws if raw.queue]
        frames = [part for part in self._frames if part.queue]
        seas = [part for part in self._seas if part.queue]
        if self.chosen is not None:
            chosen_raw = self._raws[self.chosen % len(self._raws)]
            chosen = self._frames[self.chosen % len(self._frames)]
            if self.policy == "ahead":
                if chosen_raw.queue:
                    raws = [chosen_raw]  # the others have not started: it runs days ahead
                if chosen.queue:
                    frames = [chosen]
            elif self.policy == "stalled":
                others = len(raws) + len(frames) + len(seas)
                if chosen_raw.queue and others > 1:
                    raws = [raw for raw in raws if raw is not chosen_raw]
                if chosen.queue and (len(frames) > 1 or raws or seas):
                    frames = [part for part in frames if part is not chosen]
        return [*raws, *frames, *seas]

    def _read_frames(self, part: _FramesPartition) -> Iterator[Output]:
        """One frame of a frames partition through the track stage; its sea records sent on."""
        frame, raw_progress = part.queue.popleft()
        batch = track_batch(part.tracks, frame, self.index, self.sea)
        if batch.failed:
            _, failed, detail = batch.failed[0]
            raise DetectionError(f"the track stage failed on {failed}: {detail}")
        self.stale += batch.stale
        note(part.marks, raw_progress)
        yield from self._downstream(batch.events)
        yield from self._sea_events(batch.sea.events)
        # Its progress is the slowest raw partition's it has heard of, as in the stream.
        t = low_watermark(part.marks, RAW_LEVEL)
        self._send(batch.sea.records, Progress(TRACK_LEVEL, part.number, len(self._frames), t))

    def _read_sea(self, part: _SeaPartition) -> Iterator[Output]:
        """One frame of a sea partition through the sea stage; what it forwards sent on."""
        records, progress = part.queue.popleft()
        rules, zones = self.sea.rules, self.sea.zones
        batch = sea_batch(self.sea_store, records, rules, zones, part.number, progress)
        for rec, reason, detail in batch.refused:
            if reason == "internal_error":
                raise DetectionError(f"the sea stage failed on {rec}: {detail}")
            yield Output("dead-letters", {"reason": reason, "detail": detail, "record": rec})
        yield from self._sea_events(batch.events)
        # Announcing only what moved keeps the heartbeats finite: a level-2 frame never moves
        # the receiver's level-1 watermark, so it makes no announcement of its own.
        if batch.forward or batch.watermark != part.announced:
            part.announced = batch.watermark
            n = len(self._seas)
            self._send(batch.forward, Progress(SEA_LEVEL, part.number, n, batch.watermark))

    def _send(self, records: list[Record], progress: Progress) -> None:
        """One frame to every sea partition: its keys' records (maybe none), then `progress`."""
        framed: dict[int, list[Record]] = {}
        for record in records:
            framed.setdefault(self._key_of(record["key"]), []).append(record)
        for part in self._seas:
            part.queue.append((framed.get(part.number, []), progress))

    def _downstream(self, fence_events: list[Record]) -> Iterator[Output]:
        return self.detector._downstream(fence_events)  # the voyage, alert and cap stages

    def _sea_events(self, events: list[Record]) -> Iterator[Output]:
        return self.detector._sea_events(events)  # sea events through the alert stage
