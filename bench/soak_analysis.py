"""Soak analysis: what a soak's samples say about a worker's memory and pace (pure).

`analyse` reads the samples that bench.soak takes:
 - warm-up ends when the worker has done every vessel's first position, and not before a tenth
   of the run (`warmup_end`); `rss_start_mb` is the RSS then;
 - the last half is the second half of the run (or the time after warm-up, if that is later);
   the RSS slope there is a least-squares fit, in MB per minute;
 - the RSS levels off when that slope is below 1 MB/min and the RSS grew by less than 5 %
   from the first sample of the last half to the last sample;
 - the worker kept up when, at the last sample, it was less than 5 s of traffic behind the
   positions published, and the run was steady when it was never further behind than that
   after warm-up: a worker working off a backlog holds more in memory (fetched batches, stream
   buffers);
 - the memory verdict is conclusive only for a steady run whose warm-up ended before its last
   three samples (else the last three samples stand in for the last half).
Consumer-group rebalances during the run (`rebalances`, read from the worker's log) are listed
with the curve: with the in-memory table store each one re-reads the tables' changelogs, which
stalls the worker and raises its RSS.

`summary_line`, `verdict` and `table` turn the soak's results into its report.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

SLOPE_LIMIT_MB_PER_MIN = 1.0  # levels off: least-squares RSS slope of the last half below this
GROWTH_LIMIT = 0.05  # ... and the RSS grew by less than this share over the last half
LAG_LIMIT_S = 5.0  # kept up: at the end, less than this many seconds of traffic behind
WARMUP_MIN_SHARE = 0.1  # warm-up lasts at least this share of the run
ROW_EVERY_S = 30.0  # the table: about one row this often
_LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] \[\d+\] \[\w+\] (.*)$")


@dataclass(frozen=True)
class Sample:
    """One look at the worker, `t_s` seconds after publishing began."""

    t_s: float
    rss_mb: float
    processed: int  # positions done by the track stage (applied, stale or rejected)
    published: int  # positions the broker has acknowledged


@dataclass(frozen=True)
class Analysis:
    """What the samples say about the worker's memory and pace."""

    warmup_s: float
    last_half_from_s: float
    rss_ready_mb: float  # the first sample: before any traffic
    rss_start_mb: float  # at warm-up end
    rss_end_mb: float
    rss_max_mb: float
    slope_last_half_mb_per_min: float  # least squares over the last half
    growth_last_half: float  # (last sample - first sample of the last half) / the latter
    levels_off: bool
    lag_end: int  # positions published but not yet done, at the last sample
    lag_end_s: float  # the same in seconds of traffic at `rate`
    lag_max: int  # the largest lag seen after warm-up
    kept_up: bool
    steady: bool  # never more than the lag limit behind after warm-up: no backlog to buffer
    warmed_up: bool  # warm-up ended before the last three samples: the last half is after it
    conclusive: bool  # warmed up and steady: `levels_off` says something about leaks
    published_per_s: float  # over the whole run
    processed_per_s_last_half: float


def warmup_end(samples: Sequence[Sample], fleet_complete_at: int | None, min_s: float) -> float:
    """When warm-up is over: the first sample at which the worker had done `fleet_complete_at`
    positions (the count by which every vessel had been published once), and not before `min_s`.
    With no such sample (the fleet never completed, or the worker never got there): the end.
    """
    end = samples[-1].t_s
    if fleet_complete_at is None:
        return end
    done = next((s.t_s for s in samples if s.processed >= fleet_complete_at), end)
    return min(end, max(done, min_s))


def analyse(
    samples: Sequence[Sample],
    rate: float,
    warmup_s: float,
    slope_limit: float = SLOPE_LIMIT_MB_PER_MIN,
    growth_limit: float = GROWTH_LIMIT,
    lag_limit_s: float = LAG_LIMIT_S,
) -> Analysis:
    """Read a soak's samples (in time order, the first before any traffic)."""
    if len(samples) < 3:
        raise ValueError("need at least three samples")
    first, last = samples[0], samples[-1]
    if last.t_s <= first.t_s:
        raise ValueError("the samples span no time")
    after_warmup = [s for s in samples if s.t_s >= warmup_s] or [last]
    cut = max(first.t_s + (last.t_s - first.t_s) / 2, warmup_s)
    half = [s for s in samples if s.t_s >= cut]
    warmed_up = len(half) >= 3
    if not warmed_up:  # too short a run, or too long a warm-up: the last three samples
        half = list(samples[-3:])
    fit = statistics.linear_regression([s.t_s for s in half], [s.rss_mb for s in half])
    slope = fit.slope * 60.0
    growth = (half[-1].rss_mb - half[0].rss_mb) / half[0].rss_mb
    lag_end = last.published - last.processed
    lag_max = max(s.published - s.processed for s in after_warmup)
    seconds = half[-1].t_s - half[0].t_s
    return Analysis(
        warmup_s=warmup_s,
        last_half_from_s=half[0].t_s,
        rss_ready_mb=first.rss_mb,
        rss_start_mb=after_warmup[0].rss_mb,
        rss_end_mb=last.rss_mb,
        rss_max_mb=max(s.rss_mb for s in samples),
        slope_last_half_mb_per_min=slope,
        growth_last_half=growth,
        levels_off=slope < slope_limit and growth < growth_limit,
        lag_end=lag_end,
        lag_end_s=lag_end / rate,
        lag_max=lag_max,
        kept_up=lag_end < lag_limit_s * rate,
        steady=lag_max < lag_limit_s * rate,
        warmed_up=warmed_up,
        conclusive=warmed_up and lag_max < lag_limit_s * rate,
        published_per_s=(last.published - first.published) / (last.t_s - first.t_s),
        processed_per_s_last_half=(half[-1].processed - half[0].processed) / seconds,
    )


