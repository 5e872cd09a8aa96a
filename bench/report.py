"""The benchmark's report: the table for people and the one-line JSON result, with the targets.

Both are read off the results `bench.run` collects (also written to bench/out/<time>/). A figure
the run could not measure (a series the worker does not export, no probe alert) shows as "n/a"
in the table and as null in the JSON.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Callable
from typing import Any

from bench import capacity

# Each target: the JSON field it applies to, how it is compared, the bound.
TARGETS: dict[str, tuple[str, float]] = {
    "positions_per_s": (">=", 20_000.0),
    "ratio": (">=", 0.5),  # worker / batch baseline
    "alert_latency_p99_ms": ("<=", 1000.0),  # at the plan's load share (30 %) of the throughput
    "bytes_per_vessel": ("<=", 2048.0),  # RSS per tracked vessel
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}


def rounded(value: float | None, digits: int = 0) -> float | int | None:
    """A figure for the JSON line: None when missing or not a number."""
    if value is None or not math.isfinite(value):
        return None
    return round(value) if digits == 0 else round(value, digits)


def meets(name: str, value: float | None) -> bool:
    """Whether a figure meets its target (a missing figure does not)."""
    how, bound = TARGETS[name]
    return value is not None and math.isfinite(value) and _COMPARE[how](value, bound)


def pure_us_per_position(r: dict[str, Any]) -> float:
    """Microseconds of pure work per position: every stage as the agents run them."""
    return float(
        sum(x["us_per_position"] for x in r["stages"] if not x["name"].startswith("detect"))
    )


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _stage_us(r: dict[str, Any]) -> dict[str, float | int | None]:
    return {s["stage"]: rounded(s["us_per_position"], 1) for s in r["stage_cpu"]}


def _stages_accounted(r: dict[str, Any]) -> float | None:
    known = [s["us_per_position"] for s in r["stage_cpu"] if s["us_per_position"] is not None]
    return sum(known) if known else None


def _two_workers(r: dict[str, Any]) -> dict[str, Any]:
    pair, one = r["two_workers"], r["throughput"]["per_s"]
    return {
        "positions_per_s": rounded(pair["per_s"]),
        "scaling": rounded(_ratio(pair["per_s"], one), 3),
        "worker_cores": [rounded(w["cores"], 2) for w in pair["workers"]],
        "worker_cpu_ms_per_position": [
            rounded(w["cpu_ms_per_position"], 3) for w in pair["workers"]
        ],
        "worker_positions": [w["positions"] for w in pair["workers"]],
        "applied_at_end": pair["applied_at_end"],
        "broker_cores": rounded(pair["broker_cores"], 2),
        "nproc": r["machine"]["nproc"],
    }


def rounds_ratio(r: dict[str, Any]) -> float:
    """The median of the rounds' worker / batch baseline ratios (the first run's alone in a
    results file from before the rounds)."""
    rounds = r.get("rounds") or [
        {"ratio": _ratio(r["throughput"]["per_s"], r["baseline"]["per_s"])}
    ]
    return float(statistics.median(x["ratio"] for x in rounds))


def summary_line(r: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON result."""
    per_s = r["throughput"]["per_s"]
    base = r["baseline"]["per_s"]
    ratio = rounds_ratio(r)
    lat = r["latency"]
    bytes_per_vessel = r["memory"]["bytes_per_new_vessel"]
    out: dict[str, Any] = {
        "positions_per_s": rounded(per_s),
        "baseline_per_s": rounded(base),
        "per_message_baseline_per_s": rounded(r["baseline_per_message"]["per_s"]),
        "ratio": rounded(ratio, 3),
        "ratio_rounds": [rounded(x["ratio"], 3) for x in r.get("rounds", [])],
        "ratio_first_round": rounded(_ratio(per_s, base), 3),
        "ratio_per_message": rounded(_ratio(per_s, r["baseline_per_message"]["per_s"]), 3),
        "alert_latency_p50_ms": rounded(lat["p50_ms"], 1),
        "alert_latency_p99_ms": rounded(lat["p99_ms"], 1),
        "rss_mb": rounded(r["throughput"]["rss_end_mb"], 1),
        "bytes_per_vessel": rounded(bytes_per_vessel),
        "table_memory_bytes_per_vessel": rounded(r["state"]["memory_mean"]),
        "state_json_bytes_per_vessel": rounded(r["state"]["json_mean"]),
        "steady_positions_per_s": rounded(r["throughput"]["steady_per_s"]),
        "worker_cpu_ms_per_position": rounded(r["throughput"]["cpu_ms_per_position"], 3),
        "worker_cpu_us_per_position": rounded(r["throughput"]["cpu_ms_per_position"] * 1000, 1),
        "stage_us_per_position": _stage_us(r),
        "stages_us_per_position": rounded(_stages_accounted(r), 1),
        "pure_us_per_position": rounded(pure_us_per_position(r), 1),
        "two_workers": _two_workers(r),
        "capacity": r["capacity"],
        "nproc": r["machine"]["nproc"],
        "positions": r["load"]["positions"],
        "positions_planned": r["plan"]["positions"],
        "vessels": r["plan"]["vessels"],
        "latency_rate_per_s": rounded(lat["achieved_rate"]),
        "latency_load_share": r["plan"]["load_share"],
        "probes_matched": len(lat["latencies_ms"]),
        "load_avg_1m": [round(r["load_at_start"][0], 2), round(r["load_at_end"][0], 2)],
    }
    out["targets"] = {name: f"{how} {bound:g}" for name, (how, bound) in TARGETS.items()}
    out["targets"]["alert_latency_p99_ms"] += f" at {r['plan']['load_share']:.0%} load"
    out["meets"] = {
        "positions_per_s": meets("positions_per_s", per_s),
        "ratio": meets("ratio", ratio),
        "alert_latency_p99_ms": meets("alert_latency_p99_ms", lat["p99_ms"]),
        "bytes_per_vessel": meets("bytes_per_vessel", bytes_per_vessel),
    }
    return out


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _target(name: str, ok: bool) -> str:
    how, bound = TARGETS[name]
    return f"{how} {bound:,g}: {_verdict(ok)}"


