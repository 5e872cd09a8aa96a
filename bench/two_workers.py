"""Two workers in one group on the same broker: does a second worker add throughput here?

The same positions as the one-worker run go onto a fresh namespace, drained by two
`shipwatch worker` processes (each with its own web port and data directory) that share the raw
topic's partitions. Were the positions loaded before the workers start, the first worker Ready
would drain a good part of them alone (a fast worker does tens of thousands of positions while
the second one joins), and the rebalances would have them do some twice. So both start on the
empty topic; once both are Ready and every consumer group of the namespace (Faust's, and the
ingest group of the batched worker) is stable with both as members, the positions are loaded.
The drain is timed from then (both Ready, every position on the topic) until their applied
counts add up to every position; what they did during the loading is counted off (bench.drain).

The answer is bounded by the machine: on N cores the broker, both workers and this benchmark
share N cores, so two workers cannot reach twice one worker's rate unless one worker left
cores idle.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v2

from bench.drain import STALL_S, Drain, Stalled, drain
from bench.harness import load, start_worker
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

WORKERS = 2
SETTLED_CHECKS = 2  # consecutive checks, a second apart, that find the groups stable


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


class _DescribeGroupsV2(DescribeGroupsRequest):  # type: ignore[misc]
    """DescribeGroups at version 2: aiokafka 0.14 reads a v3 answer with the v2 schema."""

    def build(self, request_struct_class: type[Any]) -> DescribeGroupsRequest_v2:
        return DescribeGroupsRequest_v2(self._groups)


async def group_states(settings: Settings) -> dict[str, tuple[str, int]]:
    """Every consumer group of the namespace (`<ns>` or `<ns>.*`): (state, members)."""
    ns = settings.namespace
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        ids = [g[0] for g in await admin.list_consumer_groups()]
        states: dict[str, tuple[str, int]] = {}
        for group_id in sorted(g for g in ids if g == ns or g.startswith(f"{ns}.")):
            node = await admin.find_coordinator(group_id)
            response = await admin._send_request(_DescribeGroupsV2([group_id]), node)
            for _, name, state, _, _, members in response.groups:
                states[name] = (state, len(members))
        return states
    finally:
        await admin.close()


def _settled(settings: Settings, members: int, timeout: float = STALL_S) -> None:
    """Wait until every consumer group of the namespace is Stable with `members` members."""
    deadline, seen = time.monotonic() + timeout, 0
    states: dict[str, tuple[str, int]] = {}
    while seen < SETTLED_CHECKS:
        if time.monotonic() > deadline:
            raise Stalled(f"the workers' groups did not settle in {timeout:.0f} s: {states}")
        time.sleep(1.0)
        states = asyncio.run(group_states(settings))
        stable = bool(states) and all(
            state == "Stable" and count >= members for state, count in states.values()
        )
        seen = seen + 1 if stable else 0


def measure(
    settings: Settings, messages: list[tuple[bytes, bytes]], broker_pid: int, out: Path
) -> Drain:
    """Two workers on a fresh namespace drain the messages, loaded once the group is settled."""
    asyncio.run(ensure_topics(settings))
    workers = [
        start_worker(_worker_settings(settings, i), out / f"worker-pair-{i}.log")
        for i in range(WORKERS)
    ]
    try:
        for worker in workers:
            worker.wait_ready()
        _settled(settings, WORKERS)
        asyncio.run(load(settings, settings.topic("ais-raw"), messages))
        return drain(workers, len(messages), broker_pid)
    finally:
        for worker in workers:
            worker.stop()
