"""The integrity story on the real broker: the stream raises exactly the alerts `detect` does,
and they are the story's plan."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from bench.harness import start_worker
from shipwatch.scenarios.integrity import INTEGRITY_KINDS, PLAN
from shipwatch.settings import Settings
from tests.fixtures.kafka import cli, detect_alerts, settle

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[2] / "shipwatch" / "scenarios" / "data"
INTEGRITY = DATA / "integrity.jsonl"
STATUS = DATA / "integrity-status.csv"


def test_the_integrity_story_raises_the_same_alerts_in_the_stream_as_in_detect(
    namespace_settings: Settings, tmp_path: Path
) -> None:
    settings = namespace_settings.model_copy(update={"identity_status_files": str(STATUS)})
    expected = detect_alerts(INTEGRITY, settings=settings)
    assert set(INTEGRITY_KINDS) <= {a["kind"] for a in expected}
    # env_for passes the settings tests vary; the status list goes on its own.
    status = {"SHIPWATCH_IDENTITY_STATUS_FILES": str(STATUS)}
    worker = start_worker(settings, tmp_path / "worker.log", extra_env=status)
    try:
        worker.wait_ready()
        replayed = cli(settings, "replay", str(INTEGRITY), "--max")
        assert replayed.returncode == 0, replayed.stderr
        got = settle(settings, "alerts", at_least=len(expected), quiet=5)
    finally:
        worker.stop()
    published = {a["alert_id"]: a for a in map(orjson.loads, got)}
    assert published == {a["alert_id"]: orjson.loads(orjson.dumps(a)) for a in expected}
    # And they are the plan's (tests/unit/shipwatch/scenarios/test_integrity_story.py says
    # more): each kind, on the vessels it names, and on none of the negatives.
    found = Counter(
        (a["kind"], a["mmsi"], a["severity"], a["evidence"].get("reason"))
        for a in published.values()
        if a["kind"] in INTEGRITY_KINDS
    )
    assert found == Counter(a.key for a in PLAN)
