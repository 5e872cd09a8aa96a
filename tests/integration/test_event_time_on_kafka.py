"""Event time on the real broker: partitions running unevenly decide what `detect` decides.

The sea_days story (scenarios/sea_days.py) runs over four days; its STS pair sits on
different partitions, one partition carries only days 1-2 and another only days 3-4, and two
dark tankers are sighted at berths from whose cells no AIS ever comes again. Replayed at full
speed into one worker, and again as a catch-up (the worker stopped mid-replay, started after
it ended), the stream must publish exactly detect's alerts, those included.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from bench.harness import start_worker
from shipwatch.scenarios.sea_days import DARK_AT_CHONGJIN, DARK_AT_VOSTOCHNY, SCENARIO_PATH
from shipwatch.settings import Settings
from tests.fixtures.kafka import cli, detect_alerts, settle

pytestmark = pytest.mark.integration


def uneven(settings: Settings) -> Settings:
    """Six partitions (the STS pair on different ones), and idleness short enough that the
    partition whose data end on day 2 stops holding the others back soon after the replay."""
    return settings.model_copy(update={"partitions": 6, "watermark_idle_s": 4.0})


def expected(settings: Settings) -> dict[str, dict[str, object]]:
    alerts = detect_alerts(SCENARIO_PATH, settings=settings)
    found = {a["alert_id"]: orjson.loads(orjson.dumps(a)) for a in alerts}
    kinds = {a["kind"] for a in alerts}
    assert {"sts_encounter", "dark_vessel"} <= kinds
    dark = {a["evidence"]["sighting_id"] for a in alerts if a["kind"] == "dark_vessel"}
    assert dark == {DARK_AT_VOSTOCHNY, DARK_AT_CHONGJIN}  # without --flush: no AIS follows
    return found


def published(settings: Settings, at_least: int) -> dict[str, dict[str, object]]:
    got = settle(settings, "alerts", at_least=at_least, quiet=6)
    return {a["alert_id"]: a for a in map(orjson.loads, got)}


def test_a_replay_at_full_speed_publishes_detects_alerts(namespace_settings: Settings, tmp_path):
    settings = uneven(namespace_settings)
    want = expected(settings)
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        replayed = cli(settings, "replay", str(SCENARIO_PATH), "--max")
        assert replayed.returncode == 0, replayed.stderr
        got = published(settings, len(want))
    finally:
        worker.stop()
    assert got == want


def test_a_catch_up_after_the_worker_was_down_publishes_detects_alerts(
    namespace_settings: Settings, tmp_path: Path
):
    settings = uneven(namespace_settings)
    want = expected(settings)
    lines = SCENARIO_PATH.read_bytes().splitlines(keepends=True)
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_bytes(b"".join(lines[: len(lines) // 3]))
    rest.write_bytes(b"".join(lines[len(lines) // 3 :]))
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    try:
        worker.wait_ready()
        replayed = cli(settings, "replay", str(first), "--max")
        assert replayed.returncode == 0, replayed.stderr
        settle(settings, "alerts", at_least=1, quiet=3)  # the worker is well into it
    finally:
        worker.stop()
    replayed = cli(settings, "replay", str(rest), "--max")  # while no worker runs
    assert replayed.returncode == 0, replayed.stderr
    worker = start_worker(settings, log)
    try:
        worker.wait_ready()
        got = published(settings, len(want))
    finally:
        worker.stop()
    assert got == want
