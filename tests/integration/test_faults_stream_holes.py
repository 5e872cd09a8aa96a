"""Stream records fetched and dropped are read again: no offset is committed unread."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import Settings
from tests.fixtures.dropping_stream_worker import DROP_MARK
from tests.fixtures.kafka import alert_id, cli, detect_alerts, settle

pytestmark = [pytest.mark.integration, pytest.mark.faults]

ROWS = 3000  # of the reference scenario: frames in both partitions, and 15 alerts


def test_frames_dropped_after_the_recovery_are_read_again_and_lose_nothing(
    namespace_settings: Settings, worker_factory, tmp_path: Path
):
    part = tmp_path / "part.csv"
    header, *rows = SCENARIO_PATH.read_text().splitlines(keepends=True)
    part.write_text(header + "".join(rows[:ROWS]))
    expected = {a["alert_id"] for a in detect_alerts(part)}
    assert expected
    # The worker throws away the first batch of frames it fetches, as Faust 0.15.3's getmany
    # can, and does not seek back: without the fix, the frames after it would be read on and
    # the dropped ones committed unread.
    worker = worker_factory("tests.fixtures.dropping_stream_worker")
    assert cli(namespace_settings, "replay", "--max", str(part)).returncode == 0
    alerts = settle(namespace_settings, "alerts", at_least=len(expected), wait=90, key=alert_id)
    text = worker.log.read_text(errors="replace")
    assert DROP_MARK in text
    assert "were not handed on: reading them again" in text
    got = {alert_id(v) for v in alerts}
    assert got == expected, f"missing {expected - got}, invented {got - expected}"
