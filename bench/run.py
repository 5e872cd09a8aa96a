"""`make bench`: throughput, baseline, alert latency, profile and memory of the whole pipeline.

Run: `python -m bench.run` (up to 1,000,000 positions of 3,000 vessels) or `python -m bench.run
--quick` (up to 100,000 positions of 300 vessels: the same traffic per vessel). Everything runs
on a private Kafka broker (its own home under /tmp and its own ports), stopped at the end; each
phase uses a fresh namespace. Prints a table, then as the last line one JSON object; writes
both, the profile and the logs to bench/out/<time>/ and the JSON also to bench/out/latest.json.

Phases:
 1. profile and calibration: a worker drains a small pre-loaded namespace under py-spy
    (bench.profile); its rate sizes the throughput run to the time budget;
 2. throughput: the first M positions of the traffic (M = the plan's positions, or fewer when
    the worker could not drain them within `--budget-s` at the calibrated rate) are loaded onto
    `<ns>.ais-raw` before anything reads them; one `shipwatch worker` drains them, timed from
    its "Ready" log line (partitions assigned, tables recovered: consuming starts) until its
    /metrics show every position done by the track stage (`shipwatch_positions_total` +
    `shipwatch_stale_positions_total` + `shipwatch_rejected_total` = M);
 3. baseline: before that worker starts, a plain aiokafka consume-decode-produce loop over the
    same topic (bench.baseline);
 4. latency: on the same worker, steady traffic at a share of the measured throughput plus
    probe vessels (bench.latency);
 5. memory: new vessels join a fresh worker at a steady rate; VmRSS against vessels tracked;
 6. the pure stages in-process (bench.stages) and the table state sizes, after the broker
    has stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from ais.raw_message import decode_message
from bench import baseline, latency, profile, stages
from bench.harness import (
    Worker,
    applied,
    cpu_seconds,
    create_topic,
    free_port,
    load,
    loadavg,
    machine_cpu,
    private_broker,
    start_worker,
)
from bench.traffic import SEA_BOX, line, probe_tracks, traffic
from pipeline.detector import Detector
from streams.core_setup import build_core
from streams.kafka_config import client_options
from streams.settings import BUNDLED_GEOFENCES, Settings
from streams.topics import ensure_topics

OUT = Path(__file__).resolve().parent / "out"
TARGETS = {"positions_per_s": 20_000.0, "ratio": 0.5, "alert_latency_p99_ms": 1000.0}
POLL_S = 0.5  # /metrics polls while draining; each costs the worker a little CPU


@dataclass(frozen=True)
class Plan:
    """How big a run is."""

    positions: int  # for the throughput run, at most
    vessels: int
    budget_s: float  # the throughput run's drain should take about this long at most; 0: no cap
    profile_positions: int
    probes: int
    memory_s: float  # how long new vessels join in the memory phase
    sample: int  # positions for the in-process stage benchmarks
    load_share: float  # latency phase rate as a share of the measured throughput
    seed: int


FULL = Plan(1_000_000, 3000, 360.0, 20_000, 80, 60.0, 200_000, 0.3, 6)
QUICK = Plan(100_000, 300, 60.0, 10_000, 40, 30.0, 50_000, 0.3, 6)


def say(text: str) -> None:
    """Progress, on stderr: stdout carries only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Drain:
    """A worker draining a pre-loaded topic."""

    positions: int
    seconds: float  # Ready -> all positions done
    first_after_s: float  # Ready -> first position done by the track stage
    steady_per_s: float  # between 10 % and 90 % of the positions
    rss_start_mb: float
    rss_end_mb: float
    peak_rss_mb: float
    worker_cores: float  # worker CPU seconds per wall second
    broker_cores: float
    others_cores: float  # every other process on the machine, this benchmark's own included
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        """Positions per second, Ready to done."""
        return self.positions / self.seconds

    @property
    def cpu_ms_per_position(self) -> float:
        """Worker CPU time per position: what the figures would be with a core to itself."""
        return self.worker_cores * self.seconds / self.positions * 1000


