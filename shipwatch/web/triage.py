"""Shared triage on the worker's web port: the API, its live stream, and the alert-state topic.

Every worker reads all of `<ns>.alert-state` from the beginning (it is compacted: the newest
record per alert is every alert's current state) into a `TriageBoard`, and keeps following it,
so every worker's page shows the same state, and it survives restarts. A write produces the
alert's whole new state keyed by alert_id (acks=all), waits until this worker has read it back
from the topic, and answers with it; every open page gets it on `/api/triage/stream`. The
topic's reader and writer are streams.kafka.triage_topic's: it hands this service each record
(`take`, `applied`, `caught_up`) and a way to write (`attach`).

Concurrent writes to one alert from two workers: last write wins (see triage.board); writes
through one worker are serialised.

Endpoints (JSON; every response carries the pages' security headers):
- `GET /api/whoami` -> {"user": name | null, "can_write": bool}
- `GET /api/triage` -> {alert_id: state}
- `GET /api/triage/stream` -> server-sent events, `event: triage` with a state (or
  {"alert_id", "removed": true} after a tombstone)
- `GET /api/cases` -> the recent alerts grouped into cases (triage.cases), each with a
  triage summary
- `POST /api/alerts/{alert_id}/triage` with {"action": ..., "assignee"?: ..., "text"?: ...}:
  200 and the new state; 400 bad body; 403 not through a trusted proxy with the user header,
  or from another origin; 404 an alert this worker never saw; 415 not JSON; 503 the topic is
  not read yet or the broker did not acknowledge.

Who acts: triage.auth (the `auth_proxy_header` set by a proxy in `trusted_proxies`). A
request to these endpoints carrying that header from any other address gets 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web as aioweb

from shipwatch.ais.timefmt import iso_ms_of
from shipwatch.settings import Settings
from shipwatch.triage.actions import ActionError, parse_action
from shipwatch.triage.auth import ProxyAuth, Refused, origin_allowed
from shipwatch.triage.board import TriageBoard, TriageState
from shipwatch.triage.cases import describe, group
from shipwatch.triage.errors import NotWritten
from shipwatch.web.live_feed import AlertFeed
from shipwatch.web.responses import error_response, event_stream, json_response

log = logging.getLogger(__name__)
TOPIC = "alert-state"
MAX_BODY = 16_384  # bytes of a triage request: a 2,000-character note is far below
WRITE_TIMEOUT_S = 15.0  # the broker's acknowledgement and reading the record back
READY_WAIT_S = 5.0  # a write that arrives while the topic is still being read waits this long
REMEMBERED_IDS = 200_000  # alert ids accepted after they left the feed's recent alerts
READ_ONLY = "read-only: sign in through the team's proxy"

Event = dict[str, Any]
# Writes one record (key, value) to the topic, acknowledged by every replica: its (partition,
# offset). Raises NotWritten when the broker does not take it.
Send = Callable[[bytes, bytes], Awaitable[tuple[int, int]]]


class TriageService:
    """The board, the topic's reader and writer, and the pages following it live."""

    def __init__(self, settings: Settings, feed: AlertFeed) -> None:
        self.settings = settings
        self.feed = feed
        self.topic = settings.topic(TOPIC)
        self.auth = ProxyAuth.from_settings(settings.auth_proxy_header, settings.trusted_proxies)
        self.board = TriageBoard()
        self.subscribers: set[asyncio.Queue[Event | None]] = set()
        self.closed = False
        self.ready = asyncio.Event()  # the topic has been read up to its end at start
        self.send: Send | None = None  # while the topic's writer runs
        self.applied_offsets: dict[int, int] = {}  # partition -> next offset to read
        self.progress = asyncio.Condition()
        self.write_lock = asyncio.Lock()
        self.ids: OrderedDict[str, None] = OrderedDict()  # alerts seen, beyond the feed's

    # ------------------------------------------------------------ alerts seen

    def remember(self, alert_id: str) -> None:
        """Note an alert id as seen (bounded: the oldest are forgotten first)."""
        self.ids[alert_id] = None
        self.ids.move_to_end(alert_id)
        while len(self.ids) > REMEMBERED_IDS:
            self.ids.popitem(last=False)

    def seen(self, alert_id: str) -> bool:
        """Whether this worker has seen the alert (recently, or ever, or it has a state)."""
        return (
            alert_id in self.feed.alerts
            or alert_id in self.ids
            or self.board.get(alert_id) is not None
        )

    async def watch_alerts(self) -> None:
        """Remember every alert the feed gets, so that ids stay valid after they scroll off."""
        queue = self.feed.subscribe()
        try:
            for alert_id in list(self.feed.alerts):
                self.remember(alert_id)
            while not self.feed.closed:
                view = await queue.get()
                if view is None:
                    return
                self.remember(str(view.get("alert_id")))
        finally:
            self.feed.unsubscribe(queue)

    # ------------------------------------------------------------ the topic

    def attach(self, send: Send | None) -> None:
        """Write through `send` from now on (None: the topic's writer has stopped)."""
        self.send = send
        if send is None:
            self.ready.clear()

    async def applied(self, partition: int, next_offset: int) -> None:
        """Everything before `next_offset` in `partition` has been taken: wake the writers."""
        self.applied_offsets[partition] = next_offset
        async with self.progress:
            self.progress.notify_all()

    def caught_up(self) -> None:
        """The topic has been read up to where it ended when reading started."""
        self._mark_ready()

    def _mark_ready(self) -> None:
        if not self.ready.is_set():
            log.info("triage: %d alert states read from %s", len(self.board.states), self.topic)
        self.ready.set()

    def take(self, offset: int, raw_key: bytes | None, raw_value: bytes | None) -> None:
        """Apply one record of the topic (a bad one is logged and skipped)."""
        key = raw_key.decode(errors="replace") if raw_key is not None else None
        try:
            if raw_value is None:
                if key is not None and self.board.remove(key):
                    self._push({"alert_id": key, "removed": True})
                return
            value = orjson.loads(raw_value)
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
            conflicts = self.board.conflicts
            state = self.board.apply(value)
            if self.board.conflicts > conflicts:
                log.warning(
                    "triage: concurrent writes to %s: version %s replaced a state it did not "
                    "build on (last write wins)",
                    self.board.last_conflict,
                    value.get("version"),
                )
            if state is not None:
                self._push(dict(state))
        except Exception as exc:  # anyone can write to a topic: one bad value is skipped
            log.warning("%s: skipped the value at offset %s: %s", self.topic, offset, exc)

    # ------------------------------------------------------------ writing

    async def write(self, record: TriageState) -> TriageState:
        """Produce a record (acks=all) and wait until the board has read it back."""
        send = self.send
        if send is None:
            raise NotWritten("the triage topic's writer is not running")
        partition, offset = await send(record["alert_id"].encode(), orjson.dumps(record))

        def read_back() -> bool:
            return self.applied_offsets.get(partition, 0) > offset

        try:
            async with self.progress:
                await asyncio.wait_for(self.progress.wait_for(read_back), WRITE_TIMEOUT_S)
        except TimeoutError:
            # Written and acknowledged; our reader is slow. Take it now (the reader will
            # see it again and change nothing) so that this worker's next write builds on it.
            log.warning("triage: %s not read back in %.0f s", record["alert_id"], WRITE_TIMEOUT_S)
            current = self.board.get(record["alert_id"])
            if current is None or current["version"] < record["version"]:
                self.board.put(record)
                self._push(dict(record))
        return record

    # ------------------------------------------------------------ live pages

    def _push(self, event: Event) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A page that stopped reading: drop it; its stream ends, the browser
                # reconnects and fetches every state again.
                self.subscribers.discard(queue)

    def subscribe(self) -> asyncio.Queue[Event | None]:
        """A queue of every state change until unsubscribed; None when the server stops."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        """Stop delivering to a queue."""
        self.subscribers.discard(queue)

    def close(self) -> None:
        """Wake every stream with None: the server is stopping."""
        self.closed = True
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    # ------------------------------------------------------------ handlers

    def who(self, request: aioweb.Request) -> str | None:
        """The acting user, None for read-only; raises Refused (see triage.auth)."""
        return self.auth.user(request.remote, request.headers)

    async def whoami(self, request: aioweb.Request) -> aioweb.Response:
        """{"user": name | null, "can_write": bool}"""
        try:
            user = self.who(request)
        except Refused as exc:
            return error_response(403, str(exc))
        return json_response({"user": user, "can_write": user is not None})

    async def states(self, request: aioweb.Request) -> aioweb.Response:
        """Every alert's triage state, by alert id."""
        try:
            self.who(request)
        except Refused as exc:
            return error_response(403, str(exc))
        return json_response(self.board.snapshot())

    async def cases(self, request: aioweb.Request) -> aioweb.Response:
        """The recent alerts as cases, newest first, each with its triage summary."""
        try:
            self.who(request)
        except Refused as exc:
            return error_response(403, str(exc))
        found = []
        for case in group(self.feed.recent()):
            view = describe(case)
            view["triage"] = self.board.summary(view["alert_ids"])
            found.append(view)
        return json_response(found)

    async def act(self, request: aioweb.Request) -> aioweb.Response:
        """POST /api/alerts/{alert_id}/triage: apply one action, answer with the new state."""
        try:
            who = self.who(request)
        except Refused as exc:
            return error_response(403, str(exc))
        if who is None:
            return error_response(403, f"{READ_ONLY} (no {self.auth.header} from a trusted proxy)")
        host = request.headers.get("X-Forwarded-Host") or request.host
        if not origin_allowed(request.headers.get("Origin"), host.split(",")[0]):
            return error_response(403, "cross-site request refused: Origin does not match Host")
        if request.content_type != "application/json":
            return error_response(415, "send the action as JSON (Content-Type: application/json)")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return error_response(413, f"a triage request is at most {MAX_BODY} bytes")
        raw = await _body(request, MAX_BODY)
        if raw is None:
            return error_response(413, f"a triage request is at most {MAX_BODY} bytes")
        try:
            action = parse_action(orjson.loads(raw))
        except orjson.JSONDecodeError:
            return error_response(400, "the body is not JSON")
        except ActionError as exc:
            return error_response(400, str(exc))
        alert_id = request.match_info["alert_id"]
        if not self.seen(alert_id):
            return error_response(404, f"no alert {alert_id[:300]!r} has been seen by this worker")
        try:
            await asyncio.wait_for(self.ready.wait(), READY_WAIT_S)
        except TimeoutError:
            return error_response(503, "the triage state is still being read; try again shortly")
        async with self.write_lock:
            record = self.board.act(alert_id, action, who, iso_ms_of(time.time()))
            try:
                written = await self.write(record)
            except NotWritten as exc:
                log.warning("triage: %s on %s not written: %s", action.action, alert_id, exc)
                return error_response(503, f"not saved: the broker did not acknowledge ({exc})")
        log.info("triage: %s %s %s (version %d)", who, action.action, alert_id, record["version"])
        return json_response(written)

    async def stream(self, request: aioweb.Request) -> aioweb.StreamResponse:
        """Server-sent events: `event: triage` with each new state, until the viewer leaves."""
        try:
            self.who(request)
        except Refused as exc:
            return error_response(403, str(exc))
        queue = self.subscribe()
        try:
            return await event_stream(
                request, queue, lambda: self.closed or queue not in self.subscribers, "triage"
            )
        finally:
            self.unsubscribe(queue)


def register(web_app: aioweb.Application, service: TriageService) -> None:
    """Add the triage API to the web server; the worker runs what feeds the service."""

    async def shutdown(_: aioweb.Application) -> None:
        service.close()

    web_app.on_shutdown.append(shutdown)
    router = web_app.router
    router.add_get("/api/whoami", service.whoami)
    router.add_get("/api/triage", service.states)
    router.add_get("/api/triage/stream", service.stream)
    router.add_get("/api/cases", service.cases)
    router.add_post("/api/alerts/{alert_id}/triage", service.act)


async def _body(request: aioweb.Request, most: int) -> bytes | None:
    """The whole body, or None past `most` bytes. `content.read(n)` gives only what has
    arrived: a body in two TCP segments (a proxy, a long note) was read cut and refused as no
    JSON, and a chunked one past the limit as no JSON rather than too large."""
    parts: list[bytes] = []
    size = 0
    while True:
        part = await request.content.read(most + 1 - size)
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
        if size > most:
            return None
