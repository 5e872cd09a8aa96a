"""Week soak analysis: what a compressed week's samples say about a worker's memory (pure).

`analyse_week` reads the samples bench.soak_week takes:
 - warm-up ends once every vessel's first position is done and the event time published has
   passed the longest window anything is kept for by time (`longest_window_s`: the history's
   retention, the sea cells' 12 h, the watched vessels' silences and the identity groups' fixes,
   48-49 h) plus 6 h, so that everything kept by time is as full as it gets; and not before a
   tenth of the run. A run too short for that is not warmed up: its second half stands in, and
   the verdict says so;
 - once warm, the RSS slope is a least-squares fit against wall time (MB per hour: the issue's
   rule, under 1 MB/h) and against event time (MB per simulated day: what a worker running in
   real time would gain a day); and each process's own (the worker's, its ingest process's),
   of its RSS and of its anonymous memory, so that growth names its process and is told
   from file-backed pages;
 - a worker that falls behind (a busy machine: the publisher holds back past `--max-lag`) holds
   a backlog's fetched batches and buffers, and its RSS rises and falls with the lag. So the
   slopes are also fitted over the caught-up samples alone (less than LAG_LIMIT_S of traffic
   behind); when the warm part had a backlog and at least half of its samples are caught up
   and span most of it, the memory verdict is theirs, and the report gives both;
 - growth per vessel: the RSS growth once warm (last sample less the first warm one) over the
   vessels tracked (under 2 KB); beside it, for scale, the RSS at the end less the RSS at
   Ready over the vessels: everything the traffic made the worker hold (its state, but also
   buffers sized by the rate and what the allocator keeps), charged to the vessels. What one
   more vessel costs is the bench's memory phase (bench.memory_phase): a fixed fleet cannot
   say;
 - the metric series (sample lines of /metrics) are bounded when none appeared in the second
   half of the warm part.

`checks` reads what the runner found at the end against every retention rule; `summary_line`,
`verdict` and `table` make the report.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.traffic import T0
from shipwatch.integrity.thresholds import IntegrityRules
from shipwatch.sea.thresholds import SeaRules
from shipwatch.web import fence_map, live_feed, vessel_info

DAY_S = 86_400.0
HOUR_S = 3600.0
WALL_SLOPE_LIMIT_MB_PER_H = 1.0
BYTES_PER_VESSEL_LIMIT = 2048.0
WARM_EXTRA_S = 6 * HOUR_S
WARMUP_MIN_SHARE = 0.1
LAG_LIMIT_S = 5.0  # caught up: less than this many seconds of traffic behind
SEA = SeaRules()
CHECKS = IntegrityRules()
ROW_EVERY_S = 120.0


@dataclass(frozen=True)
class WeekSample:
    """One look at the worker, `t_s` wall seconds after publishing began."""

    t_s: float
    event_t: float  # event time of the last position published
    rss_mb: float
    processed: int
    published: int
    vessels: int  # distinct vessels published so far
    series: int  # sample lines of /metrics
    history_mb: float  # the history database on disk (with its WAL)
    held_s: float  # wall time the publisher has held back so far
    rss_parts_mb: tuple[float, ...] = ()  # the worker's process, then its ingest process
    # Their anonymous memory (RssAnon: the heaps); the rest of a process's RSS is file-backed
    # or shared pages (code, libraries, mapped files), which the kernel can take back.
    anon_parts_mb: tuple[float, ...] = ()
    # The worker process's anonymous memory by kind of mapping (bench.smaps.KINDS).
    anon_kinds_mb: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryCheck:
    """What the history database held at the end."""

    retention_s: float
    spans: dict[str, list[float | int | None]]  # table -> [min t, max t, rows]
    vessels: int
    oldest_last_seen: float | None
    pages: int
    free_pages: int
    disk_mb: float


@dataclass(frozen=True)
class WeekAnalysis:
    """What the samples say."""

    warm_s: float
    warm_event_t: float
    warmed_up: bool
    wall_s: float
    event_days: float
    speed: float  # event time per wall time over the run, holds included
    rss_ready_mb: float
    rss_warm_mb: float
    rss_end_mb: float
    rss_max_mb: float
    slope_mb_per_wall_h: float  # every warm sample
    slope_mb_per_event_day: float
    caught_up_samples: int  # warm samples less than LAG_LIMIT_S of traffic behind
    warm_samples: int
    caught_up_slope_mb_per_wall_h: float
    caught_up_slope_mb_per_event_day: float
    judged_on: str  # "all" or "caught_up": the samples the verdict's slope comes from
    growth_warm_mb: float
    vessels: int
    growth_bytes_per_vessel: float  # (end - first warm sample) / vessels: the verdict's
    over_ready_bytes_per_vessel: float  # (end - Ready) / vessels, for scale
    rss_per_vessel_total: float  # end / vessels, for scale
    levels_off: bool
    per_vessel_ok: bool
    lag_max: int
    lag_end: int
    held_s: float
    series_warm: int
    series_end: int
    series_max: int
    series_bounded: bool
    history_mb_end: float
    history_mb_per_event_day_warm: float
    # The wall-time slope of each process's RSS once warm (the worker's, then its ingest
    # process's), so that a week that does not level off says which one grows.
    slope_parts_mb_per_wall_h: tuple[float, ...] = ()
    slope_anon_parts_mb_per_wall_h: tuple[float, ...] = ()  # the same of their RssAnon
    # The worker's anonymous memory's slope by kind of mapping (bench.smaps), MB per wall hour.
    slope_anon_kinds_mb_per_wall_h: dict[str, float] = field(default_factory=dict)


def _fit(xs: Sequence[float], ys: Sequence[float]) -> float:
    if len(xs) < 2 or len(set(xs)) < 2:
        return float("nan")
    return statistics.linear_regression(xs, ys).slope


def longest_window_s(retention_s: float) -> float:
    """The longest a worker keeps anything by event time: the history's retention, the sea
    cells' samples, the watched vessels' silences (forgotten past the dark sightings' lookback
    and wait) and the identity groups' fixes."""
    return max(
        retention_s,
        SEA.retention_s,
        SEA.candidate_lookback_s + SEA.sighting_wait_s,
        CHECKS.identity_keep_s,
    )


