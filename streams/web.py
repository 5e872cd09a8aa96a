"""Web pages of the worker: the live alerts page, its JSON and SSE feeds, Prometheus metrics."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
from aiohttp import web as aioweb
from prometheus_client import generate_latest

from streams.live_feed import AlertFeed, follow_alerts
from streams.metrics import REGISTRY
from streams.settings import Settings

PROMETHEUS_TEXT = "text/plain; version=0.0.4"


def register(app: Any, settings: Settings) -> AlertFeed:
    """Add the pages and the task that feeds them; returns the feed."""
    feed = AlertFeed()
    page = resources.files("streams").joinpath("static/index.html").read_bytes()

    async def feed_alerts() -> None:
        await follow_alerts(settings, feed)

    async def index(web: Any, request: Any) -> Any:
        return web.bytes(page, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def metrics(web: Any, request: Any) -> Any:
        return aioweb.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": PROMETHEUS_TEXT}
        )

    async def recent(web: Any, request: Any) -> Any:
        return web.bytes(orjson.dumps(feed.recent()), content_type="application/json")

    async def stream(web: Any, request: Any) -> Any:
        response = aioweb.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        queue = feed.subscribe()
        try:
            await response.write(b": connected\n\n")
            while True:
                alert = await queue.get()
                await response.write(b"data: " + orjson.dumps(alert) + b"\n\n")
        except (ConnectionResetError, RuntimeError):
            pass  # the viewer went away
        finally:
            feed.unsubscribe(queue)
        return response

    # Registered by call rather than decorator: Faust's decorators are untyped.
    app.task(feed_alerts)
    for path, view in (
        ("/", index),
        ("/metrics", metrics),
        ("/api/alerts", recent),
        ("/api/stream", stream),
    ):
        app.page(path)(view)
    return feed
