"""Web pages of the worker: the live alerts page, its JSON and SSE feeds, Prometheus metrics."""

from __future__ import annotations

from importlib import resources
from typing import Any

from aiohttp import web as aioweb

from geofences.index import FenceIndex
from geofences.loader import load_dir
from shipwatch.metrics import LIVE_VIEWERS
from shipwatch.settings import Settings
from shipwatch.web import history, triage
from shipwatch.web.fence_map import NearbyVessels, fences_geojson
from shipwatch.web.history import HistoryPages
from shipwatch.web.live_feed import AlertFeed, follow_alerts, follow_topic
from shipwatch.web.responses import SECURITY_HEADERS, event_stream, json_response
from shipwatch.web.vessel_info import VesselDirectory
from streams import monitoring
from streams.bindings.history_sink import HistorySink

# The HTML pages: each a static file whose script reads what it shows from /api.
PAGES = {"/": "index.html", "/vessels/{mmsi:[0-9]{1,9}}": "vessel.html", "/search": "search.html"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def static_files() -> dict[str, tuple[bytes, str]]:
    """Every servable file under streams/web/static (vendored libraries too): path -> body, type."""
    found: dict[str, tuple[bytes, str]] = {}
    pending = [resources.files("shipwatch.web").joinpath("static")]
    while pending:
        folder = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                pending.append(entry)
                continue
            suffix = "." + entry.name.rsplit(".", 1)[-1]
            if suffix in CONTENT_TYPES:  # licences and notes stay files, not pages
                relative = str(entry).split("/shipwatch/web/static/", 1)[1]
                found[relative] = (entry.read_bytes(), CONTENT_TYPES[suffix])
    return found


def register(app: Any, settings: Settings) -> AlertFeed:
    """Add the pages, /metrics and the tasks that feed them; returns the alert feed."""
    index = FenceIndex(load_dir(settings.geofences_dir))
    directory = VesselDirectory()
    feed = AlertFeed(vessels=directory)
    board = triage.register(app, settings, feed)
    nearby = NearbyVessels(index)
    geojson = fences_geojson(index)
    monitoring.register(app, settings)
    if settings.history:
        sink = HistorySink(settings)
        app.task(monitoring.supervised("history sink", sink.run))
        history.register(app, settings, HistoryPages(settings, sink, board.lookup))

    async def feed_alerts() -> None:
        await follow_alerts(settings, feed)

    async def feed_statics() -> None:
        await follow_topic(settings, "statics", lambda value, _: directory.add_static(value))

    async def feed_positions() -> None:
        # Not `positions`: reading every fix of the world costed the worker a third of its CPU.
        await follow_topic(settings, "nearby", lambda value, _: nearby.add_position(value))

    async def recent(web: Any, request: Any) -> Any:
        return json_response(feed.recent())

    async def geofences(web: Any, request: Any) -> Any:
        return json_response(geojson)

    async def vessels(web: Any, request: Any) -> Any:
        snapshot = nearby.snapshot()
        return json_response([{**v, "vessel": directory.describe(v["mmsi"])} for v in snapshot])

    async def stream(web: Any, request: Any) -> Any:
        return await _event_stream(request, feed)

    async def end_streams(_: aioweb.Application) -> None:
        feed.close()

    app.web.web_app.on_shutdown.append(end_streams)

    # Registered by call rather than decorator: Faust's decorators are untyped.
    for name, task in (
        ("alerts feed", feed_alerts),
        ("statics feed", feed_statics),
        ("positions feed", feed_positions),
    ):
        app.task(monitoring.supervised(name, task))
    files = static_files()
    router = app.web.web_app.router
    for relative, (body, content_type) in files.items():
        router.add_get(f"/static/{relative}", _static_view(body, content_type))
    for path, file_name in PAGES.items():
        if file_name in files:
            router.add_get(path, _static_view(*files[file_name]))
    for path, view in (
        ("/api/alerts", recent),
        ("/api/geofences", geofences),
        ("/api/vessels", vessels),
        ("/api/stream", stream),
    ):
        app.page(path)(view)
    return feed


def _static_view(body: bytes, content_type: str) -> Any:
    async def view(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(
            body=body, headers={**SECURITY_HEADERS, "Content-Type": content_type}
        )

    return view


async def _event_stream(request: Any, feed: AlertFeed) -> aioweb.StreamResponse:
    """Server-sent events: one `data:` line of JSON per new alert, until the viewer leaves."""
    queue = feed.subscribe()
    LIVE_VIEWERS.inc()
    try:
        return await event_stream(request, queue, lambda: feed.closed)
    finally:
        feed.unsubscribe(queue)
        LIVE_VIEWERS.dec()
