"""A worker finishing table recovery seeks its input before anything is fetched from it."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import AsyncMock, MagicMock

from faust.tables.recovery import Recovery

from streams.faust_patches.recovery_order import seek_before_fetch


class Consumer:
    """The consumer as recovery drives it; records each call with whether fetching was on."""

    def __init__(self) -> None:
        self.flow_active = True  # as after reading the changelogs
        self.calls: list[tuple[str, bool]] = []

    def assignment(self) -> set[str]:
        return {"ns.ais-raw-0", "ns-tracks-changelog-0"}

    def stop_flow(self) -> None:
        self.flow_active = False

    def resume_flow(self) -> None:
        self.calls.append(("resume_flow", self.flow_active))
        self.flow_active = True

    def resume_partitions(self, tps: Any) -> None:
        self.calls.append(("resume_partitions", self.flow_active))

    async def perform_seek(self) -> None:
        self.calls.append(("perform_seek", self.flow_active))


def recovery_of(consumer: Consumer) -> Any:
    """Just enough of a Recovery service for Faust's own `on_recovery_completed` to run."""
    app = MagicMock(consumer=consumer, consumer_generation_id=7)
    app.on_rebalance_complete.send = AsyncMock()
    app._fetcher.maybe_start = AsyncMock()
    app.flow_control.resume.side_effect = lambda: consumer.calls.append(
        ("flow_control.resume", consumer.flow_active)
    )
    recovery = MagicMock(app=app)
    recovery.tables.values.return_value = []
    recovery._is_changelog_tp = lambda tp: "changelog" in tp

    async def wait(coro: Any, timeout: float | None = None) -> None:
        await coro

    recovery._wait = wait
    return recovery


def test_stream_partitions_are_resumed_and_sought_with_fetching_stopped():
    seek_before_fetch()
    consumer = Consumer()
    asyncio.run(Recovery.on_recovery_completed(recovery_of(consumer), generation_id=7))
    # Faust's own order, each step now taken with the fetch loop waiting until resume_flow.
    assert consumer.calls == [
        ("resume_partitions", False),
        ("perform_seek", False),
        ("flow_control.resume", False),
        ("resume_flow", False),
    ]
    assert consumer.flow_active


def test_patching_twice_wraps_once():
    seek_before_fetch()
    first = Recovery.on_recovery_completed
    seek_before_fetch()
    assert Recovery.on_recovery_completed is first
