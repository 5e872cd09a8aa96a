"""Faults on the real broker: a worker killed mid-stream, two workers sharing the work."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import Settings
from tests.fixtures.kafka import (
    alert_id,
    cli,
    read_topic,
    scenario_alert_ids,
    settle,
)
from tests.fixtures.slow_flush_worker import FLUSH_MARK

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def ids(values: list[bytes]) -> Counter[str]:
    return Counter(alert_id(v) for v in values)


def test_a_worker_killed_mid_stream_loses_no_alert_and_invents_none(
    namespace_settings: Settings, worker_factory, tmp_path: Path
):
    expected = scenario_alert_ids()
    first = worker_factory()
    assert cli(namespace_settings, "replay", str(SCENARIO_PATH), "--max").returncode == 0
    # Kill -9 once some alerts are out: the rest of the work is in flight or not started.
    read_topic(namespace_settings, "alerts", wait=60, enough=lambda v: len(v) >= 3)
    first.stop(signal.SIGKILL)
    # Recovers the tables from their changelogs, then resumes from the committed offsets; its
    # seeks are slowed to widen the window where Faust 0.15.3 lost messages (recovery_order.py).
    worker_factory("tests.fixtures.slow_seek_worker")
    alerts = settle(
        namespace_settings, "alerts", at_least=len(expected), quiet=6, wait=240, key=alert_id
    )
    got = ids(alerts)
    assert set(got) == expected
    # At-least-once: re-processed input may publish an alert again, always with the same id.
    assert sum(got.values()) >= len(expected)


def test_a_worker_killed_during_a_flush_loses_no_alert_and_invents_none(
    namespace_settings: Settings, worker_factory
):
    expected = scenario_alert_ids()
    first = worker_factory("tests.fixtures.slow_flush_worker")
    assert cli(namespace_settings, "replay", str(SCENARIO_PATH), "--max").returncode == 0
    # Killed between "states durable" and "frames acknowledged" of its first flush: the
    # restarted worker recovers the newer states and reads those frames again.
    deadline = time.monotonic() + 60
    while FLUSH_MARK not in first.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, first.tail()
        time.sleep(0.05)
    first.stop(signal.SIGKILL)
    second = worker_factory()
    alerts = settle(
        namespace_settings, "alerts", at_least=len(expected), quiet=6, wait=240, key=alert_id
    )
    got = ids(alerts)
    assert set(got) == expected
    assert sum(got.values()) >= len(expected)
    # The frames were read again over the durable states: their positions were stale there.
    assert second.metrics()["shipwatch_stale_positions_total"] > 0


@pytest.mark.scale  # the 2 -> 3 -> 2 test in CI covers two workers sharing the partitions
def test_two_workers_share_the_partitions_and_raise_the_same_alerts_as_one(
    namespace_settings: Settings, worker_factory
):
    expected = scenario_alert_ids()
    workers = [worker_factory(), worker_factory()]
    assert cli(namespace_settings, "replay", str(SCENARIO_PATH), "--max").returncode == 0
    alerts = settle(namespace_settings, "alerts", at_least=len(expected), quiet=6, key=alert_id)
    got = ids(alerts)
    assert set(got) == expected
    assert all(n == 1 for n in got.values())
    # Each worker processed positions: the work was shared, not done twice.
    done = [w.metrics()["shipwatch_positions_total"] for w in workers]
    assert all(d > 0 for d in done)
    rows = len(SCENARIO_PATH.read_text().splitlines()) - 1
    assert sum(done) <= rows