def _row(label: str, value: str, note: str = "") -> str:
    return f"  {label:<52} {value:>15}  {note}".rstrip()


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:{spec}}{unit}"


def _header(r: dict[str, Any]) -> list[str]:
    fl, plan, mach = r["fleet"], r["plan"], r["machine"]
    budget = f"drain budget {plan['budget_s']:.0f} s" if plan["budget_s"] > 0 else "no cap"
    return [
        "shipwatch benchmark",
        f"  traffic: {r['load']['positions']:,} positions (plan: {plan['positions']:,}, "
        f"{budget}) of {fl['vessels']:,} vessels "
        f"({fl['steaming']:,} under way, {fl['anchored']:,} at anchor, {fl['callers']:,} calling "
        f"at Vostochny or Chongjin, {fl['dprk_callers']} of those DPRK-flagged)",
        f"  machine: {mach['limits']}; load average (1 min) {r['load_at_start'][0]:.2f} "
        f"at start, {r['load_during_drain'][0]:.2f} after the worker run, "
        f"{r['load_at_end'][0]:.2f} at the end",
    ]


def _throughput(r: dict[str, Any], s: dict[str, Any]) -> list[str]:
    t, b, pm, ok = r["throughput"], r["baseline"], r["baseline_per_message"], s["meets"]
    return [
        _row("measure", "value", "target"),
        _row(
            "worker throughput (Ready -> all applied)",
            f"{t['per_s']:,.0f}/s",
            _target("positions_per_s", ok["positions_per_s"]),
        ),
        _row("  steady (10 % -> 90 % of the positions)", _fmt(t["steady_per_s"], ",.0f", "/s")),
        _row("  first position done after Ready", _fmt(t["first_after_s"], ".2f", " s")),
        _row("baseline: batch loop (getmany, decode, send_batch)", f"{b['per_s']:,.0f}/s"),
        _row("  steady (10 % -> 90 %)", _fmt(b["steady_per_s"], ",.0f", "/s")),
        _row("per-message baseline (decode, send each)", f"{pm['per_s']:,.0f}/s"),
        _row("  steady (10 % -> 90 %)", _fmt(pm["steady_per_s"], ",.0f", "/s")),
        _row("worker / batch baseline, this run", _fmt(s["ratio_first_round"], ".3f")),
        _row(
            f"  the median of {len(r.get('rounds', [])) or 1} rounds (baseline, then a worker)",
            _fmt(s["ratio"], ".3f"),
            _target("ratio", ok["ratio"]),
        ),
        *[
            _row(
                f"    round {i}: baseline {x['baseline_per_s']:,.0f}/s, worker "
                f"{x['worker_per_s']:,.0f}/s ({x['worker_cpu_us_per_position']:.0f} us a position)",
                f"{x['ratio']:.3f}",
            )
            for i, x in enumerate(r.get("rounds", []), 1)
        ],
        _row("worker / per-message baseline", _fmt(s["ratio_per_message"], ".3f")),
        _row("worker CPU time per position", f"{t['cpu_ms_per_position'] * 1000:,.0f} us"),
        _row("CPU during the worker run: the worker", f"{t['worker_cores']:.2f} cores"),
        _row("  the broker (on the same cores)", f"{t['broker_cores']:.2f} cores"),
        _row("  everything else (other sessions, this run)", f"{t['others_cores']:.2f} cores"),
    ]


