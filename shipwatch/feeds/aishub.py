"""AISHub's web service: the latest position of every vessel in a box, polled once a minute.

AISHub answers nothing to a faster poll, and says so (`"ERROR_MESSAGE": "Too frequent
requests!"`): then we wait at least 30 minutes. An answer is `[{header}, [vessel, ...]]`; each
vessel object is published alone, as it arrived (`format=1`: degrees and knots). A vessel whose
`TIME` has not changed since the last poll is the same report again: counted as a duplicate,
not published.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import orjson

from shipwatch.feeds.backoff import Backoff
from shipwatch.feeds.errors import FeedError, TooManyRequests
from shipwatch.feeds.outlet import Outlet, Source

log = logging.getLogger(__name__)
TIMEOUT_S = 60.0
MAX_VESSELS = 1_000_000  # last report times kept


def query(username: str, box: tuple[float, float, float, float]) -> dict[str, str]:
    """The poll's parameters: JSON, human units, uncompressed, the box."""
    lat_min, lat_max, lon_min, lon_max = box
    return {
        "username": username,
        "format": "1",
        "output": "json",
        "compress": "0",
        "latmin": str(lat_min),
        "latmax": str(lat_max),
        "lonmin": str(lon_min),
        "lonmax": str(lon_max),
    }


def vessels_of(body: bytes) -> list[dict[str, Any]]:
    """The vessel objects of an answer; FeedError (TooManyRequests) for an error answer."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"AISHub answered something that is not JSON: {body[:80]!r}") from exc
    if not isinstance(answer, list) or not answer or not isinstance(answer[0], dict):
        raise FeedError(f"AISHub answered an unexpected shape: {body[:80]!r}")
    header = answer[0]
    if header.get("ERROR"):
        message = str(header.get("ERROR_MESSAGE") or "an error")
        if "frequent" in message.lower() or "too many" in message.lower():
            raise TooManyRequests(f"AISHub: {message}")
        raise FeedError(f"AISHub: {message}")
    found = answer[1] if len(answer) > 1 and isinstance(answer[1], list) else []
    return [v for v in found if isinstance(v, dict)]


class AisHub:
    """Polls AISHub and publishes each vessel report that is new."""

    def __init__(
        self,
        source: Source,
        outlet: Outlet,
        url: str,
        params: dict[str, str],
        interval_s: float,
        backoff_cap_s: float,
    ) -> None:
        self.source, self.outlet = source, outlet
        self.url, self.params = url, params
        self.interval_s = interval_s
        self.backoff = Backoff(cap_s=max(backoff_cap_s, interval_s))
        self.key = source.name.encode()
        self.reported: dict[object, object] = {}  # MMSI -> TIME of its last published report
        self.up = False  # the last poll was answered

    async def run(self) -> None:
        """Forever: poll, publish what is new, wait for the next poll."""
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    await self.poll(session)
                    self.backoff.reset()  # a good answer: start over
                    wait = self.interval_s
                except TooManyRequests as exc:
                    self.backoff.throttled()
                    wait = self.backoff.next_delay()
                    log.warning("feed %s: %s; next poll in %.0f s", self.source.name, exc, wait)
                except (FeedError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                    if self.up:
                        self.up = False
                        self.source.disconnected()
                    wait = max(self.interval_s, self.backoff.next_delay())
                    log.warning("feed %s: %s; next poll in %.0f s", self.source.name, exc, wait)
                await asyncio.sleep(wait)

    async def poll(self, session: aiohttp.ClientSession) -> None:
        """One poll."""
        async with session.get(self.url, params=self.params) as response:
            if response.status == 429:
                raise TooManyRequests("AISHub: too many requests (HTTP 429)")
            if response.status != 200:
                raise FeedError(f"AISHub answered HTTP {response.status}")
            body = await response.read()
        vessels = vessels_of(body)
        if not self.up:
            self.up = True
            self.source.connected()
        fresh = []
        for vessel in vessels:
            mmsi, when = vessel.get("MMSI"), vessel.get("TIME")
            if self.reported.get(mmsi) == when:
                self.source.metrics.duplicates.inc()
                continue
            if len(self.reported) >= MAX_VESSELS:
                self.reported.clear()
            self.reported[mmsi] = when
            fresh.append(orjson.dumps(vessel))
        if fresh:
            await self.outlet.put(self.source, self.key, fresh)  # a poll can wait for room
