"""The at-sea story on the real broker: the stream raises exactly the alerts `detect` does."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from bench.harness import start_worker
from shipwatch.settings import Settings
from tests.fixtures.kafka import cli, detect_alerts, settle

pytestmark = pytest.mark.integration

AT_SEA = Path(__file__).resolve().parents[2] / "shipwatch" / "scenarios" / "data" / "at_sea.jsonl"


def test_the_at_sea_story_raises_the_same_alerts_in_the_stream_as_in_detect(
    namespace_settings: Settings, tmp_path: Path
):
    expected = detect_alerts(AT_SEA, settings=namespace_settings)
    kinds = {a["kind"] for a in expected}
    assert {"sts_encounter", "loitering", "dark_vessel"} <= kinds
    worker = start_worker(namespace_settings, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        replayed = cli(namespace_settings, "replay", str(AT_SEA), "--max")
        assert replayed.returncode == 0, replayed.stderr
        got = settle(namespace_settings, "alerts", at_least=len(expected), quiet=5)
        sightings = settle(namespace_settings, "sightings", at_least=1, quiet=1)
    finally:
        worker.stop()
    published = {a["alert_id"]: a for a in map(orjson.loads, got)}
    assert published == {a["alert_id"]: orjson.loads(orjson.dumps(a)) for a in expected}
    dark = [a for a in published.values() if a["kind"] == "dark_vessel"]
    assert dark and all(a["mmsi"] is None and a["evidence"]["candidates"] for a in dark)
    sent = [line for line in AT_SEA.read_bytes().splitlines() if b'"sighting"' in line]
    assert len(sightings) == len(sent)
    assert {orjson.loads(s)["sighting_id"] for s in sightings} == {
        orjson.loads(line)["sighting_id"] for line in sent
    }
