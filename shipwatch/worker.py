"""The worker composed: the Faust app with its agents, and the web pages with what feeds them.

streams/ binds the stages to Kafka and Faust, shipwatch/web/ serves the pages, and neither
imports the other. They meet here: this module starts the tasks that read the topics into what
the pages show, and gives the pages the worker's own fences and history store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import cast

import faust
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from alerts.context import RuleContext
from geofences.index import FenceIndex
from shipwatch.settings import Settings
from shipwatch.web import history, pages, triage
from streams import health, monitoring
from streams.app import Wiring, before_recovery, create_app
from streams.bindings import agents, webhook
from streams.bindings.history_sink import HistorySink
from streams.kafka.followers import follow_topic
from streams.kafka.triage_topic import follow_triage
from streams.recovery_watch import RecoveryWatch, watch_recovery


def compose(settings: Settings, index: FenceIndex, ctx: RuleContext) -> Wiring:
    """The Faust app with the agents, the webhooks, /metrics and every page, ready to run."""
    wiring = create_app(settings)
    bound = agents.register(wiring, index, ctx)
    webhook.register(wiring)
    watch = RecoveryWatch(settings.recovery_stall_s)
    readiness = health.Readiness(
        wiring.app,
        watch,
        bound.track.flushing_for,
        settings.recovery_stall_s,
        bound.ingest.trouble if bound.ingest else None,
    )
    serve_pages(wiring.app, settings, index, readiness)
    before_recovery(wiring.app, partial(_serve_and_watch, wiring.app, watch))
    return wiring


async def _serve_and_watch(app: faust.App, watch: RecoveryWatch) -> None:
    # The web server (/healthz, /readyz, /metrics: the pages read memory, never a table) and the
    # recovery watch run from the start, through the first recovery; Faust would start them
    # only after it. Both steps are done once per process, however often the app restarts.
    await app.on_started_init_web_server()
    if not getattr(app, "_shipwatch_watching", False):
        app._shipwatch_watching = True  # type: ignore[attr-defined]
        watching = monitoring.supervised("recovery watch", partial(watch_recovery, app, watch))
        app.add_future(watching())


def serve_pages(
    app: faust.App,
    settings: Settings,
    index: FenceIndex,
    readiness: health.Readiness | None = None,
) -> pages.LiveViews:
    """Add /metrics, /healthz, /readyz and the pages to the app's web server, and the tasks
    that feed the pages."""
    monitoring.register(app, settings)
    health.register(app, readiness)
    web_app = cast(AiohttpWeb, app.web).web_app  # Faust's web server is aiohttp's
    views = pages.LiveViews(index)
    pages.register(web_app, views)
    board = triage.TriageService(settings, views.feed)
    triage.register(web_app, board)
    _keep_running(app, "triage state", partial(follow_triage, settings, board))
    _keep_running(app, "triage alert ids", board.watch_alerts)
    if settings.history and settings.history_sink == "worker":
        # Else `shipwatch history` keeps the store and serves these pages (cli/history.py).
        sink = HistorySink(settings)
        _keep_running(app, "history sink", sink.run)
        found = history.HistoryPages(settings, sink, board.board.lookup)
        history.register(web_app, settings, found)
    for topic, handle in views.followers().items():
        _keep_running(app, f"{topic} feed", partial(follow_topic, settings, topic, handle))
    return views


def _keep_running(app: faust.App, name: str, run: Callable[[], Awaitable[None]]) -> None:
    # Registered by call rather than decorator: Faust's decorators are untyped.
    app.task(monitoring.supervised(name, run))
