"""The benchmark's memory phase: RSS against vessels tracked while new vessels join a worker.

`measure` (bench.run calls it on a fresh worker) sends one position each of new vessels at a
steady rate, paced so that the sending takes at least MIN_SEND_S, and reads the worker's VmRSS
and positions done every SAMPLE_S, while sending and then until every vessel is done: a run
whose worker lags (a busy machine, a slow start) still has its points. `per_vessel` (pure)
turns the samples into bytes per vessel:
 - the least-squares slope of RSS over vessels done, from the moment a fifth of them are done
   (the start-up allocations are over by then), when at least MIN_POINTS samples there have
   distinct counts;
 - else the RSS growth over the whole phase divided by the vessels, and the reason why the
   slope could not be had. Either way a number, and the method that made it.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.harness import applied, start_worker
from shipwatch.settings import Settings
from streams.kafka.config import client_options

SAMPLE_S = 0.25
MIN_SEND_S = 20.0  # the sending lasts at least this long: points to fit, whatever the rate
MIN_POINTS = 3
DONE_WAIT_S = 600.0
TAIL_FROM = 0.2  # the fit starts once this share of the vessels is done


@dataclass(frozen=True)
class PerVessel:
    """Bytes of RSS per vessel and how they were found."""

    bytes_per_vessel: float
    method: str  # "slope" or "overall"
    points: int  # samples with distinct counts in the fit
    why: str  # empty for the slope; else why the slope could not be had


def per_vessel(samples: Sequence[tuple[int, float]], vessels: int) -> PerVessel:
    """Bytes per vessel from (vessels done, RSS MB) samples, the first before any vessel."""
    if not samples or vessels <= 0:
        raise ValueError("need samples and vessels")
    overall = (samples[-1][1] - samples[0][1]) * 2**20 / vessels
    tail = [(n, mb) for n, mb in samples if n >= vessels * TAIL_FROM]
    distinct = len({n for n, _ in tail})
    if distinct >= MIN_POINTS:
        fit = statistics.linear_regression([n for n, _ in tail], [mb for _, mb in tail])
        return PerVessel(fit.slope * 2**20, "slope", distinct, "")
    done = max((n for n, _ in samples), default=0)
    why = (
        f"only {distinct} distinct counts after {TAIL_FROM:.0%} of the vessels were done "
        f"({done:,} of {vessels:,} done at the last sample)"
    )
    return PerVessel(overall, "overall", distinct, why)


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


def measure(
    settings: Settings,
    messages: list[tuple[bytes, bytes]],
    rate: float,
    out: Path,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """VmRSS against vessels tracked while new vessels join a fresh worker at a steady rate."""
    rate = min(rate, len(messages) / MIN_SEND_S)
    worker = start_worker(settings, out / "worker-memory.log")
    try:
        worker.wait_ready()
        time.sleep(2)
        samples = [(0, worker.rss_mb())]
        sender = threading.Thread(target=lambda: asyncio.run(_paced(settings, messages, rate)))
        sender.start()
        deadline = time.monotonic() + DONE_WAIT_S
        done = 0
        while sender.is_alive() or done < len(messages):
            time.sleep(SAMPLE_S)
            done = applied(worker.metrics())
            samples.append((done, worker.rss_mb()))
            if time.monotonic() > deadline:
                say(f"memory: {done:,} of {len(messages):,} vessels done in {DONE_WAIT_S:.0f} s")
                break
        sender.join()
        time.sleep(1.0)
        samples.append((applied(worker.metrics()), worker.rss_mb()))
    finally:
        worker.stop()
    found = per_vessel(samples, len(messages))
    return {
        "vessels": len(messages),
        "rate_per_s": rate,
        "rss_start_mb": samples[0][1],
        "rss_end_mb": samples[-1][1],
        "samples": samples,
        "bytes_per_new_vessel": found.bytes_per_vessel,
        "bytes_per_vessel_method": found.method,
        "bytes_per_vessel_points": found.points,
        "bytes_per_vessel_why": found.why,
        "bytes_per_vessel_overall": (samples[-1][1] - samples[0][1]) * 2**20 / len(messages),
    }
