"""Workers draining a pre-loaded raw topic: the clock, the counts, the CPU they used.

One or more `shipwatch worker` processes of one group read a topic loaded before they start.
The clock starts when the last of them logs "Ready" (partitions assigned, tables recovered:
consuming starts), or for one worker when its ingest process took the raw partitions, if that
was earlier, and stops when their /metrics, polled every 0.5 s, add up to every position
done by the track stage (`bench.harness.applied`, summed over the workers). With more than one
worker the first Ready may have started before the others are: the positions it did by then
are counted off, and the clock restarts at the first poll after the last Ready. Positions a
worker takes over in a rebalance before their offsets were committed are done again (counted
as stale the second time), so with several workers the sum can reach the total a little early:
`applied_at_end` minus the total says by how much at most.

A drain that makes no progress for `stall_s` seconds, or whose worker dies, fails at once.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.harness import Series, Worker, applied, cpu_seconds, machine_cpu

POLL_S = 0.5  # /metrics polls while draining; each costs the worker a little CPU
STALL_S = 120.0  # no progress for this long: the worker is broken (or stuck in a rebalance)


@dataclass
class WorkerUse:
    """What one worker of a drain did and used."""

    positions: int  # done by this worker's track stage while the clock ran (its /metrics)
    cpu_s: float
    cores: float  # CPU seconds per wall second
    rss_end_mb: float
    peak_rss_mb: float

    @property
    def cpu_ms_per_position(self) -> float:
        """This worker's CPU time per position it did."""
        return self.cpu_s / self.positions * 1000 if self.positions else math.nan


@dataclass
class Drain:
    """Workers draining a pre-loaded topic (one, or several in one group)."""

    positions: int  # drained while the clock ran
    seconds: float  # the last Ready (or the first poll after it) -> all positions done
    first_after_s: float  # Ready -> first position done by the track stage
    steady_per_s: float  # between 10 % and 90 % of the positions
    rss_start_mb: float  # the workers together
    rss_end_mb: float
    peak_rss_mb: float
    worker_cores: float  # the workers' CPU seconds per wall second, together
    broker_cores: float
    others_cores: float  # every other process on the machine, this benchmark's own included
    done_before: int = 0  # positions done before the clock started (several workers only)
    applied_at_end: int = 0  # the workers' applied counts together, just after the drain
    metrics: dict[str, float] = field(default_factory=dict)  # summed over the workers
    series: list[Series] = field(default_factory=list)  # every worker's samples at the end
    workers: list[WorkerUse] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        """Positions per second while the clock ran."""
        return self.positions / self.seconds

    @property
    def cpu_ms_per_position(self) -> float:
        """The workers' CPU time per position: what the figures would be with a core each."""
        return self.worker_cores * self.seconds / self.positions * 1000

    def summary(self) -> dict[str, Any]:
        """The fields, the derived figures, without the raw samples."""
        fields = {k: v for k, v in vars(self).items() if k not in ("series", "workers")}
        return fields | {
            "per_s": self.per_s,
            "cpu_ms_per_position": self.cpu_ms_per_position,
            "workers": [
                vars(w) | {"cpu_ms_per_position": w.cpu_ms_per_position} for w in self.workers
            ],
        }


def crossing(samples: Sequence[tuple[float, float]], level: float) -> float:
    """When the count first reached `level`, interpolated between two samples."""
    for (t0, a0), (t1, a1) in itertools.pairwise(samples):
        if a0 < level <= a1:
            return t0 + (t1 - t0) * (level - a0) / (a1 - a0)
    return math.nan


