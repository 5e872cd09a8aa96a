"""AIS gaps, dark port calls and position glitches, scenario by scenario."""

from __future__ import annotations

import itertools
from datetime import timedelta

from geofences import dark
from shipwatch.ais.records import Static
from tests.fixtures.timeline import (
    FAR_SOUTH,
    OUTSIDE_VOSTOCHNY,
    RUSSIAN_TANKER,
    VOSTOCHNY_BERTH,
    Timeline,
    dark_loading_then_delivery,
)


def of_kind(outputs, stream, kind):
    return [r for s, r in outputs if s == stream and r["kind"] == kind]


def test_a_long_silence_near_vostochny_is_a_gap_and_a_dark_call(run_detector):
    out = run_detector(dark_loading_then_delivery())
    [gap] = of_kind(out, "voyage-events", "ais_gap")
    assert gap["near"] == ["vostochny"] and gap["duration_s"] >= 20 * 3600
    [call] = of_kind(out, "voyage-events", "dark_port_call")
    assert call["port"] == "vostochny" and call["spare_h"] > 0
    kinds = sorted(a["kind"] for s, a in out if s == "alerts")
    assert kinds == ["ais_gap", "dark_port_call", "sanctioned_voyage"]


def test_a_voyage_can_start_from_a_dark_call(run_detector):
    out = run_detector(dark_loading_then_delivery())
    [voyage] = of_kind(out, "voyage-events", "voyage")
    assert (voyage["origin"], voyage["destination"], voyage["origin_dark"]) == (
        "vostochny",
        "chongjin",
        True,
    )
    [alert] = of_kind(out, "alerts", "sanctioned_voyage")
    assert alert["evidence"]["origin_dark"] is True


def test_a_gap_too_short_to_reach_the_port_and_stay_is_no_dark_call(run_detector):
    # 60 km off and 7 h dark: 2 x 60 km at 12 kn takes 5.4 h, leaving no 4 h in port.
    off = (42.20, 133.05)
    positions = Timeline().sail(FAR_SOUTH, off, hours=10).dark(7).sail(off, FAR_SOUTH, 10)
    out = run_detector(positions.positions)
    assert len(of_kind(out, "voyage-events", "ais_gap")) == 1
    assert of_kind(out, "voyage-events", "dark_port_call") == []


def test_a_gap_far_from_every_port_is_only_a_gap_event(run_detector):
    positions = (
        Timeline().sail(FAR_SOUTH, (39.0, 131.0), 5).dark(30).sail((39.0, 131.0), FAR_SOUTH, 5)
    )
    out = run_detector(positions.positions)
    [gap] = of_kind(out, "voyage-events", "ais_gap")
    assert gap["near"] == []
    assert [s for s, _ in out if s == "alerts"] == []


def test_gaps_of_unmarked_vessels_raise_no_alert(run_detector):
    out = run_detector(dark_loading_then_delivery(RUSSIAN_TANKER))
    assert of_kind(out, "voyage-events", "dark_port_call")
    assert {a["kind"] for s, a in out if s == "alerts"} == {"sanctioned_voyage"}


def test_silence_inside_the_port_is_a_port_gap_not_a_dark_call(run_detector):
    positions = (
        Timeline()
        .sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1, sog=8)
        .dark(10)
        .stay(VOSTOCHNY_BERTH, hours=1, sog=0.0)
        .sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, hours=1)
    )
    out = run_detector(positions.positions)
    assert of_kind(out, "voyage-events", "dark_port_call") == []
    [call] = [c for c in of_kind(out, "voyage-events", "port_call") if c["departed_at"]]
    assert call["stayed"] == "gap"


def test_one_glitched_position_makes_no_exit_and_no_re_entry(run_detector):
    timeline = Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1).stay(VOSTOCHNY_BERTH, 2)
    timeline.wait(10).fix(43.9, 135.0, 0.0)  # 200 km away ten minutes later
    timeline.wait(10).stay(VOSTOCHNY_BERTH, 2)
    out = run_detector(
        timeline.positions
        + Timeline(t=timeline.t).wait(30).sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, 1).positions
    )
    fence_kinds = [r["kind"] for s, r in out if s == "geofence-events"]
    assert fence_kinds == ["enter", "stop", "glitch", "exit"]
    [glitch] = [r for s, r in out if s == "geofence-events" and r["kind"] == "glitch"]
    assert glitch["implied_kn"] > 50


def test_two_agreeing_positions_far_away_mean_the_vessel_really_moved(run_detector):
    timeline = Timeline().sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, 1).stay(VOSTOCHNY_BERTH, 1)
    timeline.wait(10).fix(40.0, 132.0, 10).wait(10).sail((40.01, 132.0), (39.9, 132.0), 1)
    out = run_detector(timeline.positions)
    assert [r["kind"] for s, r in out if s == "geofence-events"] == [
        "enter",
        "stop",
        "glitch",
        "exit",
    ]


def test_feasibility_uses_distance_speed_and_minimum_stay(core):
    index = core[0]
    hours = 3600
    [c] = dark.candidates(index, OUTSIDE_VOSTOCHNY, OUTSIDE_VOSTOCHNY, 6 * hours)
    assert c["fence"] == "vostochny" and c["feasible"] and 5 < c["to_port_km"] < 15
    [c] = dark.candidates(index, OUTSIDE_VOSTOCHNY, OUTSIDE_VOSTOCHNY, 4 * hours)
    assert not c["feasible"]  # an hour to get in and out leaves less than 4 h alongside
    assert dark.candidates(index, FAR_SOUTH, FAR_SOUTH, 100 * hours) == []