def warm_index(
    samples: Sequence[WeekSample], fleet_complete_at: int | None, retention_s: float
) -> int | None:
    """The first sample that is warm (see the module's doc), or None."""
    if not samples:
        return None
    need_t = T0 + longest_window_s(retention_s) + WARM_EXTRA_S
    min_s = WARMUP_MIN_SHARE * samples[-1].t_s
    for i, s in enumerate(samples):
        fleet = fleet_complete_at is not None and s.processed >= fleet_complete_at
        if fleet and s.event_t >= need_t and s.t_s >= min_s:
            return i
    return None


def analyse_week(
    samples: Sequence[WeekSample],
    vessels: int,
    fleet_complete_at: int | None,
    retention_s: float,
) -> WeekAnalysis:
    """Read the week's samples (in time order, the first before any traffic)."""
    if len(samples) < 4:
        raise ValueError("need at least four samples")
    first, last = samples[0], samples[-1]
    if last.t_s <= first.t_s:
        raise ValueError("the samples span no time")
    found = warm_index(samples, fleet_complete_at, retention_s)
    warmed_up = found is not None and len(samples) - found >= 4
    start = found if warmed_up and found is not None else len(samples) // 2
    warm = list(samples[start:])
    wall_slope = _fit([s.t_s for s in warm], [s.rss_mb for s in warm]) * HOUR_S
    event_slope = _fit([s.event_t for s in warm], [s.rss_mb for s in warm]) * DAY_S
    history_slope = _fit([s.event_t for s in warm], [s.history_mb for s in warm]) * DAY_S
    tracked = max(s.vessels for s in samples) or vessels
    per_vessel = (last.rss_mb - warm[0].rss_mb) * 2**20 / tracked
    second = warm[len(warm) // 2 :]
    series_max = max(s.series for s in warm)
    lags = [s.published - s.processed for s in warm]
    rate = last.published / last.t_s if last.t_s > 0 else 0.0
    caught = [s for s in warm if s.published - s.processed < LAG_LIMIT_S * rate]
    caught_wall = _fit([s.t_s for s in caught], [s.rss_mb for s in caught]) * HOUR_S
    caught_event = _fit([s.event_t for s in caught], [s.rss_mb for s in caught]) * DAY_S
    span = (caught[-1].t_s - caught[0].t_s) if len(caught) > 1 else 0.0
    use_caught = (
        len(caught) < len(warm)
        and len(caught) >= len(warm) / 2
        and span >= 0.75 * (warm[-1].t_s - warm[0].t_s)
        and math.isfinite(caught_wall)
    )
    judged = caught_wall if use_caught else wall_slope
    return WeekAnalysis(
        warm_s=warm[0].t_s,
        warm_event_t=warm[0].event_t,
        warmed_up=warmed_up,
        wall_s=last.t_s,
        event_days=(last.event_t - T0) / DAY_S,
        speed=(last.event_t - T0) / last.t_s,
        rss_ready_mb=first.rss_mb,
        rss_warm_mb=warm[0].rss_mb,
        rss_end_mb=last.rss_mb,
        rss_max_mb=max(s.rss_mb for s in samples),
        slope_mb_per_wall_h=wall_slope,
        slope_mb_per_event_day=event_slope,
        caught_up_samples=len(caught),
        warm_samples=len(warm),
        caught_up_slope_mb_per_wall_h=caught_wall,
        caught_up_slope_mb_per_event_day=caught_event,
        judged_on="caught_up" if use_caught else "all",
        growth_warm_mb=last.rss_mb - warm[0].rss_mb,
        vessels=tracked,
        growth_bytes_per_vessel=per_vessel,
        over_ready_bytes_per_vessel=(last.rss_mb - first.rss_mb) * 2**20 / tracked,
        rss_per_vessel_total=last.rss_mb * 2**20 / tracked,
        levels_off=judged < WALL_SLOPE_LIMIT_MB_PER_H,
        per_vessel_ok=per_vessel < BYTES_PER_VESSEL_LIMIT,
        lag_max=max(lags),
        lag_end=last.published - last.processed,
        held_s=last.held_s,
        series_warm=warm[0].series,
        series_end=last.series,
        series_max=series_max,
        series_bounded=max(s.series for s in second) <= second[0].series,
        history_mb_end=last.history_mb,
        history_mb_per_event_day_warm=history_slope,
        slope_parts_mb_per_wall_h=_part_slopes(warm, "rss_parts_mb"),
        slope_anon_parts_mb_per_wall_h=_part_slopes(warm, "anon_parts_mb"),
        slope_anon_kinds_mb_per_wall_h=_kind_slopes(warm),
    )


def _kind_slopes(warm: Sequence[WeekSample]) -> dict[str, float]:
    """The slope of each kind of anonymous mapping (MB per wall hour) over the warm samples
    that have them."""
    have = [s for s in warm if s.anon_kinds_mb]
    if len(have) < 2:
        return {}
    xs = [s.t_s for s in have]
    return {
        k: _fit(xs, [s.anon_kinds_mb.get(k, 0.0) for s in have]) * HOUR_S
        for k in have[0].anon_kinds_mb
    }


# The probe's allocator figures (bench.soak_probe: "alloc"), in MB.
_ALLOCATOR_FIGURES = {
    "python_arenas": lambda a: a["pymalloc"]["arenas"],  # 1 MiB each (CPython 3.10+, 64 bits)
    "python_objects": lambda a: a["pymalloc"]["allocated_bytes"] / 2**20,
    "glibc_heaps": lambda a: a["malloc"]["arena"] / 2**20,
    "glibc_in_use": lambda a: a["malloc"]["in_use"] / 2**20,
}


def allocator_slopes(
    probes: Sequence[dict[str, Any]], t0_epoch: float, warm_s: float
) -> dict[str, float]:
    """What the worker's allocators hold, fitted once warm (MB per wall hour): Python's object
    arenas against the bytes in their blocks, glibc's heaps against the bytes in use. An arena
    count that rises while the bytes do not is fragmentation; both rising, objects kept."""
    warm = [p for p in probes if "alloc" in p and p["at"] - t0_epoch >= warm_s]
    xs = [p["at"] for p in warm]
    out: dict[str, float] = {}
    for name, figure in _ALLOCATOR_FIGURES.items():
        try:
            ys = [float(figure(p["alloc"])) for p in warm]
        except (KeyError, TypeError):
            continue
        out[name] = _fit(xs, ys) * HOUR_S
    return out


def _part_slopes(warm: Sequence[WeekSample], field: str) -> tuple[float, ...]:
    """Each process's slope of a sampled tuple (MB per wall hour), over the warm samples that
    have it for them all."""
    width = max((len(getattr(s, field)) for s in warm), default=0)
    full = [s for s in warm if len(getattr(s, field)) == width]
    if width == 0 or len(full) < 2:
        return ()
    return tuple(
        _fit([s.t_s for s in full], [getattr(s, field)[i] for s in full]) * HOUR_S
        for i in range(width)
    )


def _check(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "ok": ok, "detail": detail}


def _history_checks(h: dict[str, Any]) -> list[dict[str, Any]]:
    retention = h["retention_s"]
    # The store prunes every retention / 24 of event time (shipwatch.history.store), and the
    # sink may be a little behind the newest fix: an hour of slack on top of that.
    slack = retention / 24 + HOUR_S
    newest = h["spans"]["fixes"][1]
    out = []
    for name, (low, _, rows) in h["spans"].items():
        if low is None or newest is None:
            out.append(_check(f"history {name}", True, "no rows"))
            continue
        age = newest - low
        out.append(
            _check(
                f"history {name}",
                age <= retention + slack,
                f"{rows:,} rows, the oldest {age / HOUR_S:.1f} h behind the newest fix "
                f"(retention {retention / HOUR_S:.0f} h + {slack / HOUR_S:.1f} h slack)",
            )
        )
    return out


def _sea_checks(probe: dict[str, Any], meeting: int) -> list[dict[str, Any]]:
    sea = probe.get("sea") or {}
    if not sea:
        return [_check("sea table", False, "no probe report")]
    slack = SEA.tick_s + SEA.lateness_s + HOUR_S
    out = []
    w1, w2 = sea.get("track_watermark"), sea.get("sea_watermark")
    tick = sea.get("oldest_tick")
    if tick is not None and w1 is not None:
        age = w1 - tick
        out.append(
            _check(
                "sea cells",
                age <= SEA.retention_s + slack,
                f"{sea['cell_heads']:,} cells, {sea['cell_ticks']:,} ticks, the oldest "
                f"{age / HOUR_S:.1f} h behind the watermark (retention "
                f"{SEA.retention_s / HOUR_S:.0f} h)",
            )
        )
    end = sea.get("oldest_end_marker")
    marker_age = None if end is None or w2 is None else w2 - end
    out.append(
        _check(
            "sea ended pairs",
            marker_age is None or marker_age <= SEA.retention_s + slack,
            f"{sea['pairs_ended']:,} end markers"
            + ("" if marker_age is None else f", the oldest {marker_age / HOUR_S:.1f} h old")
            + f" (kept {SEA.retention_s / HOUR_S:.0f} h)",
        )
    )
    run_last = sea.get("oldest_run_last")
    run_age = None if run_last is None or w2 is None else w2 - run_last
    out.append(
        _check(
            "sea running pairs",
            run_age is None or run_age <= SEA.retention_s + slack,
            f"{sea['pairs_running']:,} runs going on (meeting vessels: {meeting})"
            + ("" if run_age is None else f", the stalest last seen {run_age / HOUR_S:.1f} h ago"),
        )
    )
    return out


def _bounded(name: str, value: int | None, bound: int) -> dict[str, Any]:
    if value is None:
        return _check(name, False, "not reported")
    return _check(name, value <= bound, f"{value:,} (bound {bound:,})")


def checks(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Every retention rule against what the worker held at the end."""
    out = _history_checks(r["history"]) if "history" in r else []
    probes = r.get("probe") or []
    last = probes[-1] if probes else {}
    out += _sea_checks(last, r["fleet"].get("meeting", 0))
    shrink = dict(item.split("=") for item in r.get("shrink", "").split(",") if item)
    views = last.get("views", {})
    out.append(
        _bounded("triage board", views.get("triage_states"), int(shrink.get("triage_states", 0)))
    )
    out.append(
        _bounded(
            "remembered alert ids", views.get("triage_ids"), int(shrink.get("remembered_ids", 0))
        )
    )
    out.append(
        _bounded(
            "alert feed", views.get("feed_alerts"), int(shrink.get("feed_alerts", live_feed.KEEP))
        )
    )
    out.append(_bounded("vessels near the fences", views.get("nearby"), fence_map.KEEP))
    out.append(_bounded("vessel directory", views.get("directory"), vessel_info.KEEP))
    tables = last.get("tables", {})
    vessels = r["fleet"]["vessels"]
    out.append(_bounded("tracks table", tables.get("tracks"), vessels))
    a = r.get("analysis", {})
    if a:
        out.append(
            _check(
                "metric series",
                a["series_bounded"],
                f"{a['series_warm']:,} at warm-up end, {a['series_end']:,} at the end, "
                f"{a['series_max']:,} at most",
            )
        )
    return out


def summary_line(r: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON result."""
    a, o = r["analysis"], r["options"]
    return {
        "days": o["days"],
        "vessels": o["vessels"],
        "speed": o["speed"],
        "speed_achieved": round(a["speed"], 1),
        "wall_min": round(a["wall_s"] / 60, 1),
        "event_days": round(a["event_days"], 2),
        "rss_ready_mb": round(a["rss_ready_mb"], 1),
        "rss_warm_mb": round(a["rss_warm_mb"], 1),
        "rss_end_mb": round(a["rss_end_mb"], 1),
        "rss_max_mb": round(a["rss_max_mb"], 1),
        "slope_mb_per_wall_h": round(a["slope_mb_per_wall_h"], 2),
        "slope_mb_per_event_day": round(a["slope_mb_per_event_day"], 3),
        "caught_up_slope_mb_per_wall_h": round(a["caught_up_slope_mb_per_wall_h"], 2),
        "caught_up_slope_mb_per_event_day": round(a["caught_up_slope_mb_per_event_day"], 3),
        "judged_on": a["judged_on"],
        "slope_parts_mb_per_wall_h": [round(x, 2) for x in a.get("slope_parts_mb_per_wall_h", ())],
        "slope_anon_parts_mb_per_wall_h": [
            round(x, 2) for x in a.get("slope_anon_parts_mb_per_wall_h", ())
        ],
        "growth_bytes_per_vessel": round(a["growth_bytes_per_vessel"]),
        "over_ready_bytes_per_vessel": round(a["over_ready_bytes_per_vessel"]),
        "levels_off": a["levels_off"],
        "per_vessel_ok": a["per_vessel_ok"],
        "warmed_up": a["warmed_up"],
        "checks_ok": all(c["ok"] for c in r["checks"]),
        "failed_checks": [c["name"] for c in r["checks"] if not c["ok"]],
        "lag_max": a["lag_max"],
        "held_s": round(a["held_s"], 1),
        "worker_cores": round(r["worker_cores"], 2),
        "worker_cpu_us_per_position": round(r["worker_cpu_us_per_position"], 1),
        "published": r["published"],
        "out_dir": r.get("out_dir"),
    }


def verdict(r: dict[str, Any]) -> str:
    """One line: does the RSS level off, is it small per vessel, did retention hold."""
    a = r["analysis"]
    caught = a["judged_on"] == "caught_up"
    wall = a["caught_up_slope_mb_per_wall_h"] if caught else a["slope_mb_per_wall_h"]
    day = a["caught_up_slope_mb_per_event_day"] if caught else a["slope_mb_per_event_day"]
    over = (
        f" over the {a['caught_up_samples']} of {a['warm_samples']} warm samples with the "
        f"worker caught up; {a['slope_mb_per_wall_h']:+.2f} MB/h over all, with a backlog's "
        "buffers"
        if caught
        else ""
    )
    memory = (
        f"RSS levels off ({wall:+.2f} MB/h of wall time < {WALL_SLOPE_LIMIT_MB_PER_H:g}, "
        f"{day:+.2f} MB per simulated day{over})"
        if a["levels_off"]
        else f"RSS DOES NOT LEVEL OFF ({wall:+.2f} MB/h of wall time, limit "
        f"{WALL_SLOPE_LIMIT_MB_PER_H:g}; {day:+.2f} MB per simulated day{over})"
    )
    parts = a.get("slope_parts_mb_per_wall_h") or ()
    anon = a.get("slope_anon_parts_mb_per_wall_h") or ()
    if len(parts) > 1:
        names = ["worker", "ingest", *(f"child {i}" for i in range(2, len(parts)))]
        said = [f"{n} {x:+.2f} MB/h" for n, x in zip(names, parts, strict=True)]
        if len(anon) == len(parts):
            said = [f"{p} (anonymous {x:+.2f})" for p, x in zip(said, anon, strict=True)]
        memory += " [by process: " + ", ".join(said) + "]"
    kinds = a.get("slope_anon_kinds_mb_per_wall_h") or {}
    if kinds:
        memory += " [the worker's anonymous memory by mapping: " + ", ".join(
            f"{k} {x:+.2f}" for k, x in sorted(kinds.items(), key=lambda kv: -abs(kv[1]))
        )
        memory += "]"
    alloc = r.get("allocators") or {}
    if alloc:
        memory += " [its allocators, MB/h: " + ", ".join(f"{k} {x:+.2f}" for k, x in alloc.items())
        memory += "]"
    per_vessel = (
        f"growth once warm {a['growth_bytes_per_vessel']:,.0f} B per vessel "
        + ("<" if a["per_vessel_ok"] else "OVER")
        + f" {BYTES_PER_VESSEL_LIMIT:,.0f}"
    )
    failed = [c["name"] for c in r["checks"] if not c["ok"]]
    retention = "every retention rule held" if not failed else "FAILED: " + ", ".join(failed)
    caveat = (
        ""
        if a["warmed_up"]
        else "; NOT WARMED UP: the run ended before its retentions filled (the second half "
        "stands in)"
    )
    return f"verdict: {memory}; {per_vessel}; {retention}{caveat}"


def _rows(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows, mark = [samples[0]], ROW_EVERY_S
    for s in samples[1:-1]:
        if s["t_s"] >= mark:
            rows.append(s)
            mark = (s["t_s"] // ROW_EVERY_S + 1) * ROW_EVERY_S
    return [*rows, samples[-1]]


def _probe_at(probes: list[dict[str, Any]], epoch: float) -> dict[str, Any]:
    before = [p for p in probes if p["at"] <= epoch]
    return before[-1] if before else {}


def table(r: dict[str, Any]) -> str:
    """The human report: the curve, the checks."""
    a, o, fl = r["analysis"], r["options"], r["fleet"]
    rows = [
        "shipwatch week soak",
        f"  {a['event_days']:.2f} days of event time in {a['wall_s'] / 60:.1f} min "
        f"({a['speed']:.0f}x real time, asked {o['speed']:g}x; held back {a['held_s']:.0f} s); "
        f"{r['published']:,} positions of {fl['vessels']:,} vessels ({fl['steaming']:,} under "
        f"way, {fl['anchored']:,} anchoring, {fl['callers']:,} calling, {fl['meeting']} "
        f"meeting at sea, {fl['meetings_per_day']} meetings a day)",
        f"  history retention {o['retention_days']:g} days; bounds lowered: {r['shrink']}; "
        f"{r['triage']['acted']} triage actions",
        f"  machine: {r['cpu_count']} cores; load (1 min) {r['load_at_start'][0]:.2f} at start, "
        f"{r['load_at_end'][0]:.2f} at the end; worker {r['worker_cores']:.2f} cores "
        f"({r['worker_cpu_us_per_position']:.1f} us a position), broker "
        f"{r['broker_cores']:.2f}",
        "",
        f"  {'wall min':>8} {'event day':>9} {'RSS MB':>7} {'vs warm':>8} {'vessels':>7} "
        f"{'done':>11} {'lag':>7} {'hist MB':>7} {'series':>6} {'sea keys':>8} {'ended':>6}",
    ]
    probes = r.get("probe") or []
    for s in _rows(r["samples"]):
        p = _probe_at(probes, r.get("t0_epoch", 0.0) + s["t_s"]) if probes else {}
        sea = p.get("sea", {})
        rows.append(
            f"  {s['t_s'] / 60:8.1f} {(s['event_t'] - T0) / DAY_S:9.2f} {s['rss_mb']:7.1f} "
            f"{s['rss_mb'] - a['rss_warm_mb']:+8.1f} {s['vessels']:7,} {s['processed']:11,} "
            f"{s['published'] - s['processed']:7,} {s['history_mb']:7.1f} {s['series']:6} "
            f"{sea.get('keys', ''):>8} {sea.get('pairs_ended', ''):>6}"
        )
    rows += [
        "",
        f"  warm from {a['warm_s'] / 60:.1f} min (event day "
        f"{(a['warm_event_t'] - T0) / DAY_S:.2f})"
        + ("" if a["warmed_up"] else ": NOT WARMED UP, the second half stands in"),
        f"  RSS {a['rss_ready_mb']:.1f} MB at Ready, {a['rss_warm_mb']:.1f} warm, "
        f"{a['rss_end_mb']:.1f} at the end, {a['rss_max_mb']:.1f} max (VmHWM "
        f"{r['peak_rss_mb']:.1f}); {r['rss_after_drain_mb']:.1f} after the drain",
        f"  once warm: {a['slope_mb_per_wall_h']:+.2f} MB per hour of wall time, "
        f"{a['slope_mb_per_event_day']:+.3f} MB per simulated day, "
        f"{a['growth_warm_mb']:+.1f} MB in all; caught up ({a['caught_up_samples']} of "
        f"{a['warm_samples']} samples less than {LAG_LIMIT_S:g} s behind): "
        f"{a['caught_up_slope_mb_per_wall_h']:+.2f} MB/h, "
        f"{a['caught_up_slope_mb_per_event_day']:+.3f} MB per simulated day; judged on "
        + ("the caught-up samples" if a["judged_on"] == "caught_up" else "all"),
        f"  per vessel ({a['vessels']:,}): {a['growth_bytes_per_vessel']:,.0f} B of growth once "
        f"warm; {a['over_ready_bytes_per_vessel']:,.0f} B over Ready; "
        f"{a['rss_per_vessel_total']:,.0f} B of the whole RSS",
        f"  lag: {a['lag_max']:,} positions at most once warm, {a['lag_end']:,} at the end; "
        + (
            f"drained {r['drain_s']:.1f} s after the last position"
            if r.get("drain_s") is not None
            else "NOT drained"
        ),
        f"  history on disk {a['history_mb_end']:.1f} MB, "
        f"{a['history_mb_per_event_day_warm']:+.2f} MB per simulated day once warm",
        "",
        "  retention and bounds at the end:",
    ]
    rows += [f"    {'ok ' if c['ok'] else 'NO '} {c['name']}: {c['detail']}" for c in r["checks"]]
    rows.append(f"  took {r['seconds'] / 60:.1f} min; results in {r.get('out_dir')}")
    return "\n".join(rows)
