"""The analyst's pages' data: a vessel's history, search, and the evidence exports.

The history lives in this worker's store (streams/bindings/history_sink.py), which holds every
vessel, so any worker answers for any vessel. Reads run in the store's thread.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aiohttp import web as aioweb

from shipwatch.ais.flags import flag
from shipwatch.ais.timefmt import iso_of
from shipwatch.history import export
from shipwatch.history.cargo import cargo_of
from shipwatch.history.model import TimelineEntry, VesselHistory
from shipwatch.history.store import HistoryStore
from shipwatch.history.thinning import evenly
from shipwatch.pipeline.setup import cargo_factors
from shipwatch.settings import Settings
from shipwatch.triage.cases import group
from shipwatch.web.responses import SECURITY_HEADERS, error_response, json_response

MAX_QUERY = 100  # characters of a search
# A vessel moored in a map area for a month has ~250,000 kept fixes: the page draws at most this
# many, evenly spread (the exports carry them all).
PAGE_FIXES = 5000
FORMATS = ("geojson", "csv", "kml", "json")
TriageOf = Callable[[str], dict[str, Any] | None]
T = TypeVar("T")


class StoreAccess(Protocol):
    """The history store as the worker's sink shares it (streams.bindings.history_sink)."""

    async def ready(self) -> HistoryStore:
        """The store, once open."""
        ...

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` where the store may be used (its own thread)."""
        ...


def _days(request: aioweb.Request, settings: Settings) -> float:
    try:
        days = float(request.query.get("days", "30"))
    except ValueError:
        days = 30.0
    if not math.isfinite(days):  # "nan" reads as a float, and went to SQLite as NULL
        days = 30.0
    return min(max(days, 1 / 24), settings.history_retention_days)


def exports_of(base: str) -> dict[str, str]:
    """The export URLs of a vessel, an alert or a case."""
    return {fmt: f"{base}/export.{fmt}" for fmt in FORMATS}


class HistoryPages:
    """Reads the store for the pages: histories with their cargo and the alerts' triage."""

    def __init__(
        self, settings: Settings, sink: StoreAccess, triage_of: TriageOf | None = None
    ) -> None:
        self.settings, self.sink = settings, sink
        self.triage_of = triage_of or (lambda alert_id: None)
        self.factors = cargo_factors(settings)

    async def history(self, mmsi: int, days: float) -> VesselHistory | None:
        """The vessel's history with its cargo estimate and each alert's current triage."""
        store = await self.sink.ready()
        found = await self.sink.call(store.vessel, mmsi, days)
        if found is None:
            return None
        timeline = [self._triaged(entry) for entry in found.timeline]
        identity = {**found.identity, "flag": flag(mmsi)}
        history = dataclasses.replace(found, identity=identity, timeline=timeline)
        return dataclasses.replace(history, cargo=cargo_of(history, self.factors))

    def _triaged(self, entry: TimelineEntry) -> TimelineEntry:
        if entry.source != "alert":
            return entry
        triage = self.triage_of(str(entry.record.get("alert_id")))
        if triage is None:
            return entry
        return dataclasses.replace(entry, record={**entry.record, "triage": triage})

    async def store(self) -> HistoryStore:
        """The store, once open."""
        return await self.sink.ready()


def vesseljson_response(history: VesselHistory) -> dict[str, Any]:
    """The vessel page's data (`GET /api/vessels/<mmsi>`)."""
    return {
        "mmsi": history.mmsi,
        "identity": history.identity,
        "track": [dataclasses.asdict(fix) for fix in evenly(history.track, PAGE_FIXES)],
        "track_fixes": len(history.track),
        "timeline": [dataclasses.asdict(entry) for entry in history.timeline],
        "cargo": history.cargo,
        "exports": exports_of(f"/vessels/{history.mmsi}"),
    }


def register(web_app: aioweb.Application, settings: Settings, pages: HistoryPages) -> None:
    """Add the vessel, search and export routes to the worker's web server."""

    async def vessel(request: aioweb.Request) -> aioweb.Response:
        mmsi = int(request.match_info["mmsi"])
        history = await pages.history(mmsi, _days(request, settings))
        if history is None:
            return error_response(404, f"no history for MMSI {mmsi}")
        return json_response(vesseljson_response(history))

    async def search(request: aioweb.Request) -> aioweb.Response:
        query = request.query.get("q", "")[:MAX_QUERY]
        store = await pages.store()
        results = await pages.sink.call(store.search, query)
        for result in results:
            result["flag"] = flag(result["mmsi"])
        return json_response({"query": query, "results": results})

    async def vessel_export(request: aioweb.Request) -> aioweb.Response:
        mmsi = int(request.match_info["mmsi"])
        history = await pages.history(mmsi, settings.history_retention_days)
        if history is None:
            return error_response(404, f"no history for MMSI {mmsi}")
        return download(history, export.Subject.vessel(), request.match_info["fmt"])

    async def alert_export(request: aioweb.Request) -> aioweb.Response:
        alert_id = request.match_info["alert_id"]
        store = await pages.store()
        alert = await pages.sink.call(store.alert, alert_id)
        if alert is None:
            return error_response(404, f"no alert {alert_id} in the history")
        mmsi = alert.get("mmsi")
        if not isinstance(mmsi, int):
            return error_response(404, f"alert {alert_id} names no vessel (see /api/alerts)")
        history = await pages.history(mmsi, settings.history_retention_days)
        if history is None:
            return error_response(404, f"no history for MMSI {mmsi}")
        return download(history, export.Subject.alert(alert_id), request.match_info["fmt"])

    async def case_export(request: aioweb.Request) -> aioweb.Response:
        # A case is a vessel's alerts grouped as triage.cases groups them; its id starts with
        # the MMSI, so the vessel's whole history says which alerts it holds.
        case_id = request.match_info["case_id"]
        mmsi = int(case_id.split("-", 1)[0])
        history = await pages.history(mmsi, settings.history_retention_days)
        found = [c for c in group(history.alerts) if c.case_id == case_id] if history else []
        if history is None or not found:
            return error_response(404, f"no case {case_id} in the history")
        subject = export.Subject.case(case_id, [a["alert_id"] for a in found[0].alerts])
        return download(history, subject, request.match_info["fmt"])

    router = web_app.router
    router.add_get("/api/vessels/{mmsi:[0-9]{1,9}}", vessel)
    router.add_get("/api/search", search)
    router.add_get("/vessels/{mmsi:[0-9]{1,9}}/export.{fmt:[a-z]+}", vessel_export)
    router.add_get("/alerts/{alert_id:[A-Za-z0-9_.:-]{1,200}}/export.{fmt:[a-z]+}", alert_export)
    router.add_get(
        "/cases/{case_id:[0-9]{1,9}-[A-Za-z0-9_.-]{1,200}}/export.{fmt:[a-z]+}", case_export
    )


def download(history: VesselHistory, subject: export.Subject, fmt: str) -> aioweb.Response:
    """An export as a file download, or 404 for an unknown format or alert."""
    generated_at = iso_of(time.time())
    try:
        body, content_type, file_name = export.render(fmt, history, subject, generated_at)
    except export.UnknownExportFormat as exc:
        return error_response(404, str(exc))
    except export.NotInHistory as exc:
        return error_response(404, str(exc))
    return aioweb.Response(
        body=body,
        headers={
            **SECURITY_HEADERS,
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{file_name}"',
        },
    )
