"""Week soak: a week of event time for 3,000 vessels through one worker, compressed.

Run: `python -m bench.soak_week [--days D] [--vessels V] [--speed X] [--retention-days R]`.
On a private Kafka broker, one `shipwatch worker` (run under bench.soak_probe, which reports
what it holds) in a fresh namespace receives bench.week_traffic (every vessel's behaviour on a
cycle: steaming, anchoring and moving on, calling at Vostochny and Chongjin again and again,
meeting at sea in pairs) at X times real time: a week at 250x passes in 40 minutes of wall time.
The publisher streams the traffic (one window of 5 minutes of event time in memory), in batches
per partition as `shipwatch replay` would partition them, and holds back whenever the worker is
more than --max-lag positions behind (the week then takes longer; the report says how much).

Every retention rule has work: the worker keeps --retention-days of history (default 1.5 days),
the sea stage's cells 12 h and its ended pairs' markers 12 h, and SOAK_SHRINK lowers the triage
board's, the remembered alert ids' and the alert feed's bounds (bench.soak_probe) so that a
week of triage actions (one every --triage-every-s seconds, through the trusted-proxy header)
goes past them, and so that each fills before warm-up.

Every --sample-s seconds: the worker's VmRSS (its processes' added up, and each process's
VmRSS and RssAnon beside), positions done, positions published, the event time published,
vessels seen, the /metrics series count and the history database's size on
disk; every 30 s the probe's report (tables by kind, in-memory views). At the end, after the
drain: what the history database holds against its retention, the sea table against its rules,
the pages' views, the metrics' series. bench.soak_week_analysis reads them (pure): the RSS
slope once warm per hour of wall time and per simulated day, RSS per vessel, and the verdict.

Prints the curve (a row every ~2 min of wall time), the checks and the verdict, then as the last
line one JSON object; writes week.json, report.txt, the worker's log and the probe's reports to
bench/out/<UTC time>-soak-week/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

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
from bench.smaps import anonymous_by_kind_mb
from bench.soak_week_analysis import (
    HistoryCheck,
    WeekSample,
    allocator_slopes,
    analyse_week,
    checks,
    summary_line,
    table,
    verdict,
)
from bench.traffic import T0, Item
from bench.week_traffic import DAY_S, week_traffic
from shipwatch.settings import Settings
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

OUT = Path(__file__).resolve().parent / "out"

DEFAULT_DAYS = 7.0
DEFAULT_VESSELS = 3000
DEFAULT_SPEED = 250.0  # a week in 40.3 min
DEFAULT_RETENTION_DAYS = 1.5
DEFAULT_SAMPLE_S = 10.0
DEFAULT_MAX_LAG = 150_000  # positions: about 12 s of the week's traffic at 250x
DEFAULT_TRIAGE_EVERY_S = 20.0
# The bounds lowered (bench.soak_probe) so that a week of triage actions goes past them, and
# so that what is bounded by count fills before warm-up, as what is kept by time does: at their
# defaults the alert feed's 500 filled between day 1.7 and 3.5 of a week (the alerts' pace) and
# its growth was taken for a leak.
SHRINK = "triage_states=40,remembered_ids=300,feed_alerts=100"
SEED = 6
PROBE_EVERY_S = 30.0
POLL_S = 2.0  # /metrics read for the publisher's hold
TICK_S = 0.05  # the publisher's pace
SETTLE_S = 2.0
DRAIN_POLL_S = 1.0  # /metrics read while waiting for the drain
DRAIN_WAIT_S = 180.0


class Publisher(ThreadedPublisher):
    """Sends the traffic up to an event-time clock that runs at `speed` x wall time, held while
    the worker is more than `max_lag` positions behind; batches per partition."""

    def __init__(
        self,
        settings: Settings,
        items: Iterator[Item],
        speed: float,
        end_t: float,
        max_lag: int,
    ) -> None:
        super().__init__("week-publisher")
        self.settings, self.items, self.speed, self.end_t = settings, items, speed, end_t
        self.max_lag = max_lag
        self.event_t = float(T0)  # event time of the last position handed over
        self.vessels: set[bytes] = set()
        self.expected_vessels = 0
        self.applied = 0  # written by the sampling thread
        self.held_s = 0.0

    def _ack(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            self.acked += future.result_count  # type: ignore[attr-defined]

    async def _publish(self) -> None:
        producer = AIOKafkaProducer(
            **client_options(self.settings), acks="all", max_batch_size=512 * 1024, linger_ms=0
        )
        await producer.start()
        topic = self.settings.topic("ais-raw")
        parts = sorted(await producer.partitions_for(topic))
        of_key: dict[bytes, int] = {}
        pending: list[asyncio.Future[Any]] = []
        head = next(self.items)
        try:
            self.t0, self.t0_epoch = time.perf_counter(), time.time()
            self.started.set()
            clock, last = float(T0), self.t0
            while head[0] <= self.end_t:
                now = time.perf_counter()
                if self.handed - self.applied > self.max_lag:
                    self.held_s += now - last
                else:
                    clock += (now - last) * self.speed
                last = now
                batches: dict[int, Any] = {}
                counts: dict[int, int] = {}
                while head[0] <= clock and head[0] <= self.end_t:
                    _, _, key, value = head
                    part = of_key.get(key)
                    if part is None:
                        part = of_key[key] = parts[(murmur2(key) & 0x7FFFFFFF) % len(parts)]
                        self.vessels.add(key)
                        if len(self.vessels) == self.expected_vessels:
                            self.fleet_complete_at = self.handed + 1
                    batch = batches.get(part)
                    if batch is None:
                        batch = batches[part] = producer.create_batch()
                        counts[part] = 0
                    if batch.append(key=key, value=value, timestamp=None) is None:
                        pending.append(await self._send(producer, batch, topic, part, counts))
                        batch = batches[part] = producer.create_batch()
                        counts[part] = 0
                        batch.append(key=key, value=value, timestamp=None)
                    counts[part] += 1
                    self.handed += 1
                    self.event_t = head[0]
                    head = next(self.items)
                for part, batch in batches.items():
                    if counts[part]:
                        pending.append(await self._send(producer, batch, topic, part, counts))
                if len(pending) > 500:
                    pending = [f for f in pending if not f.done()]
                await asyncio.sleep(TICK_S)
            await asyncio.gather(*pending)
        finally:
            await producer.stop()

    async def _send(
        self, producer: AIOKafkaProducer, batch: Any, topic: str, part: int, counts: dict[int, int]
    ) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=part)
        future.result_count = counts[part]  # type: ignore[attr-defined]
        future.add_done_callback(self._ack)
        return future


@dataclass(frozen=True)
class Options:
    """The command line."""

    days: float
    vessels: int
    speed: float
    retention_days: float
    sample_s: float
    max_lag: int
    triage_every_s: float
    seed: int
    tracemalloc: bool
    holders: bool
    patch_sea_json: bool
    env: tuple[str, ...]
    keep: bool
    probe_scan_every_s: float = PROBE_EVERY_S


def _series_count(page: str) -> int:
    return sum(1 for row in page.splitlines() if row and not row.startswith("#"))


def _file_mb(path: Path) -> float:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += os.stat(f"{path}{suffix}").st_size
    return total / 2**20


def _history(path: Path, retention_s: float) -> HistoryCheck:
    """What the worker's history database holds, read beside the worker (WAL: no waiting)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        spans: dict[str, list[float | int | None]] = {}
        for name in ("fixes", "events", "alerts", "alert_vessels", "identity_changes"):
            low, high, count = db.execute(f"SELECT min(t), max(t), count(*) FROM {name}").fetchone()
            spans[name] = [low, high, count]
        vessels, oldest_seen = db.execute("SELECT count(*), min(last_seen) FROM vessels").fetchone()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        db.close()
    return HistoryCheck(retention_s, spans, vessels, oldest_seen, pages, free, _file_mb(path))


