"""The vessel history on the real broker: a replayed voyage fills every worker's SQLite store,
and the vessel, search and export APIs answer from it, across a restart and on a second worker."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.harness import Worker, start_worker
from geofences.index import FenceIndex
from geofences.loader import load_dir
from geofences.map_areas import MapAreas
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings
from streams.bindings.history_sink import store_path
from tests.fixtures import wait_until
from tests.fixtures.kafka import cli
from tests.fixtures.timeline import DPRK_TANKER, loading_then_delivery, voyage_statics

pytestmark = pytest.mark.integration
EVIL = "<img src=x onerror=alert(1)>"


def get(settings: Settings, path: str) -> tuple[int, bytes, dict[str, str]]:
    url = f"http://127.0.0.1:{settings.web_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def vessel(settings: Settings) -> dict[str, Any] | None:
    status, body, _ = get(settings, f"/api/vessels/{DPRK_TANKER}")
    return orjson.loads(body) if status == 200 else None


def complete(settings: Settings) -> dict[str, Any] | None:
    """The vessel's page data once the whole story is in the store."""
    found = vessel(settings)
    if not found:
        return None
    kinds = {entry["kind"] for entry in found["timeline"]}
    if {"port_call", "voyage", "sanctioned_voyage", "identity"} <= kinds and found["cargo"][
        "movements"
    ]:
        return found
    return None


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    # The reference story with a fix a minute on the open sea, where the history thins; renamed
    # in port, a change the page must show as text.
    track = loading_then_delivery(sea_every_min=1)
    positions = [p.model_dump(mode="json") for p in track]
    statics = voyage_statics(DPRK_TANKER, EVIL, 9_123_458, first_name="PAEKMA 7", callsign="HMYU7")
    records = sorted([*positions, *statics], key=lambda r: r["ts"])
    path = tmp_path_factory.mktemp("history") / "story.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path, positions


@pytest.fixture(scope="module")
def worker(settings: Settings, story: tuple[Path, list[dict[str, Any]]]) -> Iterator[Worker]:
    process = start_worker(settings, settings.data_dir / "worker.log")
    try:
        process.wait_ready()
        replayed = cli(settings, "replay", str(story[0]), "--max")
        assert replayed.returncode == 0, replayed.stderr
        yield process
    finally:
        process.stop()


def test_a_replayed_voyage_fills_the_vessel_page(
    worker: Worker, settings: Settings, story: tuple[Path, list[dict[str, Any]]]
) -> None:
    page = wait_until(lambda: complete(settings), 90, "the voyage in the history")
    _, positions = story
    assert page["identity"]["name"] == EVIL and page["identity"]["imo"] == 9_123_458
    assert page["identity"]["flag"]["code"] == "KP"
    renames = [e["record"] for e in page["timeline"] if e["kind"] == "identity"]
    assert {"field": "name", "old": "PAEKMA 7", "new": EVIL} in renames
    # Every fix on a fence's map area is kept; the open-sea legs are thinned.
    areas = MapAreas(FenceIndex(load_dir(settings.geofences_dir)))
    on_map = {p["ts"] for p in positions if areas.area_of(p["lat"], p["lon"])}
    kept = [fix["ts"] for fix in page["track"]]
    assert on_map <= set(kept)
    sea = [t for t in kept if t not in on_map]
    assert 0 < len(sea) <= 16 * 60 / 5 + 1  # of 960 fixes a minute: one per 5 min
    assert kept == sorted(kept)
    calls = [e["record"]["port"] for e in page["timeline"] if e["kind"] == "port_call"]
    assert calls == ["vostochny", "chongjin"]  # each call once, though published twice
    (voyage_alert,) = [e for e in page["timeline"] if e["kind"] == "sanctioned_voyage"]
    assert voyage_alert["source"] == "alert"
    loaded = page["cargo"]["movements"][0]
    assert loaded["kind"] == "loaded" and loaded["draught_change_m"] == 2.3
    assert loaded["barrels"] == round(100 * 15 * 2.3 * 0.8 * 1.025 * 7.5)


