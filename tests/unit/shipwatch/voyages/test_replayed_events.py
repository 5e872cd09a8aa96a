"""At-least-once input: fence events processed again after a restart change nothing.

A restarted worker processes again what came after its last commit. Its voyage state may
already hold some of those events; they carry the tracker's per-vessel numbers (`seq`), so the
voyage machine drops them instead of reopening calls it has closed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import BUNDLED_GEOFENCES
from shipwatch.voyages import machine

Events = list[dict[str, Any]]


def fence_events_by_vessel() -> dict[int, Events]:
    index, ctx = build_core(BUNDLED_GEOFENCES)
    detector = Detector(index, ctx)
    by_vessel: dict[int, Events] = defaultdict(list)
    for item in decode_files([SCENARIO_PATH], "auto", Tally()):
        if isinstance(item, Decoded):
            for record in item.records:
                for out in detector.process(record):
                    if out.stream == "geofence-events":
                        by_vessel[out.record["mmsi"]].append(out.record)
    return dict(by_vessel)


BY_VESSEL = fence_events_by_vessel()
BUSIEST = max(BY_VESSEL, key=lambda mmsi: len(BY_VESSEL[mmsi]))


def run(state: machine.VoyageState, events: Events) -> tuple[machine.VoyageState, Events]:
    out: Events = []
    for ev in events:
        state, produced = machine.step(state, ev)
        out += produced
    return state, out


def test_every_vessels_fence_events_are_numbered_one_by_one():
    for events in BY_VESSEL.values():
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(BY_VESSEL)), st.data())
def test_events_applied_again_from_any_point_give_nothing_new(mmsi: int, data: st.DataObject):
    events = BY_VESSEL[mmsi]
    done = data.draw(st.integers(0, len(events)), label="applied before the crash")
    commit = data.draw(st.integers(0, done), label="committed before the crash")
    once_state, once = run(machine.VoyageState(), events)
    # The crashed worker applied `done` events; its successor gets everything after `commit`.
    state, before = run(machine.VoyageState(), events[:done])
    state, after = run(state, events[commit:])
    assert before + after == once
    assert state.to_dict() == once_state.to_dict()


def test_the_busiest_vessel_replayed_whole_raises_nothing_twice():
    events = BY_VESSEL[BUSIEST]
    state, first = run(machine.VoyageState(), events)
    assert first  # it does call at ports
    again, second = run(state, events)
    assert second == [] and again is state