def _stage_rows(r: dict[str, Any]) -> list[str]:
    t = r["throughput"]
    cpu_us = t["cpu_ms_per_position"] * 1000
    rows = [
        "",
        _row("worker time per position by stage (stage seconds)", "us/position", "messages"),
    ]
    for x in r["stage_cpu"]:
        if x["us_per_position"] is None:
            rows.append(_row(f"  {x['stage']}", "n/a", "not exported"))
            continue
        per_msg = x["records_per_message"]
        note = f"{x['messages']:,.0f}" if x["messages"] is not None else "n/a"
        if per_msg is not None:
            note += f", {per_msg:,.{1 if per_msg < 10 else 0}f} records each"
        rows.append(_row(f"  {x['stage']}", f"{x['us_per_position']:,.1f}", note))
    known = _stages_accounted(r)
    if known is not None:
        rest = cpu_us - known
        note = (
            f"the rest ({rest:,.0f} us): outside the stages (Kafka clients, event loop, framework)"
            if rest >= 0
            else "more than the CPU: some stage timers count waiting or preemption"
        )
        rows.append(
            _row("  the stages together / the worker's CPU", f"{known:,.1f} / {cpu_us:,.0f}", note)
        )
    return rows


def _latency_rows(r: dict[str, Any], s: dict[str, Any]) -> list[str]:
    lat, ok = r["latency"], s["meets"]
    probes = len(lat["latencies_ms"])
    share = r["plan"]["load_share"]
    return [
        _row(
            f"alert latency p50 at {lat['achieved_rate']:,.0f}/s ({share:.0%} load)",
            _fmt(lat["p50_ms"], ",.0f", " ms"),
        ),
        _row("alert latency p90", _fmt(lat["p90_ms"], ",.0f", " ms")),
        _row(
            f"alert latency p99 ({probes} probes: the slowest)",
            _fmt(lat["p99_ms"], ",.0f", " ms"),
            _target("alert_latency_p99_ms", ok["alert_latency_p99_ms"]),
        ),
        _row(
            "  until the worker produced the alert, p50",
            _fmt(lat["worker_side_p50_ms"], ",.0f", " ms"),
        ),
        _row("  probes without an alert", f"{lat['unmatched']}"),
        _row("  worker CPU during the latency phase", f"{lat['worker_cpu']:.2f} cores"),
    ]


def _memory_rows(r: dict[str, Any], s: dict[str, Any]) -> list[str]:
    t, m, st = r["throughput"], r["memory"], r["state"]
    return [
        _row("worker RSS after the run (VmRSS)", f"{t['rss_end_mb']:.1f} MB"),
        _row("  at Ready / peak (VmHWM)", f"{t['rss_start_mb']:.0f} / {t['peak_rss_mb']:.0f} MB"),
        _row(
            f"RSS per vessel ({m['vessels']:,} join a fresh worker)",
            _fmt(m["bytes_per_new_vessel"], ",.0f", " B"),
            _target("bytes_per_vessel", s["meets"]["bytes_per_vessel"]),
        ),
        _row(
            "  from",
            "the slope of RSS over vessels done"
            if m.get("bytes_per_vessel_method", "slope") == "slope"
            else f"the growth over the phase: {m.get('bytes_per_vessel_why', '')}",
        ),
        _row(
            "  overall (RSS growth / vessels)",
            _fmt(m["bytes_per_vessel_overall"], ",.0f", " B"),
            f"{m['rss_start_mb']:.0f} -> {m['rss_end_mb']:.0f} MB",
        ),
        _row(
            "table state as JSON per vessel, mean / max",
            f"{st['json_mean']:,.0f} / {st['json_max']:,.0f} B",
        ),
        _row("table values in memory per vessel, mean", f"{st['memory_mean']:,.0f} B"),
    ]


