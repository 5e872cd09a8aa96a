"""Soak: a worker's memory over minutes of steady traffic from a fixed fleet.

Run: `python -m bench.soak [--minutes M] [--rate R] [--vessels V] [--sample-s S]`. On a private
Kafka broker (its own home under /tmp and its own ports, stopped at the end), one
`shipwatch worker` in a fresh namespace receives the generated traffic of bench.traffic on
`<ns>.ais-raw` at a steady R positions/s for M minutes. The fleet is fixed (V vessels, seeded),
so once every vessel is tracked the worker's state stops growing and so should its memory.
Every S seconds: the worker's VmRSS, the positions it has done (its /metrics:
`shipwatch_positions_total` + `shipwatch_stale_positions_total` + `shipwatch_rejected_total`)
and the positions the broker has acknowledged.

The analysis (`analyse`, a pure function) reads the samples:
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
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
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

SLOPE_LIMIT_MB_PER_MIN = 1.0  # levels off: least-squares RSS slope of the last half below this
GROWTH_LIMIT = 0.05  # ... and the RSS grew by less than this share over the last half
LAG_LIMIT_S = 5.0  # kept up: at the end, less than this many seconds of traffic behind
WARMUP_MIN_SHARE = 0.1  # warm-up lasts at least this share of the run
ROW_EVERY_S = 30.0  # the table: about one row this often
SETTLE_S = 2.0  # after Ready, before the first sample
DRAIN_WAIT_S = 60.0  # after the last position is published, for the worker to finish
_LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] \[\d+\] \[\w+\] (.*)$")


def say(text: str) -> None:
    """Progress, on stderr: stdout carries only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


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


class Publisher:
    """Sends the traffic at a steady rate from a thread of its own (its own event loop)."""

    def __init__(
        self, settings: Settings, items: Iterator[Item], rate: float, count: int, vessels: int
    ) -> None:
        self.settings, self.items, self.rate, self.count = settings, items, rate, count
        self.vessels = vessels
        self.handed = 0  # given to the producer
        self.acked = 0  # acknowledged by the broker
        self.fleet_complete_at: int | None = None  # every vessel published once by then
        self.t0 = 0.0  # perf_counter when the first position went out
        self.t0_epoch = 0.0  # the same instant as time.time()
        self.error: BaseException | None = None
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, name="soak-publisher", daemon=True)

    def start(self) -> None:
        """Connect and begin; returns once the first position is about to go out."""
        self.thread.start()
        if not self.started.wait(60):
            raise TimeoutError("the publisher did not connect")
        if self.error is not None:
            raise RuntimeError("the publisher failed") from self.error

    def _run(self) -> None:
        try:
            asyncio.run(self._publish())
        except BaseException as exc:  # reported by the sampling loop
            self.error = exc
            self.started.set()

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
                results["drain_s"] = _drain(worker, publisher.acked)
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


def _drain(worker: Worker, published: int) -> float | None:
    """Seconds until the worker has done every published position (None: not within the wait)."""
    start = time.perf_counter()
    while time.perf_counter() - start < DRAIN_WAIT_S:
        if applied(worker.metrics()) >= published:
            return time.perf_counter() - start
        time.sleep(0.5)
    return None


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


def table(r: dict[str, Any]) -> str:
    """The human report: the curve, a row every ~30 s."""
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
            else f"NOT within {DRAIN_WAIT_S:.0f} s"
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
    rows.append(f"  took {r['seconds']:.0f} s; results in {r.get('out_dir', OUT)}")

    return "\n".join(rows)


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
    report = table(results)
    (out / "report.txt").write_text(f"{report}\n\n{results['verdict']}\n")
    print(report)
    print()
    print(results["verdict"])
    print(json.dumps(results["summary"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
