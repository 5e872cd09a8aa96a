"""The per-vessel fence tracker, scenario by scenario."""

from __future__ import annotations

from geofences import tracker
from geofences.index import FenceIndex
from shipwatch.pipeline.detector import fix_of
from tests.fixtures.timeline import (
    CHONGJIN_BERTH,
    OUTSIDE_CHONGJIN,
    OUTSIDE_VOSTOCHNY,
    VOSTOCHNY_BERTH,
    Timeline,
)


def fence_events(index: FenceIndex, positions: list) -> list[dict]:
    state, out = tracker.TrackState(), []
    for p in positions:
        state, events = tracker.step(state, fix_of(p), index)
        out.extend(events)
    if positions:
        state, events = tracker.flush(state, positions[0].mmsi, index)
        out.extend(events)
    return out


def kinds(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["kind"], e["fence"]) for e in events]


def test_steaming_through_the_approaches_enters_and_exits_without_a_stop(core):
    north_of_chongjin = (41.90, 129.80)
    positions = Timeline().sail(OUTSIDE_CHONGJIN, north_of_chongjin, hours=3, sog=12).positions
    assert kinds(fence_events(core[0], positions)) == [("enter", "chongjin"), ("exit", "chongjin")]


def test_stopping_thirty_minutes_at_the_berth_is_a_stop(core):
    positions = (
        Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1).stay(VOSTOCHNY_BERTH, 1)
    ).positions
    events = fence_events(core[0], positions)
    assert kinds(events) == [("enter", "vostochny"), ("stop", "vostochny")]
    assert events[1]["stayed"] == "stop"
    assert events[1]["stopped_s"] >= tracker.MIN_STOP_S


def test_a_short_slow_down_is_not_a_stop(core):
    positions = (
        Timeline()
        .sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1)
        .stay(VOSTOCHNY_BERTH, hours=0.25)
        .sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, hours=1)
    ).positions
    assert kinds(fence_events(core[0], positions)) == [
        ("enter", "vostochny"),
        ("exit", "vostochny"),
    ]


def test_gps_jitter_across_the_fence_edge_does_not_flap(core):
    # Vostochny's west edge runs along 132.976 E; jitter of about 300 m across it for a day.
    timeline = Timeline().sail((42.74, 132.90), (42.74, 132.9765), hours=1)
    for i in range(144):
        lon = 132.9765 + (0.004 if i % 3 == 0 else -0.003)  # +-300 m around the edge
        timeline.wait(10).fix(42.74, lon, 0.1)
    events = fence_events(core[0], timeline.positions)
    assert kinds(events).count(("enter", "vostochny")) == 1
    assert ("exit", "vostochny") not in kinds(events)


def test_leaving_only_counts_beyond_the_exit_buffer(core):
    just_outside = (42.74, 132.970)  # ~500 m west of the edge: inside the 1 km buffer
    far_outside = (42.74, 132.950)  # ~2 km west: beyond it
    timeline = Timeline().sail((42.74, 132.9765 + 0.01), just_outside, hours=0.5, sog=5)
    events = fence_events(core[0], timeline.positions)
    assert kinds(events) == [("enter", "vostochny")]
    timeline.wait(10).fix(*far_outside, 5)
    assert kinds(fence_events(core[0], timeline.positions))[-1] == ("exit", "vostochny")


def test_silence_of_four_hours_inside_is_a_port_gap(core):
    positions = (
        Timeline()
        .sail(OUTSIDE_CHONGJIN, CHONGJIN_BERTH, hours=1, sog=8)
        .dark(5)
        .fix(*CHONGJIN_BERTH, 3.0)
    ).positions
    events = fence_events(core[0], positions)
    assert kinds(events) == [("enter", "chongjin"), ("stop", "chongjin")]
    assert events[1]["stayed"] == "gap"


def test_duplicate_and_late_fixes_change_nothing(core):
    positions = Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1).stay(VOSTOCHNY_BERTH, 2)
    clean = fence_events(core[0], positions.positions)
    noisy = list(positions.positions)
    noisy.insert(5, noisy[4])  # a duplicate
    noisy.insert(12, noisy[8])  # a late one
    assert fence_events(core[0], noisy) == clean


def test_state_survives_a_round_trip_through_its_table_form(core):
    positions = Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1).stay(VOSTOCHNY_BERTH, 2)
    state = tracker.TrackState()
    for p in positions.positions[:9]:
        state, _ = tracker.step(state, fix_of(p), core[0])
    assert tracker.TrackState.from_dict(state.to_dict()) == state


def test_without_sog_the_speed_comes_from_the_distance_between_fixes(core):
    positions = Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1).positions
    moored = Timeline(t=positions[-1].ts).wait(10).stay(VOSTOCHNY_BERTH, 1, sog=None).positions
    events = fence_events(core[0], positions + moored)
    assert ("stop", "vostochny") in kinds(events)


def test_step_never_changes_the_state_it_was_given(core):
    # `step` changes copies in place to spare `replace` calls: the caller's state must not move,
    # whether the fix is applied at once, waits near a fence, is stale, or is a glitch.
    index = core[0]
    timeline = Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1).stay(VOSTOCHNY_BERTH, 1)
    timeline = timeline.sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, hours=1)
    fixes = [fix_of(p) for p in timeline.positions]
    far = tracker.Fix(fixes[0].mmsi, fixes[-1].t + 60, 10.0, 10.0, 12.0)  # a glitch: far away
    state = tracker.TrackState()
    for fix in [*fixes, fixes[3], far]:
        before = state.to_dict()
        new_state, _ = tracker.step(state, fix, index)
        assert state.to_dict() == before
        state = new_state
