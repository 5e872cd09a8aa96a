"""The whole detection chained in-process: what `shipwatch detect` runs.

The stream runs the same stages in its agents; here the states stay in memory instead of Faust
tables, the graph's topics are calls (`pipeline.graph`: a record sent to a topic goes to the
stage that reads it), every record is a batch of its own, and the input is one partition,
whose event-time progress is the newest time read. That decides alike: each vessel's records
are applied in the same order either way, and the stages that join many keys decide on
watermarks, not on arrival order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from alerts.context import RuleContext
from geofences import tracker
from geofences.index import FenceIndex
from shipwatch.ais.json_form import JsonRecord, as_json
from shipwatch.ais.records import AnyRecord, Position
from shipwatch.errors import ShipwatchError
from shipwatch.pipeline.cap_stage import Totals
from shipwatch.pipeline.graph import READER, Send, message_stages
from shipwatch.pipeline.track_stage import Event, track_batch
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.watched import sea_context
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.sea.stage import SeaBatch, end_of_input, sea_batch
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.thresholds import SeaRules
from shipwatch.voyages import machine
from shipwatch.watermarks import SEA_LEVEL, TRACK_LEVEL, Progress


def fix_of(position: Position) -> tracker.Fix:
    """The core's view of a position."""
    return tracker.Fix(
        position.mmsi, position.ts.timestamp(), position.lat, position.lon, position.sog
    )


SHOWN = ("geofence-events", "voyage-events", "alerts")  # what detect prints (with --events)


@dataclass(frozen=True, slots=True)
class Output:
    """One thing the pipeline produced: a fence event, a voyage event or an alert."""

    stream: str  # "geofence-events", "voyage-events", "alerts" or "dead-letters"
    record: dict[str, Any]


class DetectionError(ShipwatchError):
    """A stage failed on a record: a bug, reported with the record rather than skipped."""


def _nothing_stored(_mmsi: int) -> None:
    return None  # detect starts from no state: everything lives in memory


