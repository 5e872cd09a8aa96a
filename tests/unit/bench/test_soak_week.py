"""The week soak's analysis on synthetic weeks (levelling, leaking, too short), its checks, and
the week's traffic: streamed, every vessel in the box all week, pairs meeting at sea."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections.abc import Callable

import pytest

from bench.soak_week_analysis import (
    DAY_S,
    HistoryCheck,
    WeekSample,
    allocator_slopes,
    analyse_week,
    checks,
    verdict,
    warm_index,
)
from bench.traffic import SEA_BOX, T0
from bench.week_traffic import _box_point, meeting, meetings_plan, week_traffic
from geofences.movement import distance_m

VESSELS = 3000
RETENTION = 1.5 * DAY_S
SPEED = 250.0


def week(rss: Callable[[float], float], days: float = 7.0, every: float = 10.0) -> list[WeekSample]:
    """A sample every `every` wall seconds at SPEED x real time; 50 positions per event second;
    the whole fleet seen in the first minute of wall time."""
    out = []
    for k in range(int(days * DAY_S / SPEED / every) + 1):
        t = k * every
        done = int(t * SPEED * 50)
        vessels = min(VESSELS, int(VESSELS * t / 60))
        out.append(WeekSample(t, T0 + t * SPEED, rss(t), done, done, vessels, 320, 40.0, 0.0))
    return out


def test_a_week_that_levels_off_passes_and_its_slopes_are_per_hour_and_per_day() -> None:
    # Up to 5 MB over Ready in the first day of event time, flat after.
    samples = week(lambda t: 100.0 + 5.0 * (1 - math.exp(-t * SPEED / (0.2 * DAY_S))))
    a = analyse_week(samples, VESSELS, 100, RETENTION)
    assert a.warmed_up and a.levels_off and a.per_vessel_ok
    assert abs(a.slope_mb_per_wall_h) < 0.1 and abs(a.slope_mb_per_event_day) < 0.1
    assert a.over_ready_bytes_per_vessel == (samples[-1].rss_mb - 100.0) * 2**20 / VESSELS
    assert a.growth_bytes_per_vessel < 2.0  # the warm part is flat
    # Warm once the longest window kept by time (the watched vessels' silences, 49 h: longer
    # than the history's 36 h) and 6 h more have passed in event time.
    assert a.warm_event_t >= T0 + (48 + 1 + 6) * 3600
    assert a.warm_event_t < T0 + (48 + 1 + 6) * 3600 + 60 * SPEED  # the first sample after


def test_a_slow_leak_is_a_wall_slope_and_a_daily_figure() -> None:
    # 2 MB per hour of wall time: 0.33 MB per simulated day at 250 x.
    samples = week(lambda t: 110.0 + 2.0 * t / 3600)
    a = analyse_week(samples, VESSELS, 100, RETENTION)
    assert not a.levels_off
    assert math.isclose(a.slope_mb_per_wall_h, 2.0, rel_tol=1e-6)
    assert math.isclose(a.slope_mb_per_event_day, 2.0 * 24 / SPEED, rel_tol=1e-6)


def test_a_backlogs_buffers_are_told_from_a_leak() -> None:
    # Flat at 150 MB when caught up; 15 MB more while 10 s of traffic behind, in the middle.
    def behind(t: float) -> bool:
        return 1200 <= t <= 1500

    samples = [
        WeekSample(
            s.t_s,
            s.event_t,
            s.rss_mb + (15.0 if behind(s.t_s) else 0.0),
            s.processed - (int(10 * SPEED * 50) if behind(s.t_s) else 0),
            s.published,
            s.vessels,
            s.series,
            s.history_mb,
            s.held_s,
        )
        for s in week(lambda t: 150.0)
    ]
    a = analyse_week(samples, VESSELS, 100, RETENTION)
    assert a.judged_on == "caught_up" and a.levels_off
    assert abs(a.caught_up_slope_mb_per_wall_h) < 0.01
    assert a.caught_up_samples < a.warm_samples


def test_a_run_shorter_than_its_retention_is_not_warmed_up() -> None:
    samples = week(lambda t: 100.0, days=2.0)  # longer than the history's 1.5 days, not 55 h
    assert warm_index(samples, 100, RETENTION) is None
    assert not analyse_week(samples, VESSELS, 100, RETENTION).warmed_up


def test_the_checks_fail_a_history_past_its_retention_and_an_unbounded_board() -> None:
    samples = week(lambda t: 100.0)
    history = HistoryCheck(
        RETENTION,
        {"fixes": [T0, T0 + 3 * DAY_S, 10], "events": [T0 + 2 * DAY_S, T0 + 3 * DAY_S, 2]},
        3000,
        None,
        100,
        0,
        1.0,
    )
    probe = {
        "views": {"triage_states": 41, "triage_ids": 10, "feed_alerts": 5, "nearby": 1},
        "views_extra": {},
        "tables": {"tracks": 3000},
        "sea": {},
    }
    r = {
        "history": history.__dict__,
        "probe": [probe],
        "fleet": {"vessels": 3000, "meeting": 46},
        "shrink": "triage_states=40,remembered_ids=2000",
        "analysis": analyse_week(samples, VESSELS, 100, RETENTION).__dict__,
    }
    found = {c["name"]: c["ok"] for c in checks(r)}
    assert found["history fixes"] is False  # 3 days behind, 1.5 kept
    assert found["history events"] is True
    assert found["triage board"] is False and found["remembered alert ids"] is True
    assert found["metric series"] is True


def test_the_week_streams_and_keeps_every_vessel_in_the_sea() -> None:
    fleet, items = week_traffic(300, seed=3, days=1.0)
    assert fleet.vessels == 300 and fleet.meeting + fleet.steaming + fleet.callers > 0
    lat0, lat1, lon0, lon1 = SEA_BOX
    previous = 0
    for t, _, _, line in itertools.islice(items, 50_000):
        assert t >= previous  # in event-time order
        previous = t
        fields = dict(part.split(":", 1) for part in line.decode()[1:-1].split(","))
        lat, lon = float(fields['"lat"']), float(fields['"lon"'])
        # The open sea, or the two ports north of it (Vostochny 42.7 N, Chongjin 41.8 N).
        assert lat0 - 0.5 <= lat <= 43.0 and lon0 - 1.0 <= lon <= lon1 + 0.5
        assert lat >= lat0 - 0.5 and (lat <= lat1 + 0.5 or 129.5 <= lon <= 133.5)
    assert previous > T0 + 2 * 3600  # 50,000 positions are hours of a 300-vessel fleet


def test_paired_vessels_meet_close_and_slow_on_time() -> None:
    rng = random.Random(1)
    starts = {n: _box_point(rng) for n in range(4)}
    plans = meetings_plan(random.Random(2), starts, 2.0)
    m, _ = plans[0][0]
    partner = next(n for n in range(1, 4) if plans[n][0][0] == m)
    tracks = {}
    for n in (0, partner):
        positions = {}
        for t, _, _, line in meeting(random.Random(n), n, 1000 + n, T0, starts[n], plans[n]):
            if t > m.end:
                break
            if t >= m.start + 1800:
                fields = dict(part.split(":", 1) for part in line.decode()[1:-1].split(","))
                positions[t // 600] = (float(fields['"lat"']), float(fields['"lon"']))
        tracks[n] = positions
    common = sorted(set(tracks[0]) & set(tracks[partner]))
    assert len(common) >= 8  # at least 80 minutes of shared ticks
    for tick in common:
        a, b = tracks[0][tick], tracks[partner][tick]
        assert distance_m(a[0], a[1], b[0], b[1]) < 500


def test_the_slope_is_split_by_process_so_a_leak_names_its_process() -> None:
    # The worker flat at 150 MB; its ingest process gains 2 MB per wall hour, of which 0.5 MB
    # anonymous (the rest file-backed pages).
    def ingest(t: float) -> float:
        return 60.0 + 2.0 * t / 3600

    samples = [
        dataclasses.replace(
            s,
            rss_mb=150.0 + ingest(s.t_s),
            rss_parts_mb=(150.0, ingest(s.t_s)),
            anon_parts_mb=(120.0, 40.0 + 0.5 * s.t_s / 3600),
        )
        for s in week(lambda t: 0.0)
    ]
    a = analyse_week(samples, VESSELS, 100, RETENTION)
    worker, growing = a.slope_parts_mb_per_wall_h
    assert abs(worker) < 1e-6 and math.isclose(growing, 2.0, rel_tol=1e-6)
    worker_anon, growing_anon = a.slope_anon_parts_mb_per_wall_h
    assert abs(worker_anon) < 1e-6 and math.isclose(growing_anon, 0.5, rel_tol=1e-6)
    assert math.isclose(a.slope_mb_per_wall_h, 2.0, rel_tol=1e-6)
    said = verdict({"analysis": dataclasses.asdict(a), "checks": []})
    assert "worker +0.00 MB/h (anonymous +0.00), ingest +2.00 MB/h (anonymous +0.50)" in said
    # Samples without the split (an older run's) give none.
    old = analyse_week(week(lambda t: 150.0), VESSELS, 100, RETENTION)
    assert old.slope_parts_mb_per_wall_h == () == old.slope_anon_parts_mb_per_wall_h


def test_the_workers_anonymous_memory_is_split_by_mapping_and_its_allocators_fitted() -> None:
    # Python's object arenas ("other") gain 3 MB per wall hour; the heap and the rest are flat.
    samples = [
        dataclasses.replace(
            s, anon_kinds_mb={"heap": 40.0, "other": 50.0 + 3.0 * s.t_s / 3600, "stack": 0.1}
        )
        for s in week(lambda t: 150.0)
    ]
    a = analyse_week(samples, VESSELS, 100, RETENTION)
    kinds = a.slope_anon_kinds_mb_per_wall_h
    assert math.isclose(kinds["other"], 3.0, rel_tol=1e-6)
    assert abs(kinds["heap"]) < 1e-9 and abs(kinds["stack"]) < 1e-9
    # The probe's reports: 2 more arenas an hour with the bytes in their objects flat, glibc's
    # heap flat; reports from before warm-up (a steep climb) are left out.
    t0 = 1_000_000.0

    def report(t: float, arenas: float) -> dict[str, object]:
        pymalloc = {"arenas": arenas, "allocated_bytes": 60 * 2**20}
        malloc = {"arena": 64 * 2**20, "in_use": 40 * 2**20}
        return {"at": t0 + t, "alloc": {"pymalloc": pymalloc, "malloc": malloc}}

    probes = [report(t, 10.0 + t) for t in range(0, 600, 30)]  # warming up
    probes += [report(t, 70.0 + 2.0 * t / 3600) for t in range(600, 2400, 30)]
    probes.append({"at": t0 + 2400, "tables": {}})  # a report without the allocators' figures
    slopes = allocator_slopes(probes, t0, 600.0)
    assert math.isclose(slopes["python_arenas"], 2.0, rel_tol=1e-6)
    assert abs(slopes["python_objects"]) < 1e-9 and abs(slopes["glibc_heaps"]) < 1e-9
    said = verdict({"analysis": dataclasses.asdict(a), "checks": [], "allocators": slopes})
    assert "by mapping: other +3.00" in said and "python_arenas +2.00" in said


def test_the_probe_reads_pythons_object_arenas_in_process() -> None:
    from bench.soak_probe import _pymalloc_stats

    before = _pymalloc_stats()
    held = [object() for _ in range(200_000)]  # 3 MB of 16-byte blocks
    after = _pymalloc_stats()
    assert before["arenas"] >= 1 and before["arenas_highwater"] >= before["arenas"]
    assert after["allocated_bytes"] - before["allocated_bytes"] >= 16 * len(held)
    assert after["arenas"] * 2**20 >= after["allocated_bytes"] > 0  # 1 MiB arenas hold them


def test_every_shrink_reaches_what_the_worker_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bound lowered before start must be the one the worker's objects keep to."""
    from bench.soak_probe import _shrink
    from shipwatch.triage import board
    from shipwatch.web import live_feed, triage

    for module, name in ((board, "MAX_STATES"), (triage, "REMEMBERED_IDS"), (live_feed, "KEEP")):
        monkeypatch.setattr(module, name, getattr(module, name))  # put back after the test
    monkeypatch.setenv("SOAK_SHRINK", "triage_states=4,remembered_ids=3,feed_alerts=2")
    _shrink()
    feed = live_feed.AlertFeed()
    for i in range(5):
        feed.add({"alert_id": f"a{i}", "status": "open"}, published_ms=i)
    assert list(feed.alerts) == ["a3", "a4"]
    assert (board.MAX_STATES, triage.REMEMBERED_IDS) == (4, 3)
