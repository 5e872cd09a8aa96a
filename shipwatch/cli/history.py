"""`shipwatch history`: the vessel history's sink in a process of its own, with the vessel pages.

With `SHIPWATCH_HISTORY_SINK=separate` the workers keep no history store: this process fills one
from the history topics (all partitions, no consumer group, its offsets in the store itself, as
a worker's sink does: streams/bindings/history_sink.py), on this machine or another, and serves
what reads it: the vessel and search pages, their API and exports, the fences they draw, and
its own `/metrics`. The workers still thin the fixes onto the `history` topic.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web as aioweb
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from geofences.index import FenceIndex
from shipwatch.cli import service
from shipwatch.errors import ShipwatchError
from shipwatch.metrics import REGISTRY
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import Settings, get_settings
from shipwatch.web import history, pages
from shipwatch.web.fence_map import fences_geojson
from shipwatch.web.responses import SECURITY_HEADERS, json_response
from streams.bindings.history_sink import HistorySink

log = logging.getLogger("shipwatch.history")
RESTART_S = 10.0  # after the sink fails (the broker away, say), as the worker's tasks do
# The pages that read the history; the live and triage pages are the worker's.
HISTORY_PAGES = {path: name for path, name in pages.PAGES.items() if path != "/"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "history",
        help="the vessel history's store and pages in a process of their own "
        "(SHIPWATCH_HISTORY_SINK=separate)",
    )
    p.add_argument("--loglevel", default=None, help="debug, info, warning (default: settings)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fill the store and serve its pages until SIGTERM or SIGINT."""
    settings = get_settings()
    if not settings.history:
        raise ShipwatchError("SHIPWATCH_HISTORY is false: there is no history to keep")
    if settings.history_sink != "separate":
        # Every worker keeps its own store then, one of them perhaps in this very file.
        raise ShipwatchError(
            "the workers keep the history themselves: set SHIPWATCH_HISTORY_SINK=separate "
            "(for the workers too) to run it in a process of its own"
        )
    service.prepare(settings, args.loglevel)
    index, _ = build_core(settings.geofences_dir, settings)
    asyncio.run(serve(settings, index))
    return 0


def web_app(settings: Settings, sink: history.StoreAccess, index: FenceIndex) -> aioweb.Application:
    """The vessel and search pages with their static files, the history's API and exports,
    the fences the maps draw, and /metrics."""
    app = aioweb.Application()
    files = pages.static_files()
    router = app.router
    for relative, (body, content_type) in files.items():
        router.add_get(f"/static/{relative}", _file(body, content_type))
    for path, name in HISTORY_PAGES.items():
        router.add_get(path, _file(*files[name]))
    geojson = fences_geojson(index)

    async def geofences(_: aioweb.Request) -> aioweb.Response:
        return json_response(geojson)

    async def metrics(_: aioweb.Request) -> aioweb.Response:
        body = generate_latest(REGISTRY)
        return aioweb.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    router.add_get("/api/geofences", geofences)
    router.add_get("/metrics", metrics)
    history.register(app, settings, history.HistoryPages(settings, sink))
    return app


def _file(body: bytes, content_type: str) -> Callable[[aioweb.Request], Awaitable[Any]]:
    async def view(_: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(
            body=body, headers={**SECURITY_HEADERS, "Content-Type": content_type}
        )

    return view


async def keep_filling(sink: HistorySink) -> None:
    """The sink, restarted after a failure (it resumes from the offsets in its store)."""
    while True:
        try:
            await sink.run()
        except Exception:
            log.exception("history sink failed; restarting in %.0f s", RESTART_S)
        await asyncio.sleep(RESTART_S)


async def serve(settings: Settings, index: FenceIndex, stop: asyncio.Event | None = None) -> None:
    """Run the sink and the web server until `stop` is set (by SIGTERM or SIGINT by default)."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    sink = HistorySink(settings)
    runner = aioweb.AppRunner(web_app(settings, sink, index))
    await runner.setup()
    filling = asyncio.create_task(keep_filling(sink))
    try:
        if settings.history_web_port:
            site = aioweb.TCPSite(runner, settings.web_host, settings.history_web_port)
            await site.start()
            log.info(
                "history: %s -> %s; pages at http://%s:%d/",
                settings.topic("history"),
                sink.path,
                settings.web_host,
                settings.history_web_port,
            )
        await stop.wait()
    finally:
        filling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await filling
        await runner.cleanup()
        await sink.close()
