"""The track and sea stages over many partitions, in-process, in an order a scheduler picks.

The stream runs the track stage on each partition of the frames topic (by MMSI) and the sea
stage on each partition of the sea topic (by key), and the partitions run unevenly: one may be
days ahead of another in a replay, or stalled in a catch-up. The sea stage decides on
watermarks (`shipwatch.watermarks`), so that whatever the interleaving it decides what one
ordered file decides (`Detector`). This runner is that graph with one FIFO queue per partition
and a seeded scheduler that picks which partition reads next; tests replay a file under many
interleavings and compare the alerts with `Detector`'s. Pure: no broker, no Faust.

The protocol, as the stream's bindings keep it:
- a frames partition applies a frame (`track_batch`) and sends each sea partition one frame:
  the sea records of that partition's keys (none: a heartbeat), then its progress at level 1
  (the newest event time it has read; idle once it has nothing left to read);
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

from ais.json_form import JsonRecord, as_json
from ais.records import AnyRecord
from alerts.rules import RuleContext
from geofences import tracker
from geofences.index import FenceIndex
from pipeline.detector import DetectionError, Detector, Output
from pipeline.track_stage import track_batch
from pipeline.write_back import WriteBack
from sea.rules import SeaRules
from sea.stage import sea_batch
from shipwatch.watermarks import SEA_LEVEL, TRACK_LEVEL, Progress
from voyages import machine

Record = dict[str, Any]
Policy = Literal["random", "ahead", "stalled"]
POLICIES: tuple[Policy, ...] = ("random", "ahead", "stalled")
# A partitioner for `n` partitions: what `streams.kafka.partitioner` makes (murmur2 mod n).
VesselPartitioner = Callable[[int], Callable[[int], int]]
KeyPartitioner = Callable[[int], Callable[[str], int]]
END = float("inf")  # the progress of a partition whose input has ended


def _nothing_stored(_mmsi: int) -> None:
    return None  # every partition starts from no state: it all lives in memory


def _new_tracks() -> WriteBack[tracker.TrackState]:
    return WriteBack(_nothing_stored, tracker.TrackState)


@dataclass(slots=True)
class _FramesPartition:
    """One partition of the frames topic: what it has still to read, its vessels, its time."""

    number: int
    queue: deque[JsonRecord] = field(default_factory=deque)
    tracks: WriteBack[tracker.TrackState] = field(default_factory=_new_tracks)
    progress: float | None = None  # the newest event time it has read


@dataclass(slots=True)
class _SeaPartition:
    """One partition of the sea topic: the frames sent to it, and what it last announced."""

    number: int
    queue: deque[tuple[list[Record], Progress]] = field(default_factory=deque)
    announced: float | None = None  # its level-1 watermark as last sent on at level 2


class PartitionedRunner:
    """Runs the track and sea stages over `frames` and `sea` partitions in a scheduled order.

    `policy` picks the next partition to read: "random" (any partition with something to read,
    frames of random size), "ahead" (partition `chosen` of the frames reads all its input
    first, days ahead of the others, then random), "stalled" (partition `chosen` reads nothing
    until everything else is done, then catches up). `chosen` defaults to a seeded choice among
    the frames partitions with records. Without `idleness`, a frames partition with nothing
    left to read holds the level-1 watermark at its last time until the end of input."""

    def __init__(
        self,
        index: FenceIndex,
        ctx: RuleContext,
        sea_rules: SeaRules | None = None,
        *,
        frames: int = 1,
        sea: int = 1,
        seed: int = 0,
        policy: Policy = "random",
        chosen: int | None = None,
        max_chunk: int = 64,
        idleness: bool = True,
        vessel_partitioner: VesselPartitioner | None = None,
        key_partitioner: KeyPartitioner | None = None,
    ) -> None:
        if frames < 1 or sea < 1 or max_chunk < 1:
            raise ValueError("frames, sea and max_chunk must be at least 1")
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}: one of {POLICIES}")
        if chosen is not None and not 0 <= chosen < frames:
            raise ValueError(f"chosen partition {chosen} is not one of the {frames} partitions")
        if vessel_partitioner is None or key_partitioner is None:
            # Kafka's default partitioner, as the stream's topics pick (murmur2 of the key):
            # imported only here, so that importing this module pulls in no Kafka client.
            from streams.kafka import partitioner as kafka

            vessel_partitioner = vessel_partitioner or kafka.MmsiPartitioner
            key_partitioner = key_partitioner or kafka.KeyPartitioner
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
        self.stale = 0
        self.steps = 0  # frames applied, on either stage: how finely the run was interleaved
        self._frame_of = vessel_partitioner(frames)
        self._key_of = key_partitioner(sea)
        self._frames = [_FramesPartition(p) for p in range(frames)]
        self._seas = [_SeaPartition(q) for q in range(sea)]

    @property
    def tracks(self) -> dict[int, tracker.TrackState]:
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
        n = len(self._frames)
        for part in self._frames:
            for mmsi in sorted(part.tracks.states):
                state = part.tracks.states[mmsi]
                if state.pending:
                    new_state, fence_events = tracker.numbered(
                        *tracker.flush(state, mmsi, self.index)
                    )
                    part.tracks.put(mmsi, new_state)
                    out += self._downstream(fence_events)
            # No more input is coming from this partition: its progress is past everything.
            self._send([], Progress(TRACK_LEVEL, part.number, n, END))
        out += self._drain()
        return out

    def _run(self, records: list[JsonRecord]) -> Iterator[Output]:
        for record in records:
            self._frames[self._partition_of(record)].queue.append(record)
        n = len(self._frames)
        if self.idleness:
            # A partition with nothing to read says so at once, as the stream's do after a
            # quiet while; else it would hold the watermark of every sea partition forever.
            for part in self._frames:
                if not part.queue:
                    self._send([], Progress(TRACK_LEVEL, part.number, n, part.progress, True))
        if self.chosen is None and self.policy != "random":
            busy = [part.number for part in self._frames if part.queue]
            self.chosen = self.rng.choice(busy) if busy else 0
        yield from self._drain()

    def _partition_of(self, record: JsonRecord) -> int:
        """The frames partition a record is read from, as ingest routes it."""
        if record["kind"] == "sighting":  # no vessel: spread over the frames by its id
            return self._frame_of(zlib.crc32(record["sighting_id"].encode()))
        return self._frame_of(record["mmsi"])

    def _drain(self) -> Iterator[Output]:
        """Apply frames, one at a time from a partition the policy picks, until none is left."""
        while ready := self._ready():
            part = self.rng.choice(ready)
            self.steps += 1
            if isinstance(part, _FramesPartition):
                yield from self._read_frames(part)
            else:
                yield from self._read_sea(part)

    def _ready(self) -> list[_FramesPartition | _SeaPartition]:
        """The partitions the policy lets read next."""
        frames = [part for part in self._frames if part.queue]
        seas = [part for part in self._seas if part.queue]
        if self.chosen is not None:
            chosen = self._frames[self.chosen]
            if self.policy == "ahead" and chosen.queue:
                frames = [chosen]  # the others have not started: it runs days ahead of them
            elif self.policy == "stalled" and chosen.queue and (len(frames) > 1 or seas):
                frames = [part for part in frames if part is not chosen]
        return [*frames, *seas]

    def _read_frames(self, part: _FramesPartition) -> Iterator[Output]:
        """One frame of a frames partition through the track stage; its sea records sent on."""
        size = min(self.rng.randint(1, self.max_chunk), len(part.queue))
        frame = [part.queue.popleft() for _ in range(size)]
        batch = track_batch(part.tracks, frame, self.index, self.sea)
        if batch.failed:
            _, failed, detail = batch.failed[0]
            raise DetectionError(f"the track stage failed on {failed}: {detail}")
        self.stale += batch.stale
        if batch.latest is not None and (part.progress is None or batch.latest > part.progress):
            part.progress = batch.latest
        yield from self._downstream(batch.events)
        yield from self._sea_events(batch.sea.events)
        idle = self.idleness and not part.queue
        progress = Progress(TRACK_LEVEL, part.number, len(self._frames), part.progress, idle)
        self._send(batch.sea.records, progress)

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