def _crossing(samples: list[tuple[float, int]], level: float) -> float:
    """When the count first reached `level`, interpolated between two polls."""
    for (t0, a0), (t1, a1) in itertools.pairwise(samples):
        if a0 < level <= a1:
            return t0 + (t1 - t0) * (level - a0) / (a1 - a0)
    return math.nan


def drain(worker: Worker, expected: int, broker_pid: int, stall_s: float = 180.0) -> Drain:
    """Start the clock at Ready and poll /metrics until every position is done."""
    ready = worker.wait_ready()
    cpu0, broker0, machine0 = worker.cpu_s(), cpu_seconds(broker_pid), machine_cpu()[0]
    rss_start = worker.rss_mb()
    samples: list[tuple[float, int]] = []
    first, last_change, last = math.nan, time.perf_counter(), -1
    while True:
        m = worker.metrics()
        now = time.perf_counter()
        done = applied(m)
        samples.append((now - ready, done))
        if done > 0 and math.isnan(first):
            first = now - ready
        if done >= expected:
            break
        if done != last:
            last, last_change = done, now
        elif now - last_change > stall_s:
            raise RuntimeError(f"no progress for {stall_s:.0f} s at {done}/{expected}")
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker died:\n{worker.tail()}")
        time.sleep(POLL_S)
    elapsed = samples[-1][0]
    wall = time.perf_counter() - ready
    worker_cpu = worker.cpu_s() - cpu0
    broker_cpu = cpu_seconds(broker_pid) - broker0
    busy = machine_cpu()[0] - machine0
    low, high = _crossing(samples, expected * 0.1), _crossing(samples, expected * 0.9)
    return Drain(
        positions=expected,
        seconds=elapsed,
        first_after_s=first,
        steady_per_s=expected * 0.8 / (high - low) if high > low else math.nan,
        rss_start_mb=rss_start,
        rss_end_mb=worker.rss_mb(),
        peak_rss_mb=worker.peak_rss_mb(),
        worker_cores=worker_cpu / wall,
        broker_cores=broker_cpu / wall,
        others_cores=max(0.0, busy - worker_cpu - broker_cpu) / wall,
        metrics=m,
    )


