"""What-if runs behind the suggested optimisations (docs/performance.md): one change each.

`python -m bench.variants [--positions N] [--repeat R] [VARIANT ...]` drains the same pre-loaded
traffic with a worker per variant, on a private broker, and prints positions/s and worker CPU
per position. A variant is a comma-separated set of:

  linger    the producer waits up to 10 ms to batch (the worker's own producer_linger is 5 ms)
  sensor    Faust's Prometheus sensor on (SHIPWATCH_FAUST_METRICS=true; off by default)
  asyncio   asyncio's own event loop instead of uvloop (SHIPWATCH_UVLOOP=false)
  nomap     the live page does not follow the nearby-positions topic inside the worker
  nosea     no at-sea stage (SHIPWATCH_AT_SEA=false): what the encounter/sighting hop costs
  nohistory no vessel history (SHIPWATCH_HISTORY=false): what the thinning and the sink cost
  nointegrity no identity or tampering checks (SHIPWATCH_INTEGRITY=false): what they cost
  histproc  the history's sink in a process of its own (SHIPWATCH_HISTORY_SINK=separate and a
            `shipwatch history` beside the worker, its CPU a position reported too): what the
            history costs the worker when it only thins the fixes
  inline    ingest in the worker's own event loop (SHIPWATCH_INGEST=inline), not in the process
            the worker starts beside itself: what the second core gives

`linger` and `nomap` change the worker from outside, for measuring only; `sensor` and `asyncio`
are settings a user may choose. `base` is the worker as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import REPO, Worker, cpu_seconds, env_for, free_port, load, private_broker
from bench.traffic import traffic
from shipwatch.settings import Settings
from streams.kafka.topics import ensure_topics

if TYPE_CHECKING:
    from bench.drain import Drain

KNOWN = {
    "linger",
    "sensor",
    "asyncio",
    "nomap",
    "nosea",
    "nohistory",
    "nointegrity",
    "histproc",
    "inline",
}
# Variants that are settings: passed to the worker as its environment.
SETTINGS = {
    "sensor": {"SHIPWATCH_FAUST_METRICS": "true"},
    "asyncio": {"SHIPWATCH_UVLOOP": "false"},
    "nosea": {"SHIPWATCH_AT_SEA": "false"},
    "nohistory": {"SHIPWATCH_HISTORY": "false"},
    "nointegrity": {"SHIPWATCH_INTEGRITY": "false"},
    "histproc": {"SHIPWATCH_HISTORY_SINK": "separate"},
    "inline": {"SHIPWATCH_INGEST": "inline"},
}


def patched_worker(variant: set[str]) -> int:
    """Run `shipwatch worker` with the variant's changes applied (in the worker process)."""
    import faust

    import shipwatch.worker
    from shipwatch.cli.main import main

    if "linger" in variant:
        app_class = faust.App

        def app(*args: Any, **kwargs: Any) -> Any:
            return app_class(*args, **(kwargs | {"producer_linger": 0.01}))

        setattr(faust, "App", app)  # noqa: B010

    if "nomap" in variant:
        follow = getattr(shipwatch.worker, "follow_topic")  # noqa: B009

        async def follow_but_nearby(settings: Settings, name: str, handle: Any) -> None:
            if name == "nearby":
                await asyncio.Event().wait()
            await follow(settings, name, handle)

        setattr(shipwatch.worker, "follow_topic", follow_but_nearby)  # noqa: B010

    return main(["worker", "--loglevel", "info"])


