"""The whole per-vessel detection chained in-process: what `shipwatch detect` runs.

The stream runs the same three stage functions in three agents; this class only keeps the
per-vessel states in dicts instead of Faust tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ais.records import Position, Record
from alerts.cap import add_delivery
from alerts.models import Alert
from alerts.rules import RuleContext, evaluate
from geofences import static_reports, tracker
from geofences.index import FenceIndex
from voyages import machine


def track(
    state: tracker.TrackState, record: Record, index: FenceIndex
) -> tuple[tracker.TrackState, list[dict[str, Any]]]:
    """Stage 1, for either kind of record: the same state object back means it was stale.
    The events are numbered per vessel, so that the voyage stage can drop repeats."""
    if isinstance(record, Position):
        new_state, events = tracker.step(state, fix_of(record), index)
    else:
        report = record.model_dump(include=set(static_reports.FIELDS))
        t = record.ts.timestamp()
        new_state, events = static_reports.apply_static(state, record.mmsi, t, report)
    return tracker.numbered(new_state, events)


def fix_of(position: Position) -> tracker.Fix:
    """The core's view of a position."""
    return tracker.Fix(
        position.mmsi, position.ts.timestamp(), position.lat, position.lon, position.sog
    )


@dataclass(frozen=True, slots=True)
class Output:
    """One thing the pipeline produced: a fence event, a voyage event or an alert."""

    stream: str  # "geofence-events", "voyage-events" or "alerts"
    record: dict[str, Any]


def alerts_for(voyage_events: list[dict[str, Any]], ctx: RuleContext) -> list[Alert]:
    """Stage 3: the alerts that voyage events raise."""
    return [alert for ev in voyage_events for alert in evaluate(ev, ctx)]


class Detector:
    """Runs tracker, voyage machine and rules over records in arrival order."""

    def __init__(self, index: FenceIndex, ctx: RuleContext) -> None:
        self.index, self.ctx = index, ctx
        self.tracks: dict[int, tracker.TrackState] = {}
        self.voyages: dict[int, machine.VoyageState] = {}
        self.cap_totals: dict[str, dict[str, Any]] = {}
        self.stale = 0

    def process(self, record: Record) -> Iterator[Output]:
        """Everything one record leads to, in order."""
        state = self.tracks.get(record.mmsi, tracker.TrackState())
        new_state, fence_events = track(state, record, self.index)
        if new_state is state:
            self.stale += 1
            return
        self.tracks[record.mmsi] = new_state
        yield from self._downstream(record.mmsi, fence_events)

    def flush(self) -> Iterator[Output]:
        """Apply fixes still waiting for late data: only for the end of a finite input."""
        for mmsi in sorted(self.tracks):
            state = self.tracks[mmsi]
            if state.pending:
                flushed = tracker.flush(state, mmsi, self.index)
                self.tracks[mmsi], fence_events = tracker.numbered(*flushed)
                yield from self._downstream(mmsi, fence_events)

    def _downstream(self, mmsi: int, fence_events: list[dict[str, Any]]) -> Iterator[Output]:
        for fence_event in fence_events:
            yield Output("geofence-events", fence_event)
            vstate = self.voyages.get(mmsi, machine.VoyageState())
            self.voyages[mmsi], voyage_events = machine.step(vstate, fence_event)
            for voyage_event in voyage_events:
                yield Output("voyage-events", voyage_event)
                for alert in evaluate(voyage_event, self.ctx):
                    yield Output("alerts", alert.model_dump())
                if voyage_event["kind"] == "delivery":
                    self.cap_totals, _, cap_alerts = add_delivery(
                        self.cap_totals, voyage_event, self.ctx
                    )
                    for alert in cap_alerts:
                        yield Output("alerts", alert.model_dump())
