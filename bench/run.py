"""`make bench`: throughput, baselines, stage CPU, two workers, capacity, latency and memory.

Run: `python -m bench.run` (1,000,000 positions of 3,000 vessels) or `python -m bench.run
--quick` (100,000 positions of 300 vessels: the same traffic per vessel). Everything runs on a
private Kafka broker (its own home under /tmp and its own ports), stopped at the end; each phase
uses a fresh namespace. Prints a table (bench.report), then as the last line one JSON object
with the targets and whether each is met; writes both, the profile and the logs to
bench/out/<time>/ and the JSON also to bench/out/latest.json.

Phases:
 1. profile: a worker drains a small pre-loaded namespace under py-spy (bench.profile);
 2. throughput: the plan's M positions of the traffic (all of them; fewer only when
    `--budget-s` caps the drain at the profile's rate) are loaded onto `<ns>.ais-raw` before
    anything reads them; one `shipwatch worker` drains them, timed from its "Ready" log line
    (partitions assigned, tables recovered: consuming starts) until its /metrics show every
    position done by the track stage (`shipwatch_positions_total` +
    `shipwatch_stale_positions_total` + `shipwatch_rejected_total` = M) (bench.drain); a drain
    that stops making progress fails fast. At the end, the worker's time per position per
    stage from its /metrics (bench.stage_cpu);
 3. baselines: before that worker starts, plain aiokafka consume-decode-produce loops over the
    same topic: the batch loop (THE baseline of the ratio target) and the per-message loop
    (bench.baseline); then, for the plan's further rounds, a fresh namespace each: the batch
    loop, then a worker draining the same positions. The ratio target is the median of the
    rounds' ratios: the machine's speed moves by a third from one minute to the next, and a
    baseline and a worker measured once, minutes apart, compared two different machines;
 4. latency: on the same worker, steady traffic at a share of the measured throughput plus
    probe vessels (bench.latency);
 5. two workers: the same M positions on a fresh namespace, drained by two workers of one group
    (bench.two_workers); then workers and partitions for the world feed from the one-worker
    rate (bench.capacity);
 6. memory: new vessels join a fresh worker at a steady rate; VmRSS against vessels tracked
    (bench.memory_phase: sampled until every vessel is done, a slope when there are points to
    fit, else the growth over the phase, and why);
 7. the pure stages in-process (bench.stages) and the table state sizes, after the broker
    has stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import random
import shutil
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import baseline, capacity, latency, memory_phase, profile, report, stages, two_workers
from bench.drain import Drain, drain
from bench.harness import (
    Worker,
    create_topic,
    free_port,
    load,
    loadavg,
    private_broker,
    start_worker,
)
from bench.publishing import say
from bench.stage_cpu import as_dicts, stage_cpu
from bench.traffic import SEA_BOX, line, probe_tracks, traffic
from shipwatch.ais.raw_message import decode_message
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import BUNDLED_GEOFENCES, Settings
from streams.kafka.topics import ensure_topics

OUT = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True)
class Plan:
    """How big a run is."""

    positions: int  # for the throughput and two-worker runs
    vessels: int
    budget_s: float  # 0: drain every position; else fewer, to drain in about this long
    profile_positions: int
    probes: int
    memory_s: float  # how long new vessels join in the memory phase
    sample: int  # positions for the in-process stage benchmarks
    load_share: float  # latency phase rate as a share of the measured throughput
    seed: int
    # Rounds of (batch baseline, then a worker draining the same positions): the ratio is their
    # median, as this machine's speed moves by a third between minutes.
    rounds: int = 3


FULL = Plan(1_000_000, 3000, 0.0, 20_000, 80, 60.0, 200_000, 0.3, 6)
QUICK = Plan(100_000, 300, 0.0, 10_000, 40, 30.0, 50_000, 0.3, 6)


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
        size = len(track.to_json())
        sizes.append(size + (len(orjson.dumps(voyage.to_dict())) if voyage else 0))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    values: dict[bytes, Any] = {}
    for mmsi, track in detector.tracks.items():  # as the tracks table holds them: JSON bytes
        values[str(mmsi).encode()] = track.to_json()
    for mmsi, voyage in detector.voyages.items():  # the voyages table holds dicts
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


def _loaded(base: Settings, suffix: str, messages: list[tuple[bytes, bytes]]) -> Settings:
    """A fresh namespace with its topics, the messages on its raw topic."""
    ns = _namespace(base, suffix)
    asyncio.run(ensure_topics(ns))
    asyncio.run(load(ns, ns.topic("ais-raw"), messages))
    return ns


def _sink(ns: Settings) -> str:
    """The topic the baselines send to, created."""
    sink = ns.topic("bench-sink")
    asyncio.run(create_topic(ns, sink))
    return sink


def _profiled(
    base: Settings, feed: Feed, plan: Plan, broker_pid: int, out: Path, skip: bool
) -> tuple[Drain, dict[str, Any]]:
    """Phase 1: a worker drains a small namespace, under py-spy when it is there."""
    prof = _loaded(base, "p", feed.first(plan.profile_positions))
    sampled = not skip and profile.available() is not None
    say(
        f"profile: a worker drains {plan.profile_positions:,} positions"
        + (" under py-spy" if sampled else "")
    )
    worker = start_worker(prof, out / "worker-profile.log")
    try:
        worker.wait_ready()
        raw = out / "profile.txt"
        sampler = profile.record(worker.pid, raw) if sampled else None
        d = drain(worker, plan.profile_positions, broker_pid)
        said = profile.stop(sampler) if sampler else ""
    finally:
        worker.stop()
    if sampler is not None and raw.exists():
        found = asdict(profile.summarise(raw)) | {"py_spy": said.splitlines()[-1] if said else ""}
    elif sampler is not None:
        found = {"skipped": f"py-spy failed: {said[-300:]}"}
    else:
        found = {"skipped": "asked" if skip else "py-spy is not installed"}
    say(f"profile: {d.per_s:,.0f} positions/s")
    return d, found


def _size(plan: Plan, profiled: Drain) -> int:
    """Positions of the throughput runs: the plan's, or fewer under a drain budget."""
    size = plan.positions
    if plan.budget_s > 0:
        size = min(size, max(plan.profile_positions, int(profiled.per_s * plan.budget_s)))
    return max(1000, size // 1000 * 1000)


def _baselines(ns: Settings, size: int, results: dict[str, Any]) -> None:
    """Phase 3: both baseline loops over the loaded raw topic, before any worker reads it."""
    sink = _sink(ns)
    say("baseline: aiokafka getmany + decode + send_batch per partition, commit after acks")
    bl = baseline.measure(ns, size, sink)
    results["baseline"] = asdict(bl) | {"per_s": bl.per_s}
    say(f"baseline (batch) {bl.per_s:,.0f}/s")
    say("per-message baseline: aiokafka consume + decode + send each")
    pm = baseline.measure_per_message(ns, size, sink)
    results["baseline_per_message"] = asdict(pm) | {"per_s": pm.per_s}
    say(f"per-message baseline {pm.per_s:,.0f}/s")


def _latency(
    ns: Settings, worker: Worker, feed: Feed, plan: Plan, per_s: float, out: Path
) -> dict[str, Any]:
    """Phase 4: steady traffic and probes on the worker that drained."""
    rate = plan.load_share * per_s
    say(f"latency: {rate:,.0f} positions/s with {plan.probes} probe vessels")
    lat = latency.measure(ns, worker, feed.after(), rate, probe_tracks(plan.probes), out)
    say(f"latency p50 {lat.percentile(50):.0f} ms, p99 {lat.percentile(99):.0f} ms")
    return asdict(lat) | {
        "p50_ms": lat.percentile(50),
        "p90_ms": lat.percentile(90),
        "p99_ms": lat.percentile(99),
        "max_ms": max(lat.latencies_ms, default=math.nan),
        "worker_side_p50_ms": lat.percentile(50, lat.worker_side_ms),
        "worker_side_p99_ms": lat.percentile(99, lat.worker_side_ms),
    }


def _one_worker(
    ns: Settings, feed: Feed, plan: Plan, size: int, broker_pid: int, out: Path
) -> tuple[Drain, dict[str, Any]]:
    """Phases 2 and 4: one worker drains, then serves the latency phase."""
    say(f"throughput: one worker drains {size:,} positions")
    worker = start_worker(ns, out / "worker.log")
    found: dict[str, Any] = {}
    try:
        d = drain(worker, size, broker_pid)
        found["throughput"] = d.summary()
        found["stage_cpu"] = as_dicts(stage_cpu(d.series, d.positions))
        found["load_during_drain"] = loadavg()
        say(f"worker {d.per_s:,.0f}/s ({d.seconds:.1f} s)")
        found["latency"] = _latency(ns, worker, feed, plan, d.per_s, out)
        found["rss_end_mb"] = worker.rss_mb()
        found["load_during_latency"] = loadavg()
    finally:
        worker.stop()
    return d, found


def _round_of(baseline_per_s: float, worker: Drain) -> dict[str, float]:
    return {
        "baseline_per_s": baseline_per_s,
        "worker_per_s": worker.per_s,
        "ratio": worker.per_s / baseline_per_s if baseline_per_s else math.nan,
        "worker_cpu_us_per_position": worker.cpu_ms_per_position * 1000,
    }


def _round(
    base: Settings, feed: Feed, size: int, broker_pid: int, out: Path, n: int
) -> dict[str, float]:
    """One more round on a fresh namespace: the batch baseline, then a worker drains."""
    ns = _loaded(base, f"r{n}", feed.first(size))
    bl = baseline.measure(ns, size, _sink(ns))
    worker = start_worker(ns, out / f"worker-round-{n}.log")
    try:
        d = drain(worker, size, broker_pid)
    finally:
        worker.stop()
    found = _round_of(bl.per_s, d)
    say(
        f"round {n}: baseline {bl.per_s:,.0f}/s, worker {d.per_s:,.0f}/s, "
        f"ratio {found['ratio']:.3f}"
    )
    return found


def _pair(
    base: Settings, messages: list[tuple[bytes, bytes]], one: Drain, broker_pid: int, out: Path
) -> dict[str, Any]:
    """Phase 5: two workers drain the same positions; capacity from the one-worker rate."""
    say(f"two workers: load {len(messages):,} positions again, drain them with two workers")
    pair = two_workers.measure(_namespace(base, "w"), messages, broker_pid, out)
    say(f"two workers {pair.per_s:,.0f}/s ({pair.seconds:.1f} s)")
    needs = capacity.capacity(one.per_s, one.worker_cores)
    return {
        "two_workers": pair.summary(),
        "two_workers_stage_cpu": as_dicts(stage_cpu(pair.series, pair.positions)),
        "capacity": capacity.summary(one.per_s, needs),
    }


def _memory(base: Settings, plan: Plan, per_s: float, out: Path) -> dict[str, Any]:
    """Phase 6, on a fresh worker: no backlog ever, so no freed buffers for the tables to fill
    before the RSS grows."""
    mem = _namespace(base, "m")
    asyncio.run(ensure_topics(mem))
    rate = plan.load_share * 2 * per_s
    count = int(min(50_000, max(2_000, rate * plan.memory_s)))
    say(f"memory: {count:,} new vessels join a fresh worker at up to {rate:,.0f}/s")
    found = memory_phase.measure(mem, new_vessels(count, plan.seed), rate, out, say)
    say(
        f"memory: {found['bytes_per_new_vessel']:,.0f} B a vessel "
        f"({found['bytes_per_vessel_method']}{', ' if found['bytes_per_vessel_why'] else ''}"
        f"{found['bytes_per_vessel_why']})"
    )
    return found


def run(plan: Plan, out: Path, keep: bool, skip_profile: bool) -> dict[str, Any]:
    """Every phase; returns the results (also written to `out`)."""
    began = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="shipwatch-bench-"))
    machine = two_workers.Machine.here()
    results: dict[str, Any] = {
        "plan": asdict(plan),
        "load_at_start": loadavg(),
        "machine": asdict(machine) | {"limits": machine.limits()},
    }
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
            profiled, results["profile"] = _profiled(
                base, feed, plan, broker_pid, out, skip_profile
            )
            results["calibration"] = profiled.summary()
            results["calibration"]["sampled"] = "categories" in results["profile"]

            size = _size(plan, profiled)
            ns = _namespace(base, "t")
            asyncio.run(ensure_topics(ns))
            say(f"loading {size:,} positions of {plan.vessels:,} vessels")
            t0 = time.perf_counter()
            asyncio.run(load(ns, ns.topic("ais-raw"), feed.first(size)))
            results["load"] = {"positions": size, "seconds": time.perf_counter() - t0}
            sample = feed.first(plan.sample)  # before the latency phase reads on

            _baselines(ns, size, results)
            one, found = _one_worker(ns, feed, plan, size, broker_pid, out)
            results |= found
            results["rounds"] = [_round_of(results["baseline"]["per_s"], one)]
            for n in range(2, plan.rounds + 1):
                results["rounds"].append(_round(base, feed, size, broker_pid, out, n))
            results |= _pair(base, feed.first(size), one, broker_pid, out)
            results["memory"] = _memory(base, plan, one.per_s, out)

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


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 positions, 300 vessels")
    parser.add_argument("--positions", type=int, help="positions of the throughput runs")
    parser.add_argument("--vessels", type=int, help="vessels of the traffic")
    parser.add_argument(
        "--budget-s",
        type=float,
        help="fewer positions when the profiled worker would take longer than this to drain "
        "them (default 0: drain all)",
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds of baseline then worker; the ratio is their median"
    )
    parser.add_argument("--no-profile", action="store_true", help="profile phase without py-spy")
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
    if args.rounds:
        plan = replace(plan, rounds=args.rounds)
    # aiokafka's retry chatter (a new topic's leader, a coordinator moving) is not a result.
    logging.basicConfig(level=logging.ERROR)
    out = OUT / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    results = run(plan, out, args.keep, args.no_profile)
    results["out_dir"] = str(out)
    results["summary"] = report.summary_line(results)
    (out / "results.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    shutil.copyfile(out / "results.json", OUT / "latest.json")
    text = report.table(results, str(out))
    (out / "report.txt").write_text(text + "\n")
    print(text)
    print(json.dumps(results["summary"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