@dataclass(frozen=True)
class Rebalance:
    """A consumer-group rebalance of the worker, in seconds after publishing began."""

    at_s: float  # "Revoking previously assigned partitions"
    ready_s: float | None  # the recovery's "Worker ready" (None: not in the log)
    restored: bool  # the tables were re-read from their changelogs


def rebalances(log: str, since_epoch: float) -> list[Rebalance]:
    """The rebalances a worker's log records after `since_epoch` (time.time()).

    The log's timestamps are local time, to the millisecond.
    """
    found: list[Rebalance] = []
    for row in log.splitlines():
        match = _LOG_LINE.match(row)
        if not match:
            continue
        when = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp() - since_epoch
        text = match[2]
        if when < 0:
            continue
        if "Revoking previously assigned partitions" in text:
            found.append(Rebalance(when, None, False))
        elif found and found[-1].ready_s is None:
            if "Restoring state from changelog topics" in text:
                found[-1] = replace(found[-1], restored=True)
            elif "[^---Recovery]: Worker ready" in text:
                found[-1] = replace(found[-1], ready_s=when)
    return found


def summary_line(r: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON result."""
    a, o = r["analysis"], r["options"]
    return {
        "minutes": o["minutes"],
        "rate": o["rate"],
        "vessels": o["vessels"],
        "rss_ready_mb": round(a["rss_ready_mb"], 1),
        "rss_start_mb": round(a["rss_start_mb"], 1),
        "rss_end_mb": round(a["rss_end_mb"], 1),
        "rss_max_mb": round(a["rss_max_mb"], 1),
        "slope_last_half_mb_per_min": round(a["slope_last_half_mb_per_min"], 3),
        "growth_last_half_pct": round(a["growth_last_half"] * 100, 2),
        "levels_off": a["levels_off"],
        "kept_up": a["kept_up"],
        "steady": a["steady"],
        "conclusive": a["conclusive"],
        "lag_end": a["lag_end"],
        "lag_max": a["lag_max"],
        "published_per_s": round(a["published_per_s"], 1),
        "warmup_s": round(a["warmup_s"], 1),
        "drain_s": None if r["drain_s"] is None else round(r["drain_s"], 2),
        "worker_cores": round(r["worker_cores"], 2),
        "worker_cpu_ms_per_position": round(r["worker_cpu_ms_per_position"], 2),
        "rebalances": [
            [round(b["at_s"], 1), None if b["ready_s"] is None else round(b["ready_s"], 1)]
            for b in r["rebalances"]
        ],
        "load_avg_1m": [round(r["load_at_start"][0], 2), round(r["load_at_end"][0], 2)],
        "out_dir": r.get("out_dir"),
        "samples": [
            [round(s["t_s"], 1), round(s["rss_mb"], 2), s["processed"]] for s in r["samples"]
        ],
    }


def verdict(r: dict[str, Any]) -> str:
    """One line: does the RSS level off, did the worker keep up."""
    a = r["analysis"]
    slope, growth = a["slope_last_half_mb_per_min"], a["growth_last_half"] * 100
    memory = (
        f"RSS levels off ({slope:+.2f} MB/min < {SLOPE_LIMIT_MB_PER_MIN:g}, "
        f"{growth:+.1f} % < {GROWTH_LIMIT:.0%} over the last half)"
        if a["levels_off"]
        else f"RSS DOES NOT LEVEL OFF ({slope:+.2f} MB/min, {growth:+.1f} % over the last half; "
        f"limits {SLOPE_LIMIT_MB_PER_MIN:g} MB/min and {GROWTH_LIMIT:.0%})"
    )
    pace = (
        f"kept up ({a['lag_end']:,} positions = {a['lag_end_s']:.2f} s behind at the end)"
        if a["kept_up"]
        else f"FELL BEHIND ({a['lag_end']:,} positions = {a['lag_end_s']:.1f} s at the end, "
        f"limit {LAG_LIMIT_S:g} s)"
    )
    moved = r["rebalances"]
    during = (
        "; during the run "
        + ", ".join(
            f"a rebalance at {b['at_s']:.0f} s"
            + (" re-read the tables" if b["restored"] else "")
            + (f" ({b['ready_s'] - b['at_s']:.0f} s)" if b["ready_s"] is not None else "")
            for b in moved
        )
        if moved
        else ""
    )
    caveats = []
    if not a["warmed_up"]:
        caveats.append(
            "NOT WARMED UP: the worker had not done every vessel's first position until the "
            "end, so the fleet was still growing (no verdict on a leak; run longer)"
        )
    if not a["steady"]:
        caveats.append(
            f"NOT STEADY: up to {a['lag_max'] / r['options']['rate']:.0f} s behind after "
            "warm-up, so the RSS also holds a backlog's buffers (no verdict on a leak)"
        )
    return "; ".join([f"verdict: {memory}; the worker {pace}{during}", *caveats])


def _rows(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The samples closest after each multiple of ROW_EVERY_S, the first and the last."""
    rows, mark = [samples[0]], ROW_EVERY_S
    for s in samples[1:-1]:
        if s["t_s"] >= mark:
            rows.append(s)
            mark = (s["t_s"] // ROW_EVERY_S + 1) * ROW_EVERY_S
    return [*rows, samples[-1]]


def table(r: dict[str, Any], drain_wait_s: float, out_root: Path) -> str:
    """The human report: the curve, a row every ~30 s."""
    # The runner's drain wait and output root are passed in: they are how it ran, not results.
    a, o, fl = r["analysis"], r["options"], r["fleet"]
    rows = [
        "shipwatch soak",
        f"  {o['minutes']:g} min at {o['rate']:,.0f} positions/s "
        f"(published {a['published_per_s']:,.1f}/s) of {fl['vessels']:,} vessels "
        f"({fl['steaming']:,} under way, {fl['anchored']:,} at anchor, {fl['callers']:,} calling "
        f"at Vostochny or Chongjin); a sample every {o['sample_s']:g} s",
        f"  machine: {r['cpu_count']} cores; load average (1 min) {r['load_at_start'][0]:.2f} at "
        f"start, {r['load_at_end'][0]:.2f} at the end; worker {r['worker_cores']:.2f} cores, "
        f"broker {r['broker_cores']:.2f} cores; worker CPU "
        f"{r['worker_cpu_ms_per_position']:.2f} ms per position done",
        "",
        f"  {'t (s)':>7} {'RSS (MB)':>9} {'vs warm':>8} {'done':>9} {'published':>10} "
        f"{'lag':>6} {'done/s':>7}",
    ]
    previous = None
    for s in _rows(r["samples"]):
        per_s = (
            f"{(s['processed'] - previous['processed']) / (s['t_s'] - previous['t_s']):7.0f}"
            if previous is not None and s["t_s"] > previous["t_s"]
            else f"{'':>7}"
        )
        rows.append(
            f"  {s['t_s']:7.1f} {s['rss_mb']:9.1f} {s['rss_mb'] - a['rss_start_mb']:+8.1f} "
            f"{s['processed']:9,} {s['published']:10,} {s['published'] - s['processed']:6,} "
            f"{per_s}"
        )
        previous = s
    complete = r["fleet_complete_at"]
    rows += [
        "",
        f"  warm-up: {a['warmup_s']:.0f} s "
        + (
            f"(every vessel had been published once after {complete:,} positions)"
            if complete
            else "(the whole run: some vessels were never published)"
        ),
        f"  RSS: {a['rss_ready_mb']:.1f} MB at Ready, {a['rss_start_mb']:.1f} at warm-up end, "
        f"{a['rss_end_mb']:.1f} at the end, {a['rss_max_mb']:.1f} max "
        f"(VmHWM {r['peak_rss_mb']:.1f}); {r['rss_after_drain_mb']:.1f} after the drain",
        f"  last half (from {a['last_half_from_s']:.0f} s): slope "
        f"{a['slope_last_half_mb_per_min']:+.3f} MB/min, growth "
        f"{a['growth_last_half'] * 100:+.2f} %, done {a['processed_per_s_last_half']:,.1f}/s",
        f"  lag: {a['lag_end']:,} at the end, {a['lag_max']:,} at most after warm-up; drained "
        + (
            f"{r['drain_s']:.1f} s after the last position"
            if r["drain_s"] is not None
            else f"NOT within {drain_wait_s:.0f} s"
        ),
    ]
    rows += [
        f"  rebalance at {b['at_s']:.1f} s: "
        + ("the tables re-read from their changelogs, " if b["restored"] else "")
        + (
            f"ready again at {b['ready_s']:.1f} s"
            if b["ready_s"] is not None
            else "not ready again by the end"
        )
        for b in r["rebalances"]
    ] or ["  no rebalance during the run"]
    rows.append(f"  took {r['seconds']:.0f} s; results in {r.get('out_dir', out_root)}")

    return "\n".join(rows)