class Detector:
    """Runs the track, voyage, alert and cap stages over records in arrival order."""

    def __init__(
        self,
        index: FenceIndex,
        ctx: RuleContext,
        sea_rules: SeaRules | None = None,
        *,
        strict: bool = True,
    ) -> None:
        self.index, self.ctx = index, ctx
        # Strict (tests): a stage's own failure raises DetectionError. Not strict (`detect`):
        # it costs its record, which goes to "dead-letters" with its error, as on the stream.
        self.strict = strict
        rules = sea_rules or ctx.sea_rules
        self.sea = sea_context(index, ctx, rules)
        self.sea_store = MemoryStore()
        self._tracks: WriteBack[VesselState] = WriteBack(_nothing_stored, VesselState)
        # The one-record stages of the graph and their states (JSON values by key, as tables).
        self.steps = message_stages(ctx)
        self.stores: dict[str, dict[str, Any]] = {name: {} for name in ("voyages", "caps")}
        self.stale = 0
        self.progress: float | None = None  # the newest event time read: one partition's
        self._announced: float | None = None  # the sea partition's level-1 watermark, sent on

    @property
    def tracks(self) -> dict[int, VesselState]:
        """Each vessel's tracker state."""
        return self._tracks.states

    @tracks.setter
    def tracks(self, states: dict[int, VesselState]) -> None:
        self._tracks.states = states

    @property
    def voyages(self) -> dict[int, machine.VoyageState]:
        """Each vessel's voyage state."""
        stored = self.stores["voyages"]
        return {int(k): machine.VoyageState.from_dict(v) for k, v in stored.items()}

    @voyages.setter
    def voyages(self, states: dict[int, machine.VoyageState]) -> None:
        self.stores["voyages"] = {str(k): v.to_dict() for k, v in states.items()}

    @property
    def cap_totals(self) -> dict[str, Totals]:
        """Each route's and year's delivery totals."""
        return self.stores["caps"]

    def process(self, record: AnyRecord) -> Iterator[Output]:
        """Everything one record leads to, in order."""
        return self.process_json(as_json(record))

    def process_json(self, record: JsonRecord) -> Iterator[Output]:
        """The same for a record in its published JSON form (as frames carry them)."""
        batch = track_batch(self._tracks, [record], self.index, self.sea)
        for _, failed, detail in batch.failed:
            yield self._failed("track", failed, detail)
        self.stale += batch.stale
        moved = batch.latest is not None and (self.progress is None or batch.latest > self.progress)
        if moved:
            self.progress = batch.latest
        yield from self._downstream(batch.events)
        yield from self._sea_events(batch.sea.events)
        if batch.sea.records or moved:
            # One partition: its progress is the file's newest time, as the track stage's
            # partitions tell theirs; the sea stage decides up to it, less the lateness.
            progress = Progress(TRACK_LEVEL, 0, 1, self.progress)
            yield from self._at_sea(batch.sea.records, progress)

    def _failed(self, stage: str, record: Any, detail: str) -> Output:
        if self.strict:
            raise DetectionError(f"the {stage} stage failed on {record}: {detail}")
        letter = {"reason": "internal_error", "stage": stage, "detail": detail, "record": record}
        return Output("dead-letters", letter)

    def _at_sea(self, records: list[dict[str, Any]], progress: Progress) -> Iterator[Output]:
        """The sea stage, and the records it makes for other keys, until none are left."""
        batch = sea_batch(self.sea_store, records, self.sea.rules, self.sea.zones, 0, progress)
        yield from self._sea_outputs(batch)

    def _sea_outputs(self, batch: SeaBatch) -> Iterator[Output]:
        while True:
            for rec, reason, detail in batch.refused:
                if reason == "internal_error":
                    yield self._failed("sea", rec, detail)
                    continue
                yield Output("dead-letters", {"reason": reason, "detail": detail, "record": rec})
            yield from self._sea_events(batch.events)
            if not batch.forward and batch.watermark == self._announced:
                return
            # What the partition sends on, behind its own progress (level 2), as the stream.
            self._announced = batch.watermark
            progress = Progress(SEA_LEVEL, 0, 1, batch.watermark)
            batch = sea_batch(
                self.sea_store, batch.forward, self.sea.rules, self.sea.zones, 0, progress
            )

    def _sea_events(self, events: list[dict[str, Any]]) -> Iterator[Output]:
        for event in events:
            yield from self._send(Send("voyage-events", str(event.get("mmsi")), event))

    def flush(self) -> Iterator[Output]:
        """Apply fixes still waiting for late data: only for the end of a finite input."""
        for mmsi in sorted(self.tracks):
            state = self.tracks[mmsi]
            if state.pending:
                flushed = tracker.flush(state, mmsi, self.index)
                new_state, fence_events = tracker.numbered(*flushed)
                self._tracks.put(mmsi, new_state)
                yield from self._downstream(fence_events)
        # No more input is coming: the watermarks move past everything still waiting.
        yield from self._sea_outputs(
            end_of_input(self.sea_store, 0, self.sea.rules, self.sea.zones)
        )

    def _downstream(self, fence_events: list[Event]) -> Iterator[Output]:
        for fence_event in fence_events:
            yield from self._send(Send("geofence-events", str(fence_event["mmsi"]), fence_event))

    def _send(self, send: Send) -> Iterator[Output]:
        """A record onto its topic: out, and into the stage of the graph that reads it (depth
        first, so that each record's consequences follow it, as in the stream per key)."""
        if send.topic in SHOWN:
            yield Output(send.topic, send.json())
        spec = READER.get(send.topic)
        step = self.steps.get(spec.name) if spec else None
        if spec is None or step is None:
            return
        store = self.stores[spec.state] if spec.state else {}
        out = step(store.get, send.key, send.json())
        store.update(out.changed)
        for made in out.sends:
            yield from self._send(made)