def history_process(env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    """`shipwatch history` for the worker's namespace, on a port of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "shipwatch", "history"],
        env=env | {"SHIPWATCH_HISTORY_WEB_PORT": str(free_port())},
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@dataclass
class Run:
    """A variant's worker on a namespace of its own, with the history process beside it if any."""

    variant: str
    worker: Worker
    beside: subprocess.Popen[bytes] | None
    beside_cpu0: float = 0.0

    def stop(self) -> None:
        """Stop the worker and the process beside it."""
        try:
            self.worker.stop()
        finally:
            if self.beside is not None:
                self.beside.terminate()
                self.beside.wait(30)


def start(variant: str, bootstrap: str, home: Path, data: list[tuple[bytes, bytes]]) -> Run:
    """Load the traffic into a fresh namespace and start the variant's worker on it."""
    settings = Settings(
        kafka_bootstrap=bootstrap,
        namespace=f"v{uuid.uuid4().hex[:8]}",
        web_port=free_port(),
        data_dir=home / "worker",
    )
    asyncio.run(ensure_topics(settings))
    asyncio.run(load(settings, settings.topic("ais-raw"), data))
    log = home / f"{settings.namespace}.log"
    handle = log.open("ab")
    parts = set(variant.split(",")) - {"base"}
    env = env_for(settings) | {"BENCH_VARIANT": ",".join(sorted(parts))}
    for part in parts & SETTINGS.keys():
        env |= SETTINGS[part]
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.variants", "--worker"],
        env=env,
        cwd=REPO,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    beside = history_process(env, handle) if "histproc" in parts else None
    return Run(variant, Worker(process, log, settings.web_port, handle), beside)


def _drained(run: Run, positions: int, broker_pid: int) -> Drain:
    from bench.drain import drain

    run.worker.wait_ready()
    run.beside_cpu0 = cpu_seconds(run.beside.pid) if run.beside else 0.0
    return drain(run.worker, positions, broker_pid)


def _line(run: Run, d: Drain, positions: int) -> str:
    also = ""
    if run.beside is not None:
        used = cpu_seconds(run.beside.pid) - run.beside_cpu0
        also = f"  history process {used / positions * 1e6:.1f} µs/position"
    return (
        f"{run.variant:<24} {d.per_s:>7,.0f}/s  steady {d.steady_per_s:>7,.0f}/s  "
        f"worker CPU {d.cpu_ms_per_position * 1000:.1f} µs/position  "
        f"first after {d.first_after_s:.2f} s  "
        f"cores: worker {d.worker_cores:.2f}, broker {d.broker_cores:.2f}, "
        f"others {d.others_cores:.2f}{also}"
    )


def compare(variants: list[str], positions: int, vessels: int, repeat: int) -> None:
    """Drain the same traffic once per variant and repetition; print one line each."""
    home = Path(tempfile.mkdtemp(prefix="shipwatch-variants-"))
    _, feed = traffic(vessels)
    data = [(key, value) for _, _, key, value in itertools.islice(feed, positions)]
    try:
        with private_broker(home / "broker") as (bootstrap, broker_pid):
            for variant in [v for _ in range(repeat) for v in variants]:
                run = start(variant, bootstrap, home, data)
                try:
                    d = _drained(run, positions, broker_pid)
                    line = _line(run, d, positions)
                finally:
                    run.stop()
                print(line, flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def paired_cost(base_us: Sequence[float], variant_us: Sequence[float]) -> dict[str, float]:
    """What the part a variant leaves out costs, as a share of the base's CPU a position, from
    pairs drained side by side: the median of the pairs' shares, and their lowest and highest."""
    shares = sorted(1 - v / b for b, v in zip(base_us, variant_us, strict=True))
    return {"median": statistics.median(shares), "low": shares[0], "high": shares[-1]}


def compare_paired(variants: list[str], positions: int, vessels: int, repeat: int) -> None:
    """Drain each variant side by side with a base worker, `repeat` pairs each, and print what
    the part it leaves out costs: both see the same minutes of this machine, whose speed moves
    by a third between minutes, so the pair's ratio keeps what one run's figure loses."""
    home = Path(tempfile.mkdtemp(prefix="shipwatch-variants-"))
    _, feed = traffic(vessels)
    data = [(key, value) for _, _, key, value in itertools.islice(feed, positions)]
    others = [v for v in variants if v != "base"]
    cpu: dict[str, list[tuple[float, float]]] = {v: [] for v in others}
    try:
        with private_broker(home / "broker") as (bootstrap, broker_pid):
            for i in range(repeat):
                for variant in others:
                    order = ["base", variant] if i % 2 == 0 else [variant, "base"]
                    runs = [start(v, bootstrap, home, data) for v in order]
                    try:
                        with ThreadPoolExecutor(2) as pool:
                            drains = list(
                                pool.map(lambda r: _drained(r, positions, broker_pid), runs)
                            )
                        lines = [_line(r, d, positions) for r, d in zip(runs, drains, strict=True)]
                    finally:
                        for run in runs:
                            run.stop()
                    us = {
                        r.variant: d.cpu_ms_per_position * 1000
                        for r, d in zip(runs, drains, strict=True)
                    }
                    cpu[variant].append((us["base"], us[variant]))
                    print(f"pair {i + 1}: " + "\n        ".join(lines), flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"\nwhat each part costs, from {repeat} pairs side by side (share of base's CPU):")
    for variant, pairs in cpu.items():
        cost = paired_cost([b for b, _ in pairs], [v for _, v in pairs])
        print(
            f"  {variant:<24} {cost['median'] * 100:5.1f} % "
            f"(pairs {cost['low'] * 100:.1f} to {cost['high'] * 100:.1f} %)",
            flush=True,
        )


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.variants", description=__doc__)
    default = ["base", "sensor", "asyncio", "nomap", "linger"]
    parser.add_argument("variants", nargs="*", default=default)
    parser.add_argument("--positions", type=int, default=20_000)
    parser.add_argument("--vessels", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--paired",
        action="store_true",
        help="drain each variant side by side with a base worker, --repeat pairs each",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return patched_worker(set(filter(None, os.environ.get("BENCH_VARIANT", "").split(","))))
    for variant in args.variants:
        unknown = set(variant.split(",")) - KNOWN - {"base"}
        if unknown:
            parser.error(f"unknown variant {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.ERROR)
    run = compare_paired if args.paired else compare
    run(args.variants, args.positions, args.vessels, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
