"""`shipwatch history` on the real broker: with SHIPWATCH_HISTORY_SINK=separate the worker keeps
no store and serves no vessel pages; a history process of its own (its own data directory, as on
another machine) fills its store from the topics the worker writes and serves the pages, and
after a restart resumes at its stored offsets, storing nothing twice."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.harness import REPO, Worker, start_worker
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings, env_for
from streams.bindings.history_sink import store_path
from tests.fixtures import wait_until
from tests.fixtures.kafka import cli
from tests.fixtures.timeline import DPRK_TANKER, loading_then_delivery, voyage_statics

pytestmark = pytest.mark.integration
SEPARATE = {"SHIPWATCH_HISTORY_SINK": "separate"}


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError:  # not listening yet
        return 0, b""


def complete(port: int) -> dict[str, Any] | None:
    """The vessel's page data once its voyage and alert are in the store."""
    status, body = get(port, f"/api/vessels/{DPRK_TANKER}")
    if status != 200:
        return None
    found: dict[str, Any] = orjson.loads(body)
    kinds = {entry["kind"] for entry in found["timeline"]}
    return found if {"port_call", "voyage", "sanctioned_voyage"} <= kinds else None


class HistoryProcess:
    """`shipwatch history` for the worker's namespace, with a data directory of its own."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shipwatch", "history"],
            env=env_for(settings)
            | SEPARATE
            | {"SHIPWATCH_HISTORY_WEB_PORT": str(settings.history_web_port)},
            cwd=REPO,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            assert self.process.wait(30) == 0  # a clean stop: the store closed
        finally:
            self.handle.close()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    track = [p.model_dump(mode="json") for p in loading_then_delivery(sea_every_min=1)]
    statics = voyage_statics(DPRK_TANKER, "CHON MA SAN", 9_123_458, first_name="PAEKMA 7")
    path = tmp_path_factory.mktemp("history-process") / "story.jsonl"
    records = sorted([*track, *statics], key=lambda r: r["ts"])
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


@pytest.fixture(scope="module")
def history_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The history process's settings: the worker's namespace, its own directory and port."""
    return settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("history-machine"),
            "history_web_port": free_port(),
            "history_sink": "separate",
        }
    )


@pytest.fixture(scope="module")
def worker(settings: Settings, story: Path) -> Iterator[Worker]:
    process = start_worker(settings, settings.data_dir / "worker.log", extra_env=SEPARATE)
    try:
        process.wait_ready()
        replayed = cli(settings, "replay", str(story), "--max")
        assert replayed.returncode == 0, replayed.stderr
        yield process
    finally:
        process.stop()


def test_the_history_process_fills_its_store_and_serves_the_pages_the_worker_does_not(
    worker: Worker, settings: Settings, history_settings: Settings
) -> None:
    port = history_settings.history_web_port
    history = HistoryProcess(history_settings, history_settings.data_dir / "history.log")
    try:
        page = wait_until(lambda: complete(port), 90, "the voyage in the history process")
        assert page["identity"]["name"] == "CHON MA SAN"
        status, body = get(port, f"/vessels/{DPRK_TANKER}")
        assert status == 200 and b"<html" in body.lower()
        status, body = get(port, "/api/search?q=chon")
        assert [r["mmsi"] for r in orjson.loads(body)["results"]] == [DPRK_TANKER]
        status, body = get(port, "/metrics")
        assert status == 200 and b"shipwatch_history_records_total" in body
    finally:
        history.stop()
    # The worker kept no store and answers no history question; its live page is still there.
    assert not store_path(settings).exists()
    assert get(settings.web_port, f"/api/vessels/{DPRK_TANKER}")[0] == 404
    assert get(settings.web_port, "/api/alerts")[0] == 200
    with sqlite3.connect(store_path(history_settings)) as db:
        (before,) = db.execute("SELECT count(*) FROM fixes").fetchone()
    assert before == len(page["track"])

    again = HistoryProcess(history_settings, history_settings.data_dir / "history.log")
    try:
        restarted = wait_until(lambda: complete(port), 60, "the history after a restart")
        assert len(restarted["track"]) == len(page["track"])
    finally:
        again.stop()
    with sqlite3.connect(store_path(history_settings)) as db:
        (after,) = db.execute("SELECT count(*) FROM fixes").fetchone()
    assert after == before  # resumed at its stored offsets: no fix stored twice