def test_search_finds_the_vessel_by_every_name_it_has_and_its_numbers(
    worker: Worker, settings: Settings
) -> None:
    wait_until(lambda: complete(settings), 90, "the voyage in the history")
    for query in ("onerror", "9123458", str(DPRK_TANKER), "hmyu7"):
        status, body, headers = get(settings, "/api/search?q=" + urllib.request.quote(query))
        assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
        assert [r["mmsi"] for r in orjson.loads(body)["results"]] == [DPRK_TANKER], query
    status, body, _ = get(settings, "/search?q=PAEKMA")
    assert status == 200 and b"<html" in body.lower()


def test_the_evidence_downloads_as_geojson_csv_kml_and_a_bundle(
    worker: Worker, settings: Settings
) -> None:
    page = wait_until(lambda: complete(settings), 90, "the voyage in the history")
    status, body, headers = get(settings, f"/vessels/{DPRK_TANKER}/export.geojson")
    assert status == 200 and headers["Content-Type"] == "application/geo+json"
    assert "attachment" in headers["Content-Disposition"]
    collection = json.loads(body)
    assert collection["type"] == "FeatureCollection"
    lines = [f for f in collection["features"] if "Line" in f["geometry"]["type"]]
    assert lines, "the track is a line"
    status, body, _ = get(settings, f"/vessels/{DPRK_TANKER}/export.kml")
    assert status == 200 and ET.fromstring(body).tag.endswith("kml")
    (alert,) = [e["record"] for e in page["timeline"] if e["kind"] == "sanctioned_voyage"]
    status, body, _ = get(settings, f"/alerts/{alert['alert_id']}/export.json")
    bundle = json.loads(body)
    assert status == 200 and bundle["alerts"][0]["alert_id"] == alert["alert_id"]
    assert bundle["track"], "the track around the alert is in the bundle"
    # The voyage's case (its port call's alerts and the voyage's), as the cases view groups it.
    status, body, _ = get(settings, "/api/cases")
    (case,) = [c for c in orjson.loads(body) if alert["alert_id"] in c["alert_ids"]]
    status, body, _ = get(settings, f"/cases/{case['case_id']}/export.json")
    assert status == 200
    assert {a["alert_id"] for a in json.loads(body)["alerts"]} >= set(case["alert_ids"])
    status, _, _ = get(settings, f"/vessels/{DPRK_TANKER}/export.exe")
    assert status == 404
    status, body, _ = get(settings, "/api/vessels/999999999")
    assert status == 404 and b"no history" in body


def test_a_second_worker_shows_every_vessel_and_a_restart_stores_nothing_twice(
    worker: Worker, settings: Settings, tmp_path: Path
) -> None:
    before = wait_until(lambda: complete(settings), 90, "the voyage in the history")
    other = settings.model_copy(update={"web_port": free_port(), "data_dir": tmp_path})
    second = start_worker(other, tmp_path / "second.log")
    try:
        second.wait_ready()
        # It holds partitions of its own now, yet its store reads all of them.
        copy = wait_until(lambda: complete(other), 90, "the voyage on the second worker")
        assert len(copy["track"]) == len(before["track"])
    finally:
        second.stop()
    worker.stop()
    restarted = start_worker(settings, settings.data_dir / "worker.log")
    try:
        restarted.wait_ready()
        again = wait_until(lambda: complete(settings), 60, "the history after a restart")
        assert len(again["track"]) == len(before["track"])
        with sqlite3.connect(store_path(settings)) as db:
            (rows,) = db.execute("SELECT count(*) FROM fixes").fetchone()
        assert rows == len(before["track"])
    finally:  # the sink resumed at its stored offsets: no fix stored twice
        restarted.stop()