class Triager:
    """Acknowledges the newest alert not yet acted on, through the trusted-proxy header."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.done: set[str] = set()
        self.acted = 0
        self.failed = 0

    def act(self) -> None:
        """One action, if there is an alert to act on."""
        try:
            with urllib.request.urlopen(f"{self.base}/api/alerts", timeout=10) as page:
                alerts = json.loads(page.read())
            fresh = [a["alert_id"] for a in alerts if a.get("alert_id") not in self.done]
            if not fresh:
                return
            alert_id = fresh[0]
            self.done.add(alert_id)
            request = urllib.request.Request(
                f"{self.base}/api/alerts/{urllib.request.quote(alert_id, safe='')}/triage",
                data=b'{"action": "acknowledge"}',
                headers={
                    "Content-Type": "application/json",
                    "X-WEBAUTH-USER": "soak",
                    "Origin": self.base,
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=20):
                self.acted += 1
        except (urllib.error.URLError, OSError, ValueError):
            self.failed += 1


def _probe_reports(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [json.loads(row) for row in lines if row.strip()]


def soak_week(opts: Options, out: Path) -> dict[str, Any]:
    """Run the week; returns the results."""
    began = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="shipwatch-soak-week-"))
    fleet, items = week_traffic(opts.vessels, opts.seed, opts.days)
    end_t = T0 + opts.days * DAY_S
    results: dict[str, Any] = {
        "options": asdict(opts),
        "fleet": asdict(fleet),
        "load_at_start": loadavg(),
        "cpu_count": os.cpu_count(),
        "shrink": SHRINK,
    }
    probe_out = out / "probe.json"
    samples: list[WeekSample] = []
    try:
        say(f"starting a private Kafka broker under {home}")
        with private_broker(home / "broker") as (bootstrap, broker_pid):
            settings = Settings(
                kafka_bootstrap=bootstrap,
                namespace=f"week{uuid.uuid4().hex[:8]}",
                data_dir=home / "worker",
                web_port=free_port(),
            )
            asyncio.run(ensure_topics(settings))
            env = {
                "SHIPWATCH_HISTORY_RETENTION_DAYS": str(opts.retention_days),
                "SHIPWATCH_TRUSTED_PROXIES": "127.0.0.1",
                "SOAK_PROBE_OUT": str(probe_out),
                "SOAK_PROBE_EVERY_S": str(PROBE_EVERY_S),
                "SOAK_PROBE_SCAN_EVERY_S": str(opts.probe_scan_every_s),
                "SOAK_SHRINK": SHRINK,
                "SOAK_TRACEMALLOC": "1" if opts.tracemalloc else "0",
                "SOAK_HOLDERS": "1" if opts.holders else "0",
                "SOAK_PATCH": "sea_json_bytes" if opts.patch_sea_json else "",
            } | dict(item.split("=", 1) for item in opts.env)
            results["shrink"] = env["SOAK_SHRINK"]  # as the worker had it (--env may set it)
            worker = start_worker(settings, out / "worker.log", "bench.soak_probe", env)
            history_db = settings.data_dir / settings.namespace / "history.sqlite3"
            try:
                worker.wait_ready()
                time.sleep(SETTLE_S)
                say(
                    f"publishing {opts.days:g} days of {opts.vessels:,} vessels at "
                    f"{opts.speed:g}x real time (~{opts.days * DAY_S / opts.speed / 60:.0f} min)"
                )
                publisher = Publisher(settings, items, opts.speed, end_t, opts.max_lag)
                publisher.expected_vessels = opts.vessels
                cpu0, broker0 = worker.cpu_s(), cpu_seconds(broker_pid)
                page = worker.page()
                samples.append(
                    WeekSample(
                        0.0,
                        float(T0),
                        worker.rss_mb(),
                        applied(worker.metrics()),
                        0,
                        0,
                        _series_count(page),
                        _file_mb(history_db),
                        0.0,
                    )
                )
                triager = Triager(settings.web_port)
                publisher.start()
                samples.extend(_sample_while(worker, publisher, opts, history_db, triager))
                wall = time.perf_counter() - publisher.t0
                used = worker.cpu_s() - cpu0
                results["wall_s"] = wall
                results["t0_epoch"] = publisher.t0_epoch
                results["worker_cores"] = used / wall
                results["worker_cpu_us_per_position"] = used * 1e6 / max(1, publisher.handed)
                results["broker_cores"] = (cpu_seconds(broker_pid) - broker0) / wall
                results["drain_s"] = drained(worker, publisher.acked, DRAIN_WAIT_S, DRAIN_POLL_S)
                results["published"] = publisher.acked
                results["held_s"] = publisher.held_s
                results["fleet_complete_at"] = publisher.fleet_complete_at
                results["triage"] = {"acted": triager.acted, "failed": triager.failed}
                probe_out.with_suffix(".scan").touch()  # the next report walks the tables too
                time.sleep(PROBE_EVERY_S + 5)  # one more probe report, after the drain
                results["rss_after_drain_mb"] = worker.rss_mb()
                results["peak_rss_mb"] = worker.peak_rss_mb()
                results["metrics_end"] = worker.metrics()
                results["series_end"] = _series_count(worker.page())
                results["history"] = asdict(_history(history_db, opts.retention_days * DAY_S))
            finally:
                worker.stop()
    finally:
        if opts.keep:
            say(f"kept the broker's and the worker's files in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    results["probe"] = _probe_reports(probe_out.with_suffix(".jsonl"))
    if probe_out.exists():
        last = json.loads(probe_out.read_text())
        if "tracemalloc" in last:
            results["tracemalloc_last"] = last["tracemalloc"]
    results["samples"] = [asdict(s) for s in samples]
    results["analysis"] = asdict(
        analyse_week(
            samples, opts.vessels, publisher.fleet_complete_at, opts.retention_days * DAY_S
        )
    )
    results["allocators"] = allocator_slopes(
        results["probe"], results["t0_epoch"], results["analysis"]["warm_s"]
    )
    results["checks"] = checks(results)
    results["load_at_end"] = loadavg()
    results["seconds"] = time.perf_counter() - began
    return results


def _sample_while(
    worker: Worker, publisher: Publisher, opts: Options, history_db: Path, triager: Triager
) -> list[WeekSample]:
    """Poll the worker every POLL_S (for the publisher's hold), keep a sample every
    `sample_s`, act on an alert every `triage_every_s`, until the publisher is done."""
    samples: list[WeekSample] = []
    next_sample, next_triage, next_say = opts.sample_s, opts.triage_every_s, 120.0
    while True:
        time.sleep(POLL_S)
        if publisher.error is not None:
            raise RuntimeError("the publisher failed") from publisher.error
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker died:\n{worker.tail()}")
        alive = publisher.thread.is_alive()
        try:
            page = worker.page()
        except (urllib.error.URLError, OSError) as exc:  # a busy worker: the next poll
            say(f"/metrics did not answer: {exc}")
            continue
        done = applied(_sums(page))
        publisher.applied = done
        now = time.perf_counter() - publisher.t0
        if now >= next_triage:
            next_triage += opts.triage_every_s
            triager.act()
        if now >= next_sample or not alive:
            next_sample += opts.sample_s
            parts, anon = worker.status_mb("VmRSS"), worker.status_mb("RssAnon")
            kinds = _anonymous_by_kind(worker)
            rss = sum(parts)
            samples.append(
                WeekSample(
                    now,
                    publisher.event_t,
                    rss,
                    done,
                    publisher.acked,
                    len(publisher.vessels),
                    _series_count(page),
                    _file_mb(history_db),
                    publisher.held_s,
                    parts,
                    anon,
                    kinds,
                )
            )
            if now >= next_say:
                next_say += 120.0
                day = (publisher.event_t - T0) / DAY_S
                say(
                    f"{now / 60:5.1f} min  day {day:4.2f}  RSS {rss:6.1f} MB "
                    f"({' + '.join(f'{x:.1f}' for x in parts)}; anonymous "
                    f"{' + '.join(f'{x:.1f}' for x in anon)})  done {done:,} of "
                    f"{publisher.acked:,}  held {publisher.held_s:.0f} s"
                )
        if not alive:
            return samples


def _anonymous_by_kind(worker: Worker) -> dict[str, float]:
    """The worker process's anonymous memory by kind of mapping (bench.smaps); {} if gone."""
    try:
        return anonymous_by_kind_mb(worker.pids()[0])
    except OSError:
        return {}


def _sums(page: str) -> dict[str, float]:
    from bench.harness import series

    out: dict[str, float] = {}
    for name, _, value in series(page):
        out[name] = out.get(name, 0.0) + value
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak_week", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--days", type=float, default=DEFAULT_DAYS, help="event time (7)")
    parser.add_argument("--vessels", type=int, default=DEFAULT_VESSELS, help="the fleet (3000)")
    parser.add_argument(
        "--speed", type=float, default=DEFAULT_SPEED, help="event time per wall time (250)"
    )
    parser.add_argument(
        "--retention-days",
        type=float,
        default=DEFAULT_RETENTION_DAYS,
        help="the worker's history retention (1.5)",
    )
    parser.add_argument("--sample-s", type=float, default=DEFAULT_SAMPLE_S)
    parser.add_argument(
        "--max-lag",
        type=int,
        default=DEFAULT_MAX_LAG,
        help="positions the worker may be behind before the publisher holds",
    )
    parser.add_argument("--triage-every-s", type=float, default=DEFAULT_TRIAGE_EVERY_S)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the worker's Python allocations (slow; for finding what grows)",
    )
    parser.add_argument(
        "--holders",
        action="store_true",
        help="report the containers that hold the most bytes in the worker (for finding what "
        "grows)",
    )
    parser.add_argument(
        "--patch-sea-json",
        action="store_true",
        help="make the sea table's values their own size in the worker (bench.soak_probe: the "
        "change streams/bindings/sea.py is to make)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one more variable for the worker (SHIPWATCH_HISTORY=false, MALLOC_ARENA_MAX=2, ...)",
    )
    parser.add_argument(
        "--probe-scan-every-s",
        type=float,
        default=PROBE_EVERY_S,
        help="how often the probe walks the worker's tables and objects (its walks allocate "
        "in the worker's heap; the last report always walks them)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the broker's files")
    parser.add_argument(
        "--report", metavar="DIR", help="no run: make the report of the run in DIR again"
    )
    args = parser.parse_args(argv)
    if min(args.days, args.vessels, args.speed, args.retention_days, args.sample_s) <= 0:
        parser.error("--days, --vessels, --speed, --retention-days and --sample-s: positive")
    opts = Options(
        args.days,
        args.vessels,
        args.speed,
        args.retention_days,
        args.sample_s,
        args.max_lag,
        args.triage_every_s,
        args.seed,
        args.tracemalloc,
        args.holders,
        args.patch_sea_json,
        tuple(args.env),
        args.keep,
        args.probe_scan_every_s,
    )
    logging.basicConfig(level=logging.ERROR)
    if args.report:  # the analysis of a finished run again, with this code
        out = Path(args.report)
        results = orjson.loads((out / "week.json").read_bytes())
        samples = [WeekSample(**row) for row in results["samples"]]
        results["analysis"] = asdict(
            analyse_week(
                samples,
                results["options"]["vessels"],
                results["fleet_complete_at"],
                results["options"]["retention_days"] * DAY_S,
            )
        )
        results["allocators"] = allocator_slopes(
            results["probe"], results["t0_epoch"], results["analysis"]["warm_s"]
        )
        results["checks"] = checks(results)
    else:
        out = OUT / (datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-soak-week")
        out.mkdir(parents=True, exist_ok=True)
        results = soak_week(opts, out)
    results["out_dir"] = str(out)
    results["summary"] = summary_line(results)
    results["verdict"] = verdict(results)
    (out / "week.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    report = table(results)
    (out / "report.txt").write_text(f"{report}\n\n{results['verdict']}\n")
    print(report)
    print()
    print(results["verdict"])
    print(json.dumps(results["summary"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
