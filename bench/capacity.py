"""Workers and partitions for the world's AIS feed, from the measured rate of one worker.

The rule:
- A worker runs at no more than 70 % (`HEADROOM`) of the rate it drained a backlog at in this
  benchmark, so that it catches up after a restart or a rebalance while the feed goes on, and
  bursts above the average do not build a lag. Workers = ceil(feed / (0.7 × rate)).
- Partitions = at least 2 per worker (`PARTITIONS_PER_WORKER`), so the group can grow to twice
  its workers without new partitions (adding partitions moves MMSIs to other partitions, and
  with them the vessels' tracked state; a topic's partitions can never be fewer), rounded up to
  a multiple of 6 (`PARTITION_STEP`): 6 partitions share out evenly among 1, 2, 3 or 6
  workers, and 6 is the worker's default.
- Cores: each worker uses the cores it used while draining (`worker_cores`, at most one core of
  Python plus the Kafka client's threads), scaled to its share of the feed. The broker's own
  cores are not counted.

Assumptions, stated in the output: workers scale linearly (one machine with few cores cannot
show that: see bench.two_workers), and the measured rate was on a machine whose broker shared
the worker's cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HEADROOM = 0.7  # a worker runs at most at this share of its measured drain rate
PARTITIONS_PER_WORKER = 2
PARTITION_STEP = 6
WORLD_FEED = {"average": 6_000.0, "peak": 20_000.0}  # positions per second, worldwide


@dataclass(frozen=True)
class Need:
    """What one feed rate needs."""

    feed: str  # "average" or "peak"
    positions_per_s: float
    workers: int | None  # None when the per-worker rate is unknown
    partitions: int | None
    utilisation: float | None  # of each worker's measured rate, when the feed is shared evenly
    cores: float | None  # the workers' CPU at that rate, together


def workers_for(positions_per_s: float, per_worker_per_s: float) -> int:
    """Workers so that none runs above HEADROOM of its measured rate (at least one)."""
    return max(1, math.ceil(positions_per_s / (HEADROOM * per_worker_per_s)))


def partitions_for(workers: int) -> int:
    """At least PARTITIONS_PER_WORKER per worker, rounded up to a multiple of PARTITION_STEP."""
    least = max(1, workers * PARTITIONS_PER_WORKER)
    return math.ceil(least / PARTITION_STEP) * PARTITION_STEP


def need(feed: str, positions_per_s: float, per_worker_per_s: float, cores: float) -> Need:
    """One row of the table; unknown figures when the per-worker rate is not a rate."""
    if not per_worker_per_s > 0 or math.isinf(per_worker_per_s):
        return Need(feed, positions_per_s, None, None, None, None)
    workers = workers_for(positions_per_s, per_worker_per_s)
    share = positions_per_s / (workers * per_worker_per_s)
    return Need(
        feed=feed,
        positions_per_s=positions_per_s,
        workers=workers,
        partitions=partitions_for(workers),
        utilisation=share,
        cores=workers * cores * share if cores > 0 else None,
    )


def capacity(per_worker_per_s: float, worker_cores: float) -> list[Need]:
    """Every feed rate of WORLD_FEED, for workers that drain `per_worker_per_s` each."""
    return [need(name, rate, per_worker_per_s, worker_cores) for name, rate in WORLD_FEED.items()]


def summary(per_worker_per_s: float, needs: list[Need]) -> dict[str, object]:
    """The JSON form: the inputs, the rule, and one entry per feed rate."""
    known = per_worker_per_s > 0 and not math.isinf(per_worker_per_s)
    return {
        "per_worker_per_s": round(per_worker_per_s) if known else None,
        "headroom": HEADROOM,
        "rule": f"workers = ceil(feed / ({HEADROOM} x per-worker rate)); partitions = "
        f"{PARTITIONS_PER_WORKER} x workers rounded up to a multiple of {PARTITION_STEP}",
    } | {
        n.feed: {
            "positions_per_s": n.positions_per_s,
            "workers": n.workers,
            "partitions": n.partitions,
            "utilisation": None if n.utilisation is None else round(n.utilisation, 3),
            "cores": None if n.cores is None else round(n.cores, 2),
        }
        for n in needs
    }
