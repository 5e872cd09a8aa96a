"""`shipwatch history`: the history's store and pages in a process of their own (no broker here).

What matters: it runs only when the workers are told to leave the store to it (two sinks would
fill one store); its web server serves the vessel and search pages with what they read (the
history's API and exports, the fences, /metrics) and not the worker's live page; a worker told
so runs no sink and serves no history routes; the sink closes its store when it stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from geofences.index import FenceIndex
from geofences.loader import load_dir
from shipwatch.cli import history as command
from shipwatch.cli.main import main
from shipwatch.history.records import Batch
from shipwatch.history.store import HistoryStore
from shipwatch.settings import Settings, get_settings
from shipwatch.worker import serve_pages
from streams.app import create_app
from streams.bindings.history_sink import HistorySink

T = TypeVar("T")
VESSEL = 445_123_456


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Settings from the environment, read afresh by the command."""
    monkeypatch.setenv("SHIPWATCH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield monkeypatch.setenv
    get_settings.cache_clear()


def test_it_refuses_to_run_while_the_workers_keep_the_history(env: Any, capsys: Any) -> None:
    assert main(["history"]) == 2
    assert "SHIPWATCH_HISTORY_SINK=separate" in capsys.readouterr().err


def test_it_refuses_to_run_without_a_history(env: Any, capsys: Any) -> None:
    env("SHIPWATCH_HISTORY", "false")
    env("SHIPWATCH_HISTORY_SINK", "separate")
    assert main(["history"]) == 2
    assert "SHIPWATCH_HISTORY is false" in capsys.readouterr().err


class Store:
    """The store access the pages use (as the sink shares it), over a real store."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self.thread = ThreadPoolExecutor(1)

    async def ready(self) -> HistoryStore:
        return self.store

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, fn, *args)


def test_its_pages_serve_the_vessel_history_and_not_the_live_page(tmp_path: Path) -> None:
    settings = Settings(namespace="hist-cmd", data_dir=tmp_path, history_sink="separate")
    store = HistoryStore(tmp_path / "history.sqlite3")
    batch = Batch()
    fix = {"kind": "position", "mmsi": VESSEL, "ts": "2024-03-07T01:00:00Z", "lat": 42.74}
    batch.add("history", orjson.dumps({"records": [fix | {"lon": 133.05, "sog": 0.2}]}))
    static = {"kind": "static", "mmsi": VESSEL, "ts": "2024-03-07T01:00:00Z", "name": "CHON MA"}
    batch.add("statics", orjson.dumps(static))
    store.write(batch)
    index = FenceIndex(load_dir(settings.geofences_dir))
    access = Store(store)

    async def fetch() -> dict[str, tuple[int, bytes]]:
        client = TestClient(TestServer(command.web_app(settings, access, index)))
        await client.start_server()
        try:
            got = {}
            for path in (
                f"/vessels/{VESSEL}",
                "/search",
                "/static/vessel.js",
                f"/api/vessels/{VESSEL}?days=3650",
                "/api/search?q=chon",
                f"/vessels/{VESSEL}/export.csv",
                "/api/geofences",
                "/metrics",
                "/",
                "/api/alerts",
            ):
                reply = await client.get(path)
                got[path] = (reply.status, await reply.read())
            return got
        finally:
            await client.close()

    try:
        got = asyncio.run(fetch())
    finally:
        access.thread.shutdown(wait=True)
        store.close()
    assert {p: s for p, (s, _) in got.items()} == {
        f"/vessels/{VESSEL}": 200,
        "/search": 200,
        "/static/vessel.js": 200,
        f"/api/vessels/{VESSEL}?days=3650": 200,
        "/api/search?q=chon": 200,
        f"/vessels/{VESSEL}/export.csv": 200,
        "/api/geofences": 200,
        "/metrics": 200,
        "/": 404,  # the live page and its feeds are the worker's
        "/api/alerts": 404,
    }
    vessel = orjson.loads(got[f"/api/vessels/{VESSEL}?days=3650"][1])
    assert vessel["track_fixes"] == 1 and vessel["identity"]["name"] == "CHON MA"
    assert [r["mmsi"] for r in orjson.loads(got["/api/search?q=chon"][1])["results"]] == [VESSEL]
    assert b"shipwatch_history_lag" in got["/metrics"][1]


def test_a_worker_told_the_sink_is_separate_keeps_no_store_and_serves_no_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks: list[str] = []

    class Sink(HistorySink):
        def __init__(self, settings: Settings) -> None:
            sinks.append(settings.namespace)
            super().__init__(settings)

    monkeypatch.setattr("shipwatch.worker.HistorySink", Sink)

    def routes(sink: Any) -> set[str]:
        settings = Settings(namespace=f"hist-{sink}", data_dir=tmp_path, history_sink=sink)
        app = create_app(settings).app
        serve_pages(app, settings, FenceIndex(load_dir(settings.geofences_dir)))
        return {r.canonical for r in app.web.web_app.router.resources()}  # type: ignore[attr-defined]

    separate, worker = routes("separate"), routes("worker")
    history = {"/api/vessels/{mmsi}", "/api/search"}
    assert history <= worker
    assert history & separate == set()
    assert "/" in separate and "/api/alerts" in separate  # the live page stays the worker's
    assert sinks == ["hist-worker"]


def test_the_sink_closes_its_store_and_its_thread(tmp_path: Path) -> None:
    sink = HistorySink(Settings(namespace="hist-close", data_dir=tmp_path))

    async def scenario() -> None:
        sink.store = await sink.call(sink._open)
        sink.opened.set()
        await sink.close()

    asyncio.run(scenario())
    assert sink.store is None and not sink.opened.is_set()
    assert sink.path.exists()
    with pytest.raises(RuntimeError):  # the thread is gone
        sink.thread.submit(print)