def steady_rate(samples: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Count per second between the first 10 % and 90 % of the way from `start` to `end`."""
    span = end - start
    low, high = crossing(samples, start + span * 0.1), crossing(samples, start + span * 0.9)
    return span * 0.8 / (high - low) if high > low else math.nan


class Stalled(RuntimeError):
    """The workers stopped making progress, or one died."""


class _Watch:
    """Progress of the drain: fails when the count stays put for too long or a worker dies."""

    def __init__(self, workers: Sequence[Worker], stall_s: float) -> None:
        self.workers, self.stall_s = workers, stall_s
        self.last, self.since = -1, time.perf_counter()

    def check(self, done: int, expected: int, now: float) -> None:
        if done != self.last:
            self.last, self.since = done, now
        elif now - self.since > self.stall_s:
            raise Stalled(f"no progress for {self.stall_s:.0f} s at {done:,}/{expected:,}")
        for worker in self.workers:
            if worker.process.poll() is not None:
                raise Stalled(f"a worker died:\n{worker.tail()}")


def _total(workers: Sequence[Worker]) -> tuple[list[int], dict[str, float]]:
    """Positions done by each worker, and their metrics summed."""
    each: list[int] = []
    summed: dict[str, float] = {}
    for worker in workers:
        m = worker.metrics()
        each.append(applied(m))
        for name, value in m.items():
            summed[name] = summed.get(name, 0.0) + value
    return each, summed


def drain(
    workers: Worker | Sequence[Worker], expected: int, broker_pid: int, stall_s: float = STALL_S
) -> Drain:
    """Start the clock at the last Ready and poll /metrics until every position is done."""
    group = [workers] if isinstance(workers, Worker) else list(workers)
    ready = max(w.wait_ready() for w in group)
    before = [0] * len(group)
    if len(group) > 1:  # the first Ready worker may have begun: restart the clock, count off
        before, _ = _total(group)
        ready = time.perf_counter()
    done_before = sum(before)
    cpu0 = [w.cpu_s() for w in group]
    alone = group[0]
    if len(group) == 1 and alone.began_at is not None and alone.began_at < ready:
        # Its ingest process began decoding before Ready: the clock and the CPU count from then.
        ready, cpu0 = alone.began_at, [alone.began_cpu_s]
    broker0, machine0 = cpu_seconds(broker_pid), machine_cpu()[0]
    rss_start = sum(w.rss_mb() for w in group)
    watch = _Watch(group, stall_s)
    samples: list[tuple[float, float]] = [(0.0, done_before)]
    first = math.nan
    while True:
        each, summed = _total(group)
        done, now = sum(each), time.perf_counter()
        samples.append((now - ready, done))
        if done > done_before and math.isnan(first):
            first = now - ready
        if done >= expected:
            break
        watch.check(done, expected, now)
        time.sleep(POLL_S)
    wall = time.perf_counter() - ready
    end_series = [s for w in group for s in w.series()]
    uses = [_use(*args, wall) for args in zip(group, cpu0, before, strict=True)]
    worker_cpu = sum(u.cpu_s for u in uses)
    broker_cpu = cpu_seconds(broker_pid) - broker0
    busy = machine_cpu()[0] - machine0
    return Drain(
        positions=expected - done_before,
        seconds=samples[-1][0],
        first_after_s=first,
        steady_per_s=steady_rate(samples, done_before, expected),
        rss_start_mb=rss_start,
        rss_end_mb=sum(u.rss_end_mb for u in uses),
        peak_rss_mb=sum(u.peak_rss_mb for u in uses),
        worker_cores=worker_cpu / wall,
        broker_cores=broker_cpu / wall,
        others_cores=max(0.0, busy - worker_cpu - broker_cpu) / wall,
        done_before=done_before,
        applied_at_end=sum(before) + sum(u.positions for u in uses),
        metrics=summed,
        series=end_series,
        workers=uses,
    )


def _use(worker: Worker, cpu0: float, before: int, wall: float) -> WorkerUse:
    cpu = worker.cpu_s() - cpu0
    return WorkerUse(
        positions=applied(worker.metrics()) - before,
        cpu_s=cpu,
        cores=cpu / wall,
        rss_end_mb=worker.rss_mb(),
        peak_rss_mb=worker.peak_rss_mb(),
    )


def wait_applied(worker: Worker, target: int, timeout: float = 600.0) -> None:
    """Poll /metrics until the track stage has done `target` positions in all."""
    deadline = time.monotonic() + timeout
    while applied(worker.metrics()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker did not reach {target} positions")
        time.sleep(POLL_S)
