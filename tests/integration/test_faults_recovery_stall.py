"""A table recovery that stalls is noticed and ended by the worker itself, with nothing lost."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from bench.harness import Worker, applied, start_worker
from shipwatch.broker.ports import free_port
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import Settings
from tests.fixtures import wait_until
from tests.fixtures.dropping_recovery_worker import DROP_MARK
from tests.fixtures.kafka import cli

pytestmark = [pytest.mark.integration, pytest.mark.faults]

STALL_S = 5  # SHIPWATCH_RECOVERY_STALL_S for the stalling worker
READY = "[^Worker]: Ready"
ROWS = 3000  # of the reference scenario: enough for every tracks partition to have records


def settled(worker: Worker, quiet_s: float = 4.0) -> int:
    """The positions the worker has done, once that count has not moved for `quiet_s`."""
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s or last <= 0:
        now = applied(worker.metrics())
        if now != last:
            last, since = now, time.monotonic()
        time.sleep(0.5)
    return last


def test_a_recovery_waiting_for_records_already_dropped_is_read_again_and_loses_nothing(
    namespace_settings: Settings, worker_factory, tmp_path: Path
):
    part = tmp_path / "part.csv"
    header, *rows = SCENARIO_PATH.read_text().splitlines(keepends=True)
    part.write_text(header + "".join(rows[:ROWS]))
    first = worker_factory()
    assert cli(namespace_settings, "replay", "--max", str(part)).returncode == 0
    # Done once nothing more arrives for a few flush intervals: every state is in its changelog.
    done = settled(first)
    assert done > 0
    first.stop()

    # Its successor drops the tail of a tracks changelog partition in its recovery, as Faust
    # 0.15.3 could across a rebalance, and stalls waiting for it.
    settings = namespace_settings.model_copy(update={"web_port": free_port()})
    second = start_worker(
        settings,
        tmp_path / "worker-stalling.log",
        "tests.fixtures.dropping_recovery_worker",
        extra_env={"SHIPWATCH_RECOVERY_STALL_S": str(STALL_S)},
    )
    try:
        # The web server answers from the start, through the recovery: /readyz names it.
        said: set[str] = set()
        deadline = time.monotonic() + 120
        while READY not in second.log.read_text(errors="replace"):
            assert time.monotonic() < deadline and second.process.poll() is None, second.tail()
            with contextlib.suppress(OSError):
                ready, reason = second.ready()
                said |= set((reason or "").split("; ")) if not ready else set()
            time.sleep(0.2)
        second.wait_ready()
        assert any(r.startswith("recovering tables") for r in said), said
        log = second.log.read_text(errors="replace")
        assert DROP_MARK in log, second.tail()
        assert "table recovery stalled" in log and "reread" in log, second.tail()
        steps = {
            labels["action"]: value
            for name, labels, value in second.series()
            if name == "shipwatch_recovery_stalls_total"
        }
        assert steps["reread"] >= 1 and steps["stop"] == 0, steps
        assert second.ready() == (True, None)

        # The recovered tracks hold every vessel's last position: the same input again is all
        # stale. Had the dropped records stayed unread, their vessels would take it anew.
        assert cli(namespace_settings, "replay", "--max", str(part)).returncode == 0
        wait_until(lambda: applied(second.metrics()) >= done, timeout=120)
        metrics = second.metrics()
        assert metrics["shipwatch_positions_total"] == 0, metrics
        assert metrics["shipwatch_stale_positions_total"] > 0
    finally:
        second.stop()
