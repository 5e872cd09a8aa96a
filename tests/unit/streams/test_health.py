"""/readyz's reasons from Faust's state: joining, rebalancing, recovering, then ready."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from streams.health import Readiness
from streams.recovery_watch import RecoveryWatch


def faust_app(**state: Any) -> Any:
    completed = asyncio.Event()
    if state.pop("recovered", False):
        completed.set()
    left = state.pop("left", 0)
    recovery = SimpleNamespace(completed=completed, active_remaining_total=lambda: left)
    defaults = {"consumer_generation_id": 3, "rebalancing": False, "in_recovery": False}
    return SimpleNamespace(tables=SimpleNamespace(recovery=recovery), **(defaults | state))


def test_a_worker_with_its_partitions_recovered_is_ready() -> None:
    assert Readiness(faust_app(recovered=True)).reasons() == []


def test_each_reason_a_worker_is_not_ready_is_named() -> None:
    assert (
        Readiness(faust_app(consumer_generation_id=0, recovered=False))
        .reasons()[0]
        .startswith("not yet in the consumer group")
    )
    assert "rebalancing" in Readiness(faust_app(rebalancing=True, recovered=True)).reasons()[0]
    [recovering] = Readiness(faust_app(in_recovery=True, left=1234, recovered=False)).reasons()
    assert "1234 changelog records left" in recovering


def test_a_recovery_that_ends_clears_its_clock() -> None:
    app = faust_app(in_recovery=True, left=10, recovered=False)
    readiness = Readiness(app)
    assert readiness.reasons() and readiness.recovering_since is not None
    app.in_recovery = False
    app.tables.recovery.completed.set()
    assert readiness.reasons() == [] and readiness.recovering_since is None


def test_a_stalled_recovery_and_a_stuck_flush_are_named() -> None:
    watch = RecoveryWatch(stall_s=60.0)
    watch.stalled_s = 75.0
    app = faust_app(in_recovery=True, left=8, recovered=False)
    reasons = Readiness(app, watch, flushing_for=lambda: 90.0, stuck_after_s=60.0).reasons()
    assert any(r.startswith("recovery stalled: no changelog record for 75 s") for r in reasons)
    stuck = "flush stuck: the track stage's flush has waited 90 s"
    assert any(r.startswith(stuck) for r in reasons)
    done = faust_app(recovered=True)
    assert Readiness(done, watch, flushing_for=lambda: 1.0, stuck_after_s=60.0).reasons() == []


def test_an_ingest_process_in_trouble_makes_the_worker_not_ready() -> None:
    trouble: list[str | None] = [None]
    readiness = Readiness(faust_app(recovered=True), ingest_trouble=lambda: trouble[0])
    assert readiness.reasons() == []
    trouble[0] = "ingest process down: exited with 1 3 s ago, restarting"
    assert readiness.reasons() == [trouble[0]]