def test_late_positions_that_fill_the_gap_retract_its_findings(run_detector):
    positions = dark_loading_then_delivery()
    gap_start = next(
        i
        for i, (a, b) in enumerate(itertools.pairwise(positions))
        if (b.ts - a.ts).total_seconds() > 6 * 3600
    )
    # Satellite data, hours late: mid-gap the tanker was 144 km south, too far to have called.
    late = positions[gap_start].model_copy(
        update={"ts": positions[gap_start].ts + timedelta(hours=10), "lat": 41.3}
    )
    records = [*positions[: gap_start + 20], late, *positions[gap_start + 20 :]]
    out = run_detector(records)
    alerts = [a for s, a in out if s == "alerts"]
    retracted = [a for a in alerts if a["status"] == "retracted"]
    assert sorted(a["kind"] for a in retracted) == ["ais_gap", "dark_port_call"]
    first = {a["alert_id"] for a in alerts[: alerts.index(retracted[0])]}
    assert {a["alert_id"] for a in retracted} <= first  # the same ids as the alerts undone
    after = [a["kind"] for a in alerts[alerts.index(retracted[-1]) + 1 :]]
    # Each half of the silence is still a gap near the port, but no dark call fits in it.
    assert after == ["ais_gap", "ais_gap"]
    # With the dark call gone, the arrival at Chongjin has no origin: no voyage, no alert.
    assert of_kind(out, "voyage-events", "voyage") == []


def test_a_late_position_outside_any_gap_changes_nothing(run_detector):
    positions = dark_loading_then_delivery()
    late = positions[3].model_copy(update={"ts": positions[3].ts + timedelta(minutes=5)})
    clean = [r for s, r in run_detector(positions) if s == "alerts"]
    noisy = [r for s, r in run_detector([*positions[:40], late, *positions[40:]]) if s == "alerts"]
    assert noisy == clean


def test_an_mmsi_transmitting_from_two_places_is_an_identity_alert(run_detector):
    # A second transmitter 300 km away uses the same MMSI, interleaved with the real ship.
    timeline = Timeline().sail((42.3, 133.05), OUTSIDE_VOSTOCHNY, hours=2)
    for i in range(4):
        timeline.wait(5).fix(40.0, 135.5 + 0.01 * i, 9.0)
        timeline.wait(5).fix(*OUTSIDE_VOSTOCHNY, 0.0)
    out = run_detector(timeline.positions)
    assert [r["kind"] for s, r in out if s == "geofence-events"].count("glitch") == 4
    [alert] = [a for s, a in out if s == "alerts"]
    assert (alert["kind"], alert["evidence"]["field"]) == ("identity_change", "position")
    assert alert["evidence"]["apart_km"] > 250


def _gap_end(positions):
    """The index of the first fix after the dark story's long silence."""
    return next(
        i + 1
        for i, (a, b) in enumerate(itertools.pairwise(positions))
        if (b.ts - a.ts).total_seconds() > 6 * 3600
    )


def _draught_report(mmsi, ts, metres):
    return Static(mmsi=mmsi, ts=ts, draught=metres, length=105, beam=16)


def test_a_draught_change_across_the_gap_makes_the_dark_call_critical(run_detector):
    positions = dark_loading_then_delivery()
    gap_end = _gap_end(positions)

    def report(ts, metres):
        return _draught_report(positions[0].mmsi, ts, metres)

    records = [
        report(positions[0].ts, 4.8),
        *positions[: gap_end + 1],
        report(positions[gap_end].ts + timedelta(minutes=5), 7.2),  # the crew's update
        *positions[gap_end + 1 :],
    ]
    alerts = [a for s, a in run_detector(records) if s == "alerts"]
    dark_calls = [
        (a["severity"], a["evidence"].get("draught_change"))
        for a in alerts
        if a["kind"] == "dark_port_call"
    ]
    assert dark_calls == [("warning", None), ("critical", 2.4)]
    [voyage] = [a for a in alerts if a["kind"] == "sanctioned_voyage"]
    assert voyage["evidence"]["origin_dark"] and voyage["evidence"]["loaded"]


def test_a_draught_report_just_after_the_gap_that_comes_before_its_fix_still_counts(
    run_detector,
):
    """A static report and a position a second apart often swap on the way: the report then
    comes before the fix that ends the gap, and still speaks of the dark call."""
    positions = dark_loading_then_delivery()
    gap_end = _gap_end(positions)

    def report(ts, metres):
        return _draught_report(positions[0].mmsi, ts, metres)

    in_order = [
        report(positions[0].ts, 4.8),
        *positions[: gap_end + 1],
        report(positions[gap_end].ts + timedelta(seconds=1), 7.2),
        *positions[gap_end + 1 :],
    ]
    swapped = list(in_order)
    swapped[gap_end + 1], swapped[gap_end + 2] = swapped[gap_end + 2], swapped[gap_end + 1]
    assert isinstance(swapped[gap_end + 1], Static)

    def alerts(records):
        return {a["alert_id"]: a for s, a in run_detector(records) if s == "alerts"}

    found = alerts(swapped)
    assert found == alerts(in_order)
    assert ("critical", 2.4) in [
        (a["severity"], a["evidence"].get("draught_change"))
        for a in found.values()
        if a["kind"] == "dark_port_call"
    ]
