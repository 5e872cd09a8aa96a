"""Alert latency at a steady rate: background traffic plus probe vessels calling at Vostochny.

The background is the fleet's traffic going on where the throughput run stopped, sent at a fixed
rate. Each probe, a North Korean-flagged tanker (a watched vessel), sails in and stays at the oil
berth; the tracker holds fixes near a fence until the vessel's event time is 10 minutes past
them, so the alert comes from processing a later fix: the deciding one, known in advance
(`bench.traffic.probe_tracks`). Latency = the alert's arrival at a separate consumer process
(`bench.listener`) minus the wall-clock time just before the deciding position was handed to
the producer. Both clocks are this machine's `time.time()`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from bench.harness import REPO, Worker
from bench.traffic import Item, Probe
from shipwatch.settings import Settings
from streams.kafka.config import client_options

WARMUP_S = 5.0  # background alone before the first probe
PROBE_GAP_S = 0.4  # between the starts of two probes
FIX_GAP_S = 0.25  # between two positions of one probe
ALERT_WAIT_S = 30.0  # for the last alerts after the last probe


@dataclass(frozen=True)
class LatencyResult:
    """What the steady-rate phase measured."""

    target_rate: float  # background messages per second asked for
    achieved_rate: float  # background + probe messages per second actually sent
    seconds: float
    probes: int
    latencies_ms: list[float]  # deciding position produced -> alert received, per probe
    worker_side_ms: list[float]  # deciding position produced -> alert record's Kafka timestamp
    worker_cpu: float  # CPU seconds of the worker per wall second during the phase
    unmatched: int  # probes whose alert did not come within the wait

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        """Nearest-rank percentile (q in 0..100) of the latencies."""
        data = sorted(self.latencies_ms if values is None else values)
        if not data:
            return float("nan")
        rank = max(1, min(len(data), -(-len(data) * q // 100)))
        return data[int(rank) - 1]


def _arrivals(path: Path, wanted: set[int]) -> dict[int, tuple[float, float]]:
    found: dict[int, tuple[float, float]] = {}
    if not path.exists():
        return found
    for raw in path.read_bytes().splitlines():
        row = orjson.loads(raw)
        mmsi = row.get("mmsi")
        if mmsi in wanted and row.get("kind") == "watchlist_port_call" and mmsi not in found:
            found[mmsi] = (row["received"], row["created"])
    return found


async def _drive(
    settings: Settings,
    background: Iterator[Item],
    rate: float,
    probes: list[Probe],
    arrivals: Path,
) -> tuple[int, float, dict[int, float]]:
    producer = AIOKafkaProducer(
        **client_options(settings), acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    topic = settings.topic("ais-raw")
    produced: dict[int, float] = {}
    stop = asyncio.Event()
    sent = [0]
    pending: list[asyncio.Future[object]] = []
    # The probes' own positions count towards the rate: the background makes up the rest.
    window = (len(probes) - 1) * PROBE_GAP_S + max(len(p.lines) for p in probes) * FIX_GAP_S
    background_rate = max(rate * 0.1, rate - sum(len(p.lines) for p in probes) / window)

    async def steady() -> None:
        start, done = time.perf_counter(), 0
        while not stop.is_set():
            due = int((time.perf_counter() - start) * background_rate)
            while done < due:
                _, _, key, value = next(background)
                pending.append(await producer.send(topic, value, key=key))
                done += 1
            if len(pending) > 5000:
                pending[:] = [f for f in pending if not f.done()]
            await asyncio.sleep(0.005)
        sent[0] += done

    async def probe(p: Probe, delay: float) -> None:
        await asyncio.sleep(delay)
        key = str(p.mmsi).encode()
        for k, value in enumerate(p.lines):
            if k == p.deciding:
                produced[p.mmsi] = time.time()
            pending.append(await producer.send(topic, value, key=key))
            await asyncio.sleep(FIX_GAP_S)

    started = time.perf_counter()
    feeder = asyncio.create_task(steady())
    try:
        await asyncio.sleep(WARMUP_S)
        await asyncio.gather(*(probe(p, i * PROBE_GAP_S) for i, p in enumerate(probes)))
        wanted = {p.mmsi for p in probes}
        deadline = time.monotonic() + ALERT_WAIT_S
        while time.monotonic() < deadline and len(_arrivals(arrivals, wanted)) < len(wanted):
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await feeder
        elapsed = time.perf_counter() - started
        await asyncio.gather(*pending)
        await producer.stop()
    return sent[0] + sum(len(p.lines) for p in probes), elapsed, produced


def measure(
    settings: Settings,
    worker: Worker,
    background: Iterator[Item],
    rate: float,
    probes: list[Probe],
    out_dir: Path,
) -> LatencyResult:
    """Run the phase on a running worker; the listener runs in its own process."""
    arrivals = out_dir / "alert-arrivals.jsonl"
    arrivals.unlink(missing_ok=True)
    listener = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.listener",
            settings.kafka_bootstrap,
            settings.topic("alerts"),
            str(settings.partitions),
            str(arrivals),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout is not None
        if listener.stdout.readline().strip() != "ready":
            raise RuntimeError("the alert listener did not start")
        cpu0, t0 = worker.cpu_s(), time.perf_counter()
        sent, seconds, produced = asyncio.run(_drive(settings, background, rate, probes, arrivals))
        cpu = (worker.cpu_s() - cpu0) / (time.perf_counter() - t0)
    finally:
        listener.terminate()
        listener.wait(30)
    found = _arrivals(arrivals, set(produced))
    latencies = [(found[m][0] - t) * 1000 for m, t in produced.items() if m in found]
    worker_side = [(found[m][1] - t) * 1000 for m, t in produced.items() if m in found]
    return LatencyResult(
        target_rate=rate,
        achieved_rate=sent / seconds,
        seconds=seconds,
        probes=len(probes),
        latencies_ms=latencies,
        worker_side_ms=worker_side,
        worker_cpu=cpu,
        unmatched=len(probes) - len(latencies),
    )
