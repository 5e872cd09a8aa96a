"""aisstream.io: a WebSocket that streams AIS as JSON, one subscription per connection.

The subscription (API key, bounding boxes, filters) must be sent within 3 s of connecting.
The service closes connections every few minutes (code 1006): we reconnect with backoff, and
after "too many requests" wait at least 30 minutes, since eager reconnecting gets a client
blocked. Messages are published as the JSON they arrived in; decoding takes the time from
`MetaData.time_utc` (shipwatch.ais.aisstream_json).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import aiohttp
import orjson

from shipwatch.feeds.backoff import Backoff
from shipwatch.feeds.errors import FeedError, TooManyRequests
from shipwatch.feeds.outlet import Outlet, Source

log = logging.getLogger(__name__)
HEARTBEAT_S = 30.0  # WebSocket pings: a dead connection is noticed
MIN_BACKOFF_CAP_S = 60.0  # never reconnect to the service faster than this at worst


def subscription(
    api_key: str, boxes: Sequence[object], mmsi: Sequence[str], message_types: Sequence[str]
) -> bytes:
    """The subscription message, as aisstream.io documents it."""
    message: dict[str, object] = {"APIKey": api_key, "BoundingBoxes": list(boxes)}
    if mmsi:
        message["FiltersShipMMSI"] = list(mmsi)
    if message_types:
        message["FilterMessageTypes"] = list(message_types)
    return orjson.dumps(message)


def refusal(payload: bytes) -> str | None:
    """The service's error message, if `payload` is one (`{"error": "..."}`)."""
    if not payload.startswith(b'{"error"') and not payload.startswith(b'{"Error"'):
        return None
    try:
        found = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if isinstance(found, dict):
        text = found.get("error", found.get("Error"))
        return str(text) if text else None
    return None


class AisStream:
    """Keeps one subscription to aisstream.io open."""

    def __init__(
        self,
        source: Source,
        outlet: Outlet,
        url: str,
        subscribe: bytes,
        quiet_s: float,
        backoff_cap_s: float,
    ) -> None:
        self.source, self.outlet = source, outlet
        self.url, self.subscribe = url, subscribe
        self.quiet_s = quiet_s
        self.backoff = Backoff(cap_s=max(backoff_cap_s, MIN_BACKOFF_CAP_S))
        self.key = source.name.encode()
        self.quiet_reconnected = False

    async def run(self) -> None:
        """Forever: connect, subscribe, read; after a close wait and connect again."""
        async with aiohttp.ClientSession() as session:
            while True:
                started = time.monotonic()
                why = await self._session(session)
                self.backoff.held(time.monotonic() - started)
                if why == "quiet":
                    continue
                delay = self.backoff.next_delay()
                log.warning("feed %s: %s; again in %.0f s", self.source.name, why, delay)
                await asyncio.sleep(delay)

    async def _session(self, session: aiohttp.ClientSession) -> str:
        try:
            async with session.ws_connect(self.url, heartbeat=HEARTBEAT_S) as ws:
                await ws.send_str(self.subscribe.decode())  # a text frame, as documented
                self.source.connected()
                try:
                    return await self._read(ws)
                finally:
                    self.source.disconnected()
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 429:
                self.backoff.throttled()
                return "too many requests (HTTP 429): waiting at least 30 min"
            return f"refused (HTTP {exc.status})"
        except TooManyRequests as exc:
            self.backoff.throttled()
            return f"{exc}: waiting at least 30 min"
        except FeedError as exc:
            return str(exc)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return f"connection failed: {exc!r}"

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            try:
                message = await ws.receive(timeout=self.quiet_s)
            except TimeoutError:
                if self.quiet_reconnected:
                    continue  # reported once already: stay connected, the metrics show it
                self.quiet_reconnected = True
                log.warning(
                    "feed %s: nothing for %.0f s; reconnecting once", self.source.name, self.quiet_s
                )
                return "quiet"
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data = message.data
                payload = (data.encode() if isinstance(data, str) else data).strip()
                refused = refusal(payload)
                if refused is not None:
                    if "too many" in refused.lower():
                        raise TooManyRequests(f"aisstream.io: {refused}")
                    raise FeedError(f"aisstream.io refused the subscription: {refused}")
                self.quiet_reconnected = False
                self.outlet.offer(self.source, self.key, [payload])
                continue
            if message.type == aiohttp.WSMsgType.ERROR:
                return f"connection error: {ws.exception()!r}"
            return f"closed by the service (code {ws.close_code})"