def wait_applied(worker: Worker, target: int, timeout: float = 600.0) -> None:
    """Poll /metrics until the track stage has done `target` positions in all."""
    deadline = time.monotonic() + timeout
    while applied(worker.metrics()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker did not reach {target} positions")
        time.sleep(POLL_S)


def new_vessels(count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """One position each of `count` vessels never seen before, far from every fence."""
    rng = random.Random(seed)
    lat0, lat1, lon0, lon1 = SEA_BOX
    out = []
    for i in range(count):
        mmsi = 563_000_000 + i  # Singapore: a flag the fleet does not use
        lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
        t = 1_709_769_600 + rng.randint(0, 3600)
        out.append((str(mmsi).encode(), line(mmsi, t, lat, lon, 11.0, rng.uniform(0, 359), 0)))
    return out


def state_sizes(sample: list[tuple[bytes, bytes]]) -> dict[str, float]:
    """JSON and in-memory bytes of the table values per vessel after the sample, in-process."""
    detector = Detector(*build_core(BUNDLED_GEOFENCES))
    for _, raw in sample:
        for record in decode_message(raw):
            for _ in detector.process(record):
                pass
    sizes = []
    for mmsi, track in detector.tracks.items():
        voyage = detector.voyages.get(mmsi)
        size = len(orjson.dumps(track.to_dict()))
        sizes.append(size + (len(orjson.dumps(voyage.to_dict())) if voyage else 0))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    values: dict[bytes, Any] = {}
    for mmsi, track in detector.tracks.items():
        values[str(mmsi).encode()] = track.to_dict()
    for mmsi, voyage in detector.voyages.items():
        values[str(mmsi).encode() + b"v"] = voyage.to_dict()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    n = len(detector.tracks)
    return {
        "vessels": n,
        "json_mean": sum(sizes) / n,
        "json_max": max(sizes),
        "memory_mean": held / n,
        "vessels_near_fence": sum(1 for t in detector.tracks.values() if t.pending or t.visits),
        "voyage_states": len(detector.voyages),
    }


async def _paced(settings: Settings, messages: list[tuple[bytes, bytes]], rate: float) -> None:
    producer = AIOKafkaProducer(**client_options(settings), acks="all", linger_ms=5)
    await producer.start()
    topic, start, pending = settings.topic("ais-raw"), time.perf_counter(), []
    try:
        for i, (key, value) in enumerate(messages):
            ahead = i / rate - (time.perf_counter() - start)
            if ahead > 0:
                await asyncio.sleep(ahead)
            pending.append(await producer.send(topic, value, key=key))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def memory(
    settings: Settings, messages: list[tuple[bytes, bytes]], rate: float, out: Path
) -> dict[str, Any]:
    """VmRSS against vessels tracked while new vessels join a fresh worker at a steady rate.

    Bytes per vessel = the least-squares slope of RSS over vessels, from the moment a fifth of
    them have joined (the start-up allocations are done by then).
    """
    worker = start_worker(settings, out / "worker-memory.log")
    try:
        worker.wait_ready()
        time.sleep(2)
        samples = [(0, worker.rss_mb())]
        sender = threading.Thread(target=lambda: asyncio.run(_paced(settings, messages, rate)))
        sender.start()
        while sender.is_alive():
            time.sleep(1.0)
            samples.append((applied(worker.metrics()), worker.rss_mb()))
        sender.join()
        wait_applied(worker, len(messages))
        time.sleep(1.0)
        samples.append((applied(worker.metrics()), worker.rss_mb()))
    finally:
        worker.stop()
    tail = [(n, mb) for n, mb in samples if n >= len(messages) / 5]
    slope = (
        statistics.linear_regression([n for n, _ in tail], [mb for _, mb in tail]).slope
        if len({n for n, _ in tail}) > 2
        else math.nan
    )
    return {
        "vessels": len(messages),
        "rate_per_s": rate,
        "rss_start_mb": samples[0][1],
        "rss_end_mb": samples[-1][1],
        "samples": samples,
        "bytes_per_new_vessel": slope * 2**20,
        "bytes_per_vessel_overall": (samples[-1][1] - samples[0][1]) * 2**20 / len(messages),
    }


class Feed:
    """The traffic, generated on demand: the first k positions, then what follows them."""

    def __init__(self, vessels: int, seed: int) -> None:
        self.fleet, self._items = traffic(vessels, seed)
        self.kept: list[tuple[bytes, bytes]] = []

    def first(self, k: int) -> list[tuple[bytes, bytes]]:
        """The first k positions (key, JSON line), generated once."""
        missing = k - len(self.kept)
        if missing > 0:
            self.kept.extend((key, v) for _, _, key, v in itertools.islice(self._items, missing))
        return self.kept[:k]

    def after(self) -> Any:
        """Every position after the ones generated so far, as the generator's items."""
        return self._items


def _namespace(base: Settings, suffix: str) -> Settings:
    return base.model_copy(
        update={"namespace": f"{base.namespace}{suffix}", "web_port": free_port()}
    )


def run(plan: Plan, out: Path, keep: bool, skip_profile: bool) -> dict[str, Any]:
    """Every phase; returns the results (also written to `out`)."""
    began = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="shipwatch-bench-"))
    results: dict[str, Any] = {"plan": asdict(plan), "load_at_start": loadavg()}
    feed = Feed(plan.vessels, plan.seed)
    results["fleet"] = asdict(feed.fleet)
    try:
        say(f"starting a private Kafka broker under {home}")
        with private_broker(home / "broker") as (bootstrap, broker_pid):
            base = Settings(
                kafka_bootstrap=bootstrap,
                namespace=f"bench{uuid.uuid4().hex[:8]}",
                data_dir=home / "worker",
            )

            # 1. Profile and calibration.
            prof = _namespace(base, "p")
            asyncio.run(ensure_topics(prof))
            asyncio.run(load(prof, prof.topic("ais-raw"), feed.first(plan.profile_positions)))
            sampled = not skip_profile and profile.available() is not None
            say(
                f"calibration: a worker drains {plan.profile_positions:,} positions"
                + (" under py-spy" if sampled else "")
            )
            worker = start_worker(prof, out / "worker-profile.log")
            try:
                worker.wait_ready()
                raw = out / "profile.txt"
                sampler = profile.record(worker.pid, raw) if sampled else None
                cal = drain(worker, plan.profile_positions, broker_pid)
                said = profile.stop(sampler) if sampler else ""
            finally:
                worker.stop()
            if sampler is not None and raw.exists():
                results["profile"] = asdict(profile.summarise(raw)) | {
                    "py_spy": said.splitlines()[-1] if said else ""
                }
            elif sampler is not None:
                results["profile"] = {"skipped": f"py-spy failed: {said[-300:]}"}
            else:
                why = "asked" if skip_profile else "py-spy is not installed"
                results["profile"] = {"skipped": why}
            results["calibration"] = asdict(cal) | {"per_s": cal.per_s, "sampled": sampled}
            say(f"calibration: {cal.per_s:,.0f} positions/s")

            # 2./3. Throughput and baseline on the same pre-loaded topic.
            size = plan.positions
            if plan.budget_s > 0:
                size = min(size, max(plan.profile_positions, int(cal.per_s * plan.budget_s)))
            size = max(1000, size // 1000 * 1000)
            ns = _namespace(base, "t")
            asyncio.run(ensure_topics(ns))
            sink = ns.topic("bench-sink")
            asyncio.run(create_topic(ns, sink))
            say(f"loading {size:,} positions of {plan.vessels:,} vessels")
            t0 = time.perf_counter()
            asyncio.run(load(ns, ns.topic("ais-raw"), feed.first(size)))
            results["load"] = {"positions": size, "seconds": time.perf_counter() - t0}
            sample = feed.first(plan.sample)  # before the latency phase reads on

            say("baseline: plain aiokafka consume + decode + produce")
            bl = baseline.measure(ns, size, sink)
            results["baseline"] = asdict(bl) | {"per_s": bl.per_s}
            say(f"baseline {bl.per_s:,.0f}/s")

            say(f"throughput: one worker drains {size:,} positions")
            worker = start_worker(ns, out / "worker.log")
            try:
                d = drain(worker, size, broker_pid)
                results["throughput"] = asdict(d) | {
                    "per_s": d.per_s,
                    "cpu_ms_per_position": d.cpu_ms_per_position,
                }
                results["load_during_drain"] = loadavg()
                say(f"worker {d.per_s:,.0f}/s ({d.seconds:.1f} s)")

                # 5. Latency.
                rate = plan.load_share * d.per_s
                say(f"latency: {rate:,.0f} positions/s with {plan.probes} probe vessels")
                lat = latency.measure(
                    ns, worker, feed.after(), rate, probe_tracks(plan.probes), out
                )
                results["latency"] = asdict(lat) | {
                    "p50_ms": lat.percentile(50),
                    "p90_ms": lat.percentile(90),
                    "p99_ms": lat.percentile(99),
                    "max_ms": max(lat.latencies_ms, default=math.nan),
                    "worker_side_p50_ms": lat.percentile(50, lat.worker_side_ms),
                    "worker_side_p99_ms": lat.percentile(99, lat.worker_side_ms),
                }
                results["rss_end_mb"] = worker.rss_mb()
                results["load_during_latency"] = loadavg()
                say(f"latency p50 {lat.percentile(50):.0f} ms, p99 {lat.percentile(99):.0f} ms")
            finally:
                worker.stop()

            # 6. Memory, on a fresh worker: no backlog ever, so no freed buffers for the tables
            # to fill before the RSS grows.
            mem = _namespace(base, "m")
            asyncio.run(ensure_topics(mem))
            rate = plan.load_share * 2 * d.per_s
            count = int(min(50_000, max(2_000, rate * plan.memory_s)))
            say(f"memory: {count:,} new vessels join a fresh worker at {rate:,.0f}/s")
            results["memory"] = memory(mem, new_vessels(count, plan.seed), rate, out)

        # 7. In-process.
        say("stages: each pure step in-process")
        results["stages"] = [
            asdict(r) | {"per_s": r.per_s, "us_per_position": r.us_per_position}
            for r in stages.run(sample)
        ]
        results["state"] = state_sizes(sample)
    finally:
        if keep:
            say(f"kept the broker's files in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    results["load_at_end"] = loadavg()
    results["seconds"] = time.perf_counter() - began
    return results


def pure_us_per_position(r: dict[str, Any]) -> float:
    """Microseconds of pure work per position: every stage as the agents run them."""
    return float(
        sum(x["us_per_position"] for x in r["stages"] if not x["name"].startswith("detect"))
    )


def summary_line(r: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON result."""
    per_s = r["throughput"]["per_s"]
    base = r["baseline"]["per_s"]
    lat = r["latency"]
    out: dict[str, Any] = {
        "positions_per_s": round(per_s),
        "baseline_per_s": round(base),
        "ratio": round(per_s / base, 3),
        "alert_latency_p50_ms": round(lat["p50_ms"], 1),
        "alert_latency_p99_ms": round(lat["p99_ms"], 1),
        "rss_mb": round(r["throughput"]["rss_end_mb"], 1),
        "bytes_per_vessel": round(r["memory"]["bytes_per_new_vessel"]),
        "table_memory_bytes_per_vessel": round(r["state"]["memory_mean"]),
        "state_json_bytes_per_vessel": round(r["state"]["json_mean"]),
        "steady_positions_per_s": round(r["throughput"]["steady_per_s"]),
        "worker_cpu_ms_per_position": round(r["throughput"]["cpu_ms_per_position"], 3),
        "pure_us_per_position": round(pure_us_per_position(r), 1),
        "positions": r["load"]["positions"],
        "positions_planned": r["plan"]["positions"],
        "vessels": r["plan"]["vessels"],
        "latency_rate_per_s": round(lat["achieved_rate"]),
        "probes_matched": len(lat["latencies_ms"]),
        "load_avg_1m": [round(r["load_at_start"][0], 2), round(r["load_at_end"][0], 2)],
    }
    out["meets"] = {
        "positions_per_s": per_s >= TARGETS["positions_per_s"],
        "ratio": per_s / base >= TARGETS["ratio"],
        "alert_latency_p99_ms": lat["p99_ms"] <= TARGETS["alert_latency_p99_ms"],
    }
    return out


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _row(label: str, value: str, note: str = "") -> str:
    return f"  {label:<48} {value:>15}  {note}".rstrip()


def table(r: dict[str, Any]) -> str:
    """The human report."""
    s = summary_line(r)
    ok = s["meets"]
    t, b, lat, m, st = r["throughput"], r["baseline"], r["latency"], r["memory"], r["state"]
    fl = r["fleet"]
    probes = len(lat["latencies_ms"])
    rows = [
        "shipwatch benchmark",
        f"  traffic: {r['load']['positions']:,} positions (plan: {r['plan']['positions']:,}, "
        f"drain budget {r['plan']['budget_s']:.0f} s) of {fl['vessels']:,} vessels "
        f"({fl['steaming']:,} under way, {fl['anchored']:,} at anchor, {fl['callers']:,} calling "
        f"at Vostochny or Chongjin, {fl['dprk_callers']} of those DPRK-flagged)",
        f"  machine: {os.cpu_count()} cores; load average (1 min) {r['load_at_start'][0]:.2f} "
        f"at start, {r['load_during_drain'][0]:.2f} after the worker run, "
        f"{r['load_at_end'][0]:.2f} at the end",
        "",
        _row("measure", "value", "target"),
        _row(
            "worker throughput (Ready -> all applied)",
            f"{t['per_s']:,.0f}/s",
            f">= 20,000/s: {_verdict(ok['positions_per_s'])}",
        ),
        _row("  steady (10 % -> 90 % of the positions)", f"{t['steady_per_s']:,.0f}/s"),
        _row("  first position done after Ready", f"{t['first_after_s']:.2f} s"),
        _row("baseline (aiokafka consume, decode, produce)", f"{b['per_s']:,.0f}/s"),
        _row("  steady (10 % -> 90 %)", f"{b['steady_per_s']:,.0f}/s"),
        _row("worker / baseline", f"{s['ratio']:.3f}", f">= 0.5: {_verdict(ok['ratio'])}"),
        _row("worker CPU time per position", f"{t['cpu_ms_per_position']:.2f} ms"),
        _row("CPU during the worker run: the worker", f"{t['worker_cores']:.2f} cores"),
        _row("  the broker", f"{t['broker_cores']:.2f} cores"),
        _row("  everything else (other sessions, this run)", f"{t['others_cores']:.2f} cores"),
        _row(
            f"alert latency p50 at {lat['achieved_rate']:,.0f} positions/s",
            f"{lat['p50_ms']:,.0f} ms",
        ),
        _row("alert latency p90", f"{lat['p90_ms']:,.0f} ms"),
        _row(
            f"alert latency p99 ({probes} probes: the slowest)",
            f"{lat['p99_ms']:,.0f} ms",
            f"<= 1,000 ms: {_verdict(ok['alert_latency_p99_ms'])}",
        ),
        _row("  until the worker produced the alert, p50", f"{lat['worker_side_p50_ms']:,.0f} ms"),
        _row("  probes without an alert", f"{lat['unmatched']}"),
        _row("  worker CPU during the latency phase", f"{lat['worker_cpu']:.2f} cores"),
        _row("worker RSS after the run (VmRSS)", f"{t['rss_end_mb']:.1f} MB"),
        _row("  at Ready / peak (VmHWM)", f"{t['rss_start_mb']:.0f} / {t['peak_rss_mb']:.0f} MB"),
        _row(
            f"RSS per vessel ({m['vessels']:,} join a fresh worker)",
            f"{m['bytes_per_new_vessel']:,.0f} B",
            f"slope; overall {m['bytes_per_vessel_overall']:,.0f} B, "
            f"{m['rss_start_mb']:.0f} -> {m['rss_end_mb']:.0f} MB",
        ),
        _row(
            "table state as JSON per vessel, mean / max",
            f"{st['json_mean']:,.0f} / {st['json_max']:,.0f} B",
        ),
        _row("table values in memory per vessel, mean", f"{st['memory_mean']:,.0f} B"),
        "",
        _row("pure stages in-process (one core, no Kafka)", "per s", "us per position"),
    ]
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
    p = r["profile"]
    if "categories" in p:
        rows += [
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
    else:
        rows += ["", f"  profile skipped: {p.get('skipped')}"]
    rows += ["", f"  took {r['seconds']:.0f} s; results in {r.get('out_dir', OUT)}"]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="up to 100,000 positions, 300 vessels")
    parser.add_argument("--positions", type=int, help="positions of the throughput run, at most")
    parser.add_argument("--vessels", type=int, help="vessels of the traffic")
    parser.add_argument(
        "--budget-s",
        type=float,
        help="fewer positions when the worker would take longer than this to drain them "
        "(default 360, quick 60; 0 drains all)",
    )
    parser.add_argument("--no-profile", action="store_true", help="calibrate without py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the broker's files")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.positions:
        plan = replace(
            plan,
            positions=args.positions,
            profile_positions=min(plan.profile_positions, args.positions),
            sample=min(plan.sample, args.positions),
        )
    if args.vessels:
        plan = replace(plan, vessels=args.vessels)
    if args.budget_s is not None:
        plan = replace(plan, budget_s=args.budget_s)
    # aiokafka's retry chatter (a new topic's leader, a coordinator moving) is not a result.
    logging.basicConfig(level=logging.ERROR)
    out = OUT / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    results = run(plan, out, args.keep, args.no_profile)
    results["out_dir"] = str(out)
    results["summary"] = summary_line(results)
    (out / "results.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    shutil.copyfile(out / "results.json", OUT / "latest.json")
    report = table(results)
    (out / "report.txt").write_text(report + "\n")
    print(report)
    print(json.dumps(results["summary"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
