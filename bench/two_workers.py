"""Two workers in one group on the same broker: does a second worker add throughput here?

The same positions as the one-worker run are loaded onto a fresh namespace; two
`shipwatch worker` processes (each with its own web port and data directory) are started at
the same moment and share the raw topic's partitions. The drain is timed from when both are
Ready until their applied counts add up to every position (bench.drain). The answer is bounded
by the machine: on N cores the broker, both workers and this benchmark share N cores, so two
workers cannot reach twice one worker's rate unless one worker left cores idle.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from bench.drain import Drain, drain
from bench.harness import load, start_worker
from streams.broker.ports import free_port
from streams.settings import Settings
from streams.topics import ensure_topics

WORKERS = 2


@dataclass(frozen=True)
class Machine:
    """The cores the workers and the broker share."""

    nproc: int  # cores this process may run on
    cpu_count: int  # cores of the machine

    @staticmethod
    def here() -> Machine:
        """This machine."""
        return Machine(len(os.sched_getaffinity(0)), os.cpu_count() or 0)

    def limits(self) -> str:
        """What the machine allows, in a sentence for the report."""
        return (
            f"{self.nproc} cores (nproc) shared by the broker, the workers and the benchmark "
            f"itself: {WORKERS} workers can scale only as far as the cores left to them"
        )


def _worker_settings(settings: Settings, index: int) -> Settings:
    return settings.model_copy(
        update={"web_port": free_port(), "data_dir": settings.data_dir / f"w{index}"}
    )


def measure(
    settings: Settings, messages: list[tuple[bytes, bytes]], broker_pid: int, out: Path
) -> Drain:
    """Load the messages onto a fresh namespace's raw topic and drain them with two workers."""
    asyncio.run(ensure_topics(settings))
    asyncio.run(load(settings, settings.topic("ais-raw"), messages))
    workers = [
        start_worker(_worker_settings(settings, i), out / f"worker-pair-{i}.log")
        for i in range(WORKERS)
    ]
    try:
        return drain(workers, len(messages), broker_pid)
    finally:
        for worker in workers:
            worker.stop()
