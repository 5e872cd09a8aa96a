"""The voyage state machine: port calls, voyages, transits."""

from __future__ import annotations

from shipwatch.voyages import machine
from tests.fixtures.timeline import (
    OUTSIDE_CHONGJIN,
    Timeline,
    loading_then_delivery,
)


def voyage_events(run_detector, positions):
    return [r for s, r in run_detector(positions) if s == "voyage-events"]


def test_a_call_is_published_on_arrival_and_again_on_departure(run_detector):
    events = voyage_events(run_detector, loading_then_delivery())
    vostochny = [e for e in events if e["kind"] == "port_call" and e["port"] == "vostochny"]
    assert [e["departed_at"] is None for e in vostochny] == [True, False]
    assert vostochny[0]["arrived_at"] == vostochny[1]["arrived_at"]
    assert vostochny[1]["confidence"] == 4


def test_a_call_then_a_call_elsewhere_is_a_voyage(run_detector):
    events = voyage_events(run_detector, loading_then_delivery())
    voyages = [e for e in events if e["kind"] == "voyage"]
    assert len(voyages) == 1
    v = voyages[0]
    assert (v["origin"], v["destination"]) == ("vostochny", "chongjin")
    assert v["departed_at"] < v["arrived_at"]
    assert 15 * 3600 < v["transit_s"] < 20 * 3600


def test_a_transit_through_a_fence_is_no_port_call(run_detector):
    positions = Timeline().sail(OUTSIDE_CHONGJIN, (41.90, 129.80), hours=3, sog=12).positions
    # The straight line crosses the drawn coast north of the port: on-land findings, no calls.
    events = voyage_events(run_detector, positions)
    assert [e for e in events if e["kind"] in ("port_call", "voyage")] == []
    assert {e["kind"] for e in events} <= {"position_tampering"}


def test_a_call_still_open_at_the_end_has_no_departure(run_detector):
    positions = loading_then_delivery()[:-8]  # cut while still at Chongjin
    events = voyage_events(run_detector, positions)
    last_call = [e for e in events if e["kind"] == "port_call"][-1]
    assert (last_call["port"], last_call["departed_at"]) == ("chongjin", None)


def test_history_is_bounded():
    state = machine.VoyageState()
    for i in range(20):
        port = "a" if i % 2 else "b"
        at = f"2024-03-{i + 1:02d}T00:00:00Z"
        later = f"2024-03-{i + 1:02d}T06:00:00Z"
        for ev in (
            {"kind": "enter", "mmsi": 1, "fence": port, "at": at, "observed_entry": True},
            {
                "kind": "stop",
                "mmsi": 1,
                "fence": port,
                "at": at,
                "entered_at": at,
                "observed_entry": True,
                "stayed": "stop",
            },
            {"kind": "exit", "mmsi": 1, "fence": port, "at": later},
        ):
            state, _ = machine.step(state, ev)
    assert len(state.calls) == machine.MAX_HISTORY
    assert machine.VoyageState.from_dict(state.to_dict()) == state


def test_step_leaves_the_given_state_untouched():
    state = machine.VoyageState()
    enter = {"kind": "enter", "mmsi": 1, "fence": "a", "at": "2024-03-01T00:00:00Z"}
    new, _ = machine.step(state, enter)
    assert state.open == {} and "a" in new.open
