"""The worker's web pages served by its real Faust web app (no broker: the feeds are not run)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import faust
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from faust.sensors.prometheus import PrometheusMonitor
from prometheus_client.parser import text_string_to_metric_families

from geofences.index import FenceIndex
from geofences.loader import load_dir
from shipwatch.settings import Settings
from shipwatch.worker import serve_pages
from streams.app import create_app

PAGES = (
    "/",
    "/static/app.js",
    "/static/live/alerts.js",
    "/static/map.js",
    "/static/style.css",
    "/api/alerts",
    "/api/geofences",
)
Replies = dict[str, tuple[int, dict[str, str], bytes]]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app for the module: Faust's sensor registers its metrics once per registry."""
    settings = Settings(
        namespace="unit-web", data_dir=tmp_path_factory.mktemp("data"), faust_metrics=True
    )
    wiring = create_app(settings)
    serve_pages(wiring.app, settings, FenceIndex(load_dir(settings.geofences_dir)))
    yield wiring.app


@pytest.fixture(scope="module")
def served(app: Any) -> Replies:
    """Every page, fetched once: the aiohttp application belongs to the first event loop."""

    async def run() -> Replies:
        client = TestClient(TestServer(app.web.web_app))
        await client.start_server()
        try:
            result = {}
            for path in (*PAGES, "/metrics", "/healthz", "/readyz"):
                reply = await client.get(path)
                result[path] = (reply.status, dict(reply.headers), await reply.read())
            return result
        finally:
            await client.close()

    return asyncio.run(run())


def test_one_metrics_page_serves_ours_and_fausts(app: Any, served: Replies) -> None:
    assert list(app.web.views).count("/metrics") == 1
    assert isinstance(app.monitor, PrometheusMonitor)
    status, headers, body = served["/metrics"]
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert {"shipwatch_positions", "shipwatch_consumer_lag", "shipwatch_alerts"} <= names
    assert {"faust_messages_received", "faust_topic_partition_end_offset"} <= names


def test_the_page_and_its_api_are_served_with_a_strict_policy(served: Replies) -> None:
    for path in PAGES:
        status, headers, _ = served[path]
        assert status == 200, path
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy, path
        assert headers["X-Content-Type-Options"] == "nosniff", path


def test_the_geofences_api_lists_the_loaded_fences(served: Replies) -> None:
    _, headers, body = served["/api/geofences"]
    assert headers["Content-Type"] == "application/json"
    ids = sorted(f["properties"]["id"] for f in orjson.loads(body)["features"])
    assert ids == ["chongjin", "vostochny"]


def _static(name: str) -> str:
    return resources.files("shipwatch.web").joinpath("static", name).read_text(encoding="utf-8")


# The live page's script: app.js and the modules of live/ it imports.
LIVE_SCRIPTS = (
    "app.js",
    *sorted(
        f"live/{f.name}"
        for f in resources.files("shipwatch.web").joinpath("static", "live").iterdir()
        if f.name.endswith(".js")
    ),
)


def test_the_page_loads_nothing_from_elsewhere() -> None:
    assert len(LIVE_SCRIPTS) > 1
    for name in ("index.html", *LIVE_SCRIPTS, "style.css"):
        text = _static(name)
        # The SVG namespace is an identifier, not a resource.
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+", text)) - {"http://www.w3.org"}
        assert not urls, f"{name} refers to {urls}"
    assert "<script>" not in _static("index.html"), "inline script: the CSP forbids it"


@pytest.mark.parametrize("name", LIVE_SCRIPTS)
def test_the_script_never_parses_feed_data_as_html(name: str) -> None:
    script = _static(name)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


def test_the_web_server_binds_to_loopback_unless_told_otherwise(app: Any) -> None:
    assert Settings.model_fields["web_host"].default == "127.0.0.1"
    assert app.conf.web_bind == Settings().web_host


def test_fausts_table_and_router_pages_are_not_mounted(app: Any) -> None:
    # They would hand out every vessel's tracked state and the cluster's layout.
    mounted = {prefix for prefix, _ in app.web._enabled_blueprints()}
    assert "/table" not in mounted and "/router" not in mounted
    assert "/table" in {prefix for prefix, _ in faust.App("x", env={}).web._enabled_blueprints()}


def test_healthz_answers_and_readyz_says_why_a_worker_is_not_ready(served: Replies) -> None:
    status, headers, body = served["/healthz"]
    assert status == 200 and orjson.loads(body) == {"status": "ok"}
    status, headers, body = served["/readyz"]
    # Not started: no consumer group joined, no table recovered.
    assert status == 503 and headers["Content-Type"] == "application/json"
    answer = orjson.loads(body)
    assert answer["ready"] is False
    assert any("consumer group" in reason for reason in answer["reasons"])
    assert answer["reason"] == "; ".join(answer["reasons"])