def _two_worker_rows(r: dict[str, Any]) -> list[str]:
    pair, one = r["two_workers"], r["throughput"]
    rows = [
        "",
        _row(
            "two workers, one group (all loaded -> all applied)",
            f"{pair['per_s']:,.0f}/s",
            f"x{_ratio(pair['per_s'], one['per_s']):.2f} one worker's {one['per_s']:,.0f}/s; "
            f"{pair['positions']:,} positions in {pair['seconds']:.1f} s",
        ),
    ]
    for i, w in enumerate(pair["workers"]):
        rows.append(
            _row(
                f"  worker {i + 1}: positions, CPU",
                f"{w['positions']:,}",
                f"{w['cores']:.2f} cores, "
                f"{_fmt(w['cpu_ms_per_position'] * 1000, ',.0f', ' us')} per position",
            )
        )
    rows += [
        _row("  the broker", f"{pair['broker_cores']:.2f} cores"),
        _row("  everything else", f"{pair['others_cores']:.2f} cores"),
        f"  limits: {r['machine']['limits']}",
    ]
    if pair["done_before"]:
        rows.append(
            f"  ({pair['done_before']:,} positions done before the clock started "
            "(while loading): not timed)"
        )
    again = pair["applied_at_end"] - pair["done_before"] - pair["positions"]
    if again > 0:
        rows.append(
            f"  (applied {pair['applied_at_end']:,} in all: up to {again:,} done twice after "
            "a rebalance, at-least-once)"
        )
    return rows


def _capacity_rows(r: dict[str, Any]) -> list[str]:
    cap = r["capacity"]
    rows = [
        "",
        _row(
            "capacity for the world feed",
            "workers / partitions",
            f"each worker at most {capacity.HEADROOM:.0%} of "
            f"{_fmt(cap['per_worker_per_s'], ',.0f', '/s')}",
        ),
    ]
    for feed in capacity.WORLD_FEED:
        n = cap[feed]
        if n["workers"] is None:
            rows.append(_row(f"  {feed} {n['positions_per_s']:,.0f}/s", "n/a"))
            continue
        rows.append(
            _row(
                f"  {feed} {n['positions_per_s']:,.0f}/s",
                f"{n['workers']} / {n['partitions']}",
                f"each at {n['utilisation']:.0%} of its rate; "
                f"{_fmt(n['cores'], '.1f', ' cores')} of workers",
            )
        )
    rows.append(f"  rule: {cap['rule']}; assumes workers scale linearly, broker not counted")
    return rows


def _pure_rows(r: dict[str, Any]) -> list[str]:
    t = r["throughput"]
    rows = ["", _row("pure stages in-process (one core, no Kafka)", "per s", "us per position")]
    rows += [
        _row(x["name"], f"{x['per_s']:,.0f}", f"{x['us_per_position']:.1f}") for x in r["stages"]
    ]
    pure = pure_us_per_position(r)
    rows.append(
        _row(
            "the worker's pure work per position (sum, not detect)",
            f"{1e6 / pure:,.0f}",
            f"{pure:.1f} = {pure / 10 / t['cpu_ms_per_position']:.1f} % of its CPU per position",
        )
    )
    return rows


def _profile_rows(r: dict[str, Any]) -> list[str]:
    p = r["profile"]
    if "categories" not in p:
        return ["", f"  profile skipped: {p.get('skipped')}"]
    rows = [
        "",
        f"  worker profile: py-spy, {p['samples']:,} samples over "
        f"{r['calibration']['positions']:,} positions, "
        f"{r['calibration']['per_s']:,.0f} positions/s while sampled",
    ]
    rows += [f"  {share:>6.1%}  {name}" for name, share in p["categories"]]
    rows += ["", "  where the time goes (inclusive, groups overlap)"]
    rows += [f"  {share:>6.1%}  {name}" for name, share in p["groups"]]
    rows += ["", "  top functions (self time; C calls count for their Python caller)"]
    rows += [f"  {share:>6.1%}  {name}" for name, share in p["functions"][:12]]
    return rows


def table(r: dict[str, Any], out_dir: str) -> str:
    """The human report."""
    s = summary_line(r)
    rows = [*_header(r), "", *_throughput(r, s), *_stage_rows(r), ""]
    rows += [*_latency_rows(r, s), *_memory_rows(r, s)]
    rows += [*_two_worker_rows(r), *_capacity_rows(r), *_pure_rows(r), *_profile_rows(r)]
    rows += ["", f"  took {r['seconds']:.0f} s; results in {out_dir}"]
    return "\n".join(rows)
