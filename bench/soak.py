"""Soak: a worker's memory over minutes of steady traffic from a fixed fleet.

Run: `python -m bench.soak [--minutes M] [--rate R] [--vessels V] [--sample-s S]`. On a private
Kafka broker (its own home under /tmp and its own ports, stopped at the end), one
`shipwatch worker` in a fresh namespace receives the generated traffic of bench.traffic on
`<ns>.ais-raw` at a steady R positions/s for M minutes. The fleet is fixed (V vessels, seeded),
so once every vessel is tracked the worker's state stops growing and so should its memory.
Every S seconds: the worker's VmRSS, the positions it has done (its /metrics:
`shipwatch_positions_total` + `shipwatch_stale_positions_total` + `shipwatch_rejected_total`)
and the positions the broker has acknowledged.

This module only runs the soak: reading the samples (warm-up, the last half's RSS slope and
growth, whether the worker kept up, rebalances in its log) and writing the report are pure
functions of bench.soak_analysis.

Prints a table of the curve (a row every ~30 s), a verdict line, then as the last line one JSON
object; writes the results (soak.json), the table (report.txt) and the worker's log to
bench/out/<UTC time>-soak/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from bench.harness import (
    Worker,
    applied,
    cpu_seconds,
    free_port,
    loadavg,
    private_broker,
    start_worker,
)
from bench.publishing import ThreadedPublisher, drained, say
from bench.soak_analysis import (
    ROW_EVERY_S,
    WARMUP_MIN_SHARE,
    Sample,
    analyse,
    rebalances,
    summary_line,
    table,
    verdict,
    warmup_end,
)
from bench.traffic import Item, traffic
from shipwatch.settings import Settings
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

OUT = Path(__file__).resolve().parent / "out"

DEFAULT_MINUTES = 5.0
# 250 vessels (seed 6): every one has reported within 5,062 positions, 51 s at 100/s, so even a
# 2-minute soak has a warmed-up last half (300 vessels take 14,550: one port caller first reports
# an hour of event time in). Event time runs ~23x wall time at 100/s: in 5 minutes most port
# calls (in, 1-2.5 h at the berth, out) finish.
DEFAULT_VESSELS = 250
# A steady rate costs the worker far more CPU per position than draining a backlog (each
# position crosses the stages one fetch and one produce at a time): here, on 2 cores shared
# with other sessions, 100/s took 0.64 cores and kept up throughout; 200/s took 0.5-0.7 cores
# and fell behind by up to 70 s whenever the other sessions were busy.
DEFAULT_RATE = 100.0
DEFAULT_SAMPLE_S = 5.0
SEED = 6

SETTLE_S = 2.0  # after Ready, before the first sample
DRAIN_POLL_S = 0.5  # /metrics read while waiting for the drain
DRAIN_WAIT_S = 60.0  # after the last position is published, for the worker to finish


class Publisher(ThreadedPublisher):
    """Sends the traffic at a steady rate from a thread of its own (its own event loop)."""

    def __init__(
        self, settings: Settings, items: Iterator[Item], rate: float, count: int, vessels: int
    ) -> None:
        super().__init__("soak-publisher")
        self.settings, self.items, self.rate, self.count = settings, items, rate, count
        self.vessels = vessels

    def _ack(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            self.acked += 1

    async def _publish(self) -> None:
        producer = AIOKafkaProducer(**client_options(self.settings), acks="all", linger_ms=5)
        await producer.start()
        topic, seen = self.settings.topic("ais-raw"), set[bytes]()
        pending: list[asyncio.Future[Any]] = []
        try:
            self.t0, self.t0_epoch = time.perf_counter(), time.time()
            self.started.set()
            while self.handed < self.count:
                due = min(self.count, int((time.perf_counter() - self.t0) * self.rate) + 1)
                while self.handed < due:
                    _, _, key, value = next(self.items)
                    future = await producer.send(topic, value, key=key)
                    future.add_done_callback(self._ack)
                    pending.append(future)
                    self.handed += 1
                    if self.fleet_complete_at is None:
                        seen.add(key)
                        if len(seen) == self.vessels:
                            self.fleet_complete_at = self.handed
                if len(pending) > 2000:
                    pending = [f for f in pending if not f.done()]
                await asyncio.sleep(0.01)
            await asyncio.gather(*pending)
        finally:
            await producer.stop()


@dataclass(frozen=True)
class Options:
    """The command line."""

    minutes: float
    rate: float
    vessels: int
    sample_s: float
    seed: int
    keep: bool


def soak(opts: Options, out: Path) -> dict[str, Any]:
    """Run the soak; returns the results (samples, analysis and context)."""
    began = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="shipwatch-soak-"))
    seconds = opts.minutes * 60.0
    count = int(opts.rate * seconds)
    fleet, items = traffic(opts.vessels, opts.seed)
    results: dict[str, Any] = {
        "options": asdict(opts),
        "fleet": asdict(fleet),
        "load_at_start": loadavg(),
        "cpu_count": os.cpu_count(),
    }
    try:
        say(f"starting a private Kafka broker under {home}")
        with private_broker(home / "broker") as (bootstrap, broker_pid):
            settings = Settings(
                kafka_bootstrap=bootstrap,
                namespace=f"soak{uuid.uuid4().hex[:8]}",
                data_dir=home / "worker",
                web_port=free_port(),
            )
            asyncio.run(ensure_topics(settings))
            worker = start_worker(settings, out / "worker.log")
            try:
                worker.wait_ready()
                time.sleep(SETTLE_S)
                say(
                    f"publishing {count:,} positions of {opts.vessels:,} vessels at "
                    f"{opts.rate:,.0f}/s for {opts.minutes:g} min; a sample every "
                    f"{opts.sample_s:g} s"
                )
                publisher = Publisher(settings, items, opts.rate, count, opts.vessels)
                cpu0, broker0 = worker.cpu_s(), cpu_seconds(broker_pid)
                samples = [Sample(0.0, worker.rss_mb(), applied(worker.metrics()), 0)]
                publisher.start()
                samples.extend(_sample_while(worker, publisher, opts.sample_s))
                wall, used = time.perf_counter() - publisher.t0, worker.cpu_s() - cpu0
                results["worker_cores"] = used / wall
                results["worker_cpu_ms_per_position"] = used * 1000 / max(1, samples[-1].processed)
                results["broker_cores"] = (cpu_seconds(broker_pid) - broker0) / wall
                results["drain_s"] = drained(worker, publisher.acked, DRAIN_WAIT_S, DRAIN_POLL_S)
                results["rss_after_drain_mb"] = worker.rss_mb()
                results["peak_rss_mb"] = worker.peak_rss_mb()
                results["metrics_end"] = worker.metrics()
                log_text = worker.log.read_text(errors="replace")
                results["rebalances"] = [
                    asdict(r) for r in rebalances(log_text, publisher.t0_epoch)
                ]
            finally:
                worker.stop()
    finally:
        if opts.keep:
            say(f"kept the broker's files in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    warm = warmup_end(samples, publisher.fleet_complete_at, WARMUP_MIN_SHARE * seconds)
    results["fleet_complete_at"] = publisher.fleet_complete_at
    results["samples"] = [asdict(s) for s in samples]
    results["analysis"] = asdict(analyse(samples, opts.rate, warm))
    results["load_at_end"] = loadavg()
    results["seconds"] = time.perf_counter() - began
    return results


def _sample_while(worker: Worker, publisher: Publisher, every: float) -> list[Sample]:
    """A sample every `every` seconds until the publisher is done, then one last one."""
    samples: list[Sample] = []
    k = 1
    while True:
        wake = publisher.t0 + k * every
        while publisher.thread.is_alive() and time.perf_counter() < wake:
            time.sleep(min(0.2, max(0.0, wake - time.perf_counter())))
        if publisher.error is not None:
            raise RuntimeError("the publisher failed") from publisher.error
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker died:\n{worker.tail()}")
        alive = publisher.thread.is_alive()
        rss, done = worker.rss_mb(), applied(worker.metrics())
        now = time.perf_counter() - publisher.t0
        samples.append(Sample(now, rss, done, publisher.acked))
        if not alive:
            if len(samples) > 1 and now - samples[-2].t_s < every / 2:
                del samples[-2]  # the last regular sample, just before this final one
            return samples
        if k % max(1, round(ROW_EVERY_S / every)) == 0:
            say(f"{now:5.0f} s  RSS {rss:6.1f} MB  done {done:,} of {publisher.acked:,}")
        k += 1


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES, help="default 5")
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="positions per second (default 100)"
    )
    parser.add_argument(
        "--vessels", type=int, default=DEFAULT_VESSELS, help="the fixed fleet (default 250)"
    )
    parser.add_argument(
        "--sample-s", type=float, default=DEFAULT_SAMPLE_S, help="seconds between samples"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="the traffic's seed")
    parser.add_argument("--keep", action="store_true", help="keep the broker's files")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.rate <= 0 or args.vessels <= 0 or args.sample_s <= 0:
        parser.error("--minutes, --rate, --vessels and --sample-s must be positive")
    if args.minutes * 60 < 3 * args.sample_s:
        parser.error("the run needs at least three samples: more --minutes or less --sample-s")
    opts = Options(args.minutes, args.rate, args.vessels, args.sample_s, args.seed, args.keep)
    # aiokafka's retry chatter (a new topic's leader, a coordinator moving) is not a result.
    logging.basicConfig(level=logging.ERROR)
    out = OUT / (datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-soak")
    out.mkdir(parents=True, exist_ok=True)
    results = soak(opts, out)
    results["out_dir"] = str(out)
    results["summary"] = summary_line(results)
    results["verdict"] = verdict(results)
    (out / "soak.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    report = table(results, DRAIN_WAIT_S, OUT)
    (out / "report.txt").write_text(f"{report}\n\n{results['verdict']}\n")
    print(report)
    print()
    print(results["verdict"])
    print(json.dumps(results["summary"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
