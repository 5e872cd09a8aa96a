"""The `shipwatch` commands that need no broker: decode, detect, geofences."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest

from shipwatch.cli.main import main
from tests.fixtures.timeline import loading_then_delivery


@pytest.fixture
def story(tmp_path: Path) -> Path:
    lines = [orjson.dumps(p.model_dump(mode="json")) for p in loading_then_delivery()]
    lines.insert(4, b"not a record")
    path = tmp_path / "story.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_decode_prints_records_and_reports_rejections_with_line_numbers(story, capsys):
    assert main(["decode", str(story)]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(loading_then_delivery())
    assert set(records[0]) >= {
        "kind",
        "mmsi",
        "ts",
        "lat",
        "lon",
        "sog",
        "cog",
        "heading",
        "nav_status",
    }
    assert records[0]["ts"].endswith("Z")
    assert f"{story}:5: unknown_format" in err
    assert "1 rejected (unknown_format=1)" in err.splitlines()[-1]


def test_detect_prints_alerts_and_with_events_the_events(story, capsys):
    assert main(["detect", str(story)]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(a["kind"] for a in alerts) == ["sanctioned_voyage", "watchlist_port_call"]
    for alert in alerts:
        assert {"alert_id", "kind", "severity", "mmsi", "evidence"} <= set(alert)
    assert main(["detect", "--events", str(story)]) == 0
    kinds = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert {"enter", "stop", "exit", "port_call", "voyage"} <= set(kinds)


def test_detect_goes_on_past_a_record_a_stage_fails_on_as_the_stream_does(
    story, tmp_path: Path, capsys, monkeypatch
):
    """The stream dead-letters a record its track stage raised on and goes on: so does detect."""
    from shipwatch.pipeline import track_stage

    real = track_stage.track_record
    stranger = 273_999_999

    def failing(states, record, *args, **kwargs):  # type: ignore[no-untyped-def]
        if record["mmsi"] == stranger:
            raise ZeroDivisionError("a bug")
        return real(states, record, *args, **kwargs)

    monkeypatch.setattr(track_stage, "track_record", failing)
    bad = {"kind": "position", "mmsi": stranger, "ts": "2024-03-07T00:00:00Z", "lat": 1, "lon": 2}
    path = tmp_path / "with_bad.jsonl"
    path.write_bytes(orjson.dumps(bad) + b"\n" + story.read_bytes())
    assert main(["detect", str(path)]) == 0
    out, err = capsys.readouterr()
    alerts = [json.loads(line) for line in out.splitlines()]
    assert sorted(a["kind"] for a in alerts) == ["sanctioned_voyage", "watchlist_port_call"]
    assert "the track stage failed on" in err and "ZeroDivisionError: a bug" in err
    assert "1 failed in a stage (dead-lettered)" in err.splitlines()[-1]


def test_detect_with_other_geofences(story, tmp_path: Path, capsys):
    folder = tmp_path / "fences"
    folder.mkdir()
    assert main(["detect", "--geofences", str(folder), str(story)]) == 2
    assert "no .geojson files" in capsys.readouterr().err


def test_geofences_lists_the_bundled_fences(capsys):
    assert main(["geofences", "--json"]) == 0
    ids = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(ids) == ["chongjin", "vostochny"]


def test_a_missing_file_is_a_clear_error(tmp_path: Path, capsys):
    assert main(["decode", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_an_unknown_format_is_a_clear_error(tmp_path: Path, capsys):
    path = tmp_path / "x.txt"
    path.write_text("hello\n")
    assert main(["detect", str(path)]) == 2
    assert "cannot tell the format" in capsys.readouterr().err


def test_the_worker_runs_its_event_loops_on_uvloop():
    import uvloop

    from shipwatch.cli.worker import use_uvloop

    before = asyncio.get_event_loop_policy()
    try:
        use_uvloop()
        loop = asyncio.new_event_loop()  # as Faust's consumer thread makes its own
        try:
            assert isinstance(loop, uvloop.Loop)
        finally:
            loop.close()
    finally:
        asyncio.set_event_loop_policy(before)
