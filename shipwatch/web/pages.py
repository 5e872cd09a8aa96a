"""Web pages of the worker: the live alerts page, the static files, its JSON and SSE feeds."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from aiohttp import web as aioweb

from geofences.coast import coast_bytes
from geofences.index import FenceIndex
from shipwatch.metrics import LIVE_VIEWERS
from shipwatch.web.feed_status import FeedBoard
from shipwatch.web.fence_map import NearbyVessels, fences_geojson
from shipwatch.web.live_feed import AlertFeed
from shipwatch.web.responses import SECURITY_HEADERS, event_stream, json_response
from shipwatch.web.vessel_info import VesselDirectory

Handle = Callable[[dict[str, Any], int | None], None]  # a topic's JSON object, publication ms

# The HTML pages: each a static file whose script reads what it shows from /api.
PAGES = {"/": "index.html", "/vessels/{mmsi:[0-9]{1,9}}": "vessel.html", "/search": "search.html"}
COAST_STATIC = "coast.geojson"  # served at /static/coast.geojson, read from geofences/data
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
    # The coastline the maps draw is the one the on-land rule reads: geofences' package data.
    found[COAST_STATIC] = (coast_bytes(), CONTENT_TYPES[".geojson"])
    return found


class LiveViews:
    """What the pages show, kept in memory: recent alerts, vessel names, vessels near the fences.

    The worker feeds them from the topics (`followers`); the pages only read them.
    """

    def __init__(self, index: FenceIndex) -> None:
        self.directory = VesselDirectory()
        self.feed = AlertFeed(vessels=self.directory)
        self.nearby = NearbyVessels(index)
        self.geojson = fences_geojson(index)
        self.feeds = FeedBoard()

    def followers(self) -> dict[str, Handle]:
        """Topic name -> what to do with each of its JSON objects (and its publication ms)."""
        return {
            "alerts": self.feed.add,
            "statics": lambda value, _: self.directory.add_static(value),
            # Not `positions`: reading every fix of the world cost the worker a third of its CPU.
            "nearby": lambda value, _: self.nearby.add_position(value),
            "feed-status": self.feeds.add,
        }


def register(web_app: aioweb.Application, views: LiveViews) -> None:
    """Add the pages, their static files and their JSON and event-stream API."""

    async def recent(request: aioweb.Request) -> aioweb.Response:
        return json_response(views.feed.recent())

    async def geofences(request: aioweb.Request) -> aioweb.Response:
        return json_response(views.geojson)

    async def vessels(request: aioweb.Request) -> aioweb.Response:
        snapshot = views.nearby.snapshot()
        directory = views.directory
        return json_response([{**v, "vessel": directory.describe(v["mmsi"])} for v in snapshot])

    async def feeds(request: aioweb.Request) -> aioweb.Response:
        return json_response(views.feeds.view())

    async def stream(request: aioweb.Request) -> aioweb.StreamResponse:
        return await _event_stream(request, views.feed)

    async def end_streams(_: aioweb.Application) -> None:
        views.feed.close()

    web_app.on_shutdown.append(end_streams)
    files = static_files()
    router = web_app.router
    for relative, (body, content_type) in files.items():
        router.add_get(f"/static/{relative}", _static_view(body, content_type))
    for path, file_name in PAGES.items():
        if file_name in files:
            router.add_get(path, _static_view(*files[file_name]))
    router.add_get("/api/alerts", recent)
    router.add_get("/api/geofences", geofences)
    router.add_get("/api/vessels", vessels)
    router.add_get("/api/feeds", feeds)
    router.add_get("/api/stream", stream)


def _static_view(body: bytes, content_type: str) -> Any:
    async def view(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(
            body=body, headers={**SECURITY_HEADERS, "Content-Type": content_type}
        )

    return view


async def _event_stream(request: aioweb.Request, feed: AlertFeed) -> aioweb.StreamResponse:
    """Server-sent events: one `data:` line of JSON per new alert, until the viewer leaves."""
    queue = feed.subscribe()
    LIVE_VIEWERS.inc()
    try:
        return await event_stream(request, queue, lambda: feed.closed)
    finally:
        feed.unsubscribe(queue)
        LIVE_VIEWERS.dec()
