"""Runs the sources of one `shipwatch feed` process and publishes what they receive.

One process can run several sources, and that is the recommended way: the deduplicator sees
every source, so a message heard by two receivers is published once. Run one process per source
when the sources must be isolated; then duplicates reach the raw topic.

On stop (SIGTERM, Ctrl-C) the sources close, the deduplicator hands over what it held, and
everything in the buffer is published before the process ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from shipwatch.feeds import aishub, aisstream, metrics
from shipwatch.feeds.aishub import AisHub
from shipwatch.feeds.aisstream import AisStream
from shipwatch.feeds.backoff import Backoff
from shipwatch.feeds.dedup import Deduplicator
from shipwatch.feeds.errors import FeedError
from shipwatch.feeds.outlet import Outlet, Source
from shipwatch.feeds.received import Received
from shipwatch.feeds.recording import Recorder
from shipwatch.feeds.sources import SourceSpec
from shipwatch.feeds.status import STATUS_EVERY_S, StatusReport
from shipwatch.feeds.tcp import TcpClient, TcpListener
from shipwatch.feeds.udp import UdpListener
from shipwatch.settings import Settings

log = logging.getLogger(__name__)
BATCH = 10_000  # messages a publish takes at most
WAIT_S = 0.05  # for the first message of a batch
PUBLISH_BACKOFF_CAP_S = 30.0

# Returns once Kafka acknowledged, with what it did not (to send again; None: everything).
Publish = Callable[[Sequence[Received]], Awaitable[Sequence[Received] | None]]
Report = Callable[[list[tuple[bytes, bytes]]], Awaitable[None]]  # (key, value) status records


class Runs(Protocol):
    """A source's connection loop."""

    async def run(self) -> None:
        """Until cancelled."""


@dataclass
class Summary:
    """What a feed run did, for its last words."""

    published: int = 0
    duplicates: int = 0


def connection_of(spec: SourceSpec, source: Source, outlet: Outlet, settings: Settings) -> Runs:
    """The connection loop of a source; FeedError when a setting it needs is missing."""
    cap = settings.feed_backoff_cap_s
    if spec.kind == "tcp":
        login = settings.feed_tcp_login
        secret = login.get_secret_value().encode() if login else None
        return TcpClient(source, outlet, settings.feed_quiet_s, cap, secret)
    if spec.kind == "tcp-listen":
        return TcpListener(source, outlet, settings.feed_quiet_s)
    if spec.kind == "udp":
        return UdpListener(source, outlet)
    if spec.kind == "aisstream":
        key = settings.aisstream_api_key
        if key is None or not key.get_secret_value():
            raise FeedError(
                "aisstream:// needs SHIPWATCH_AISSTREAM_API_KEY (your aisstream.io key)"
            )
        message = aisstream.subscription(
            key.get_secret_value(),
            settings.aisstream_boxes,
            settings.aisstream_mmsi,
            settings.aisstream_message_types,
        )
        return AisStream(
            source, outlet, settings.aisstream_url, message, settings.feed_quiet_s, cap
        )
    user = settings.aishub_username
    if user is None or not user.get_secret_value():
        raise FeedError("aishub:// needs SHIPWATCH_AISHUB_USERNAME (your AISHub user name)")
    params = aishub.query(user.get_secret_value(), settings.aishub_box)
    return AisHub(source, outlet, settings.aishub_url, params, settings.aishub_interval_s, cap)


class Feed:
    """The sources, the outlet they share and the publishing loop."""

    def __init__(
        self,
        specs: Sequence[SourceSpec],
        settings: Settings,
        publish: Publish,
        record: Path | None = None,
        report: Report | None = None,
    ) -> None:
        self.outlet = Outlet(settings.feed_buffer_max, Deduplicator(settings.feed_dedup_window_s))
        self.sources = [Source(spec, settings.feed_clock_tolerance_s) for spec in specs]
        self.connections = [
            connection_of(spec, source, self.outlet, settings)
            for spec, source in zip(specs, self.sources, strict=True)
        ]
        self.publish = publish
        self.report = report
        self.status = StatusReport(self.sources)
        self.recorder = Recorder(record) if record else None
        self.summary = Summary()
        self._sources_done = False

    async def run(self, stop: asyncio.Event) -> Summary:
        """Until `stop` is set (or a source fails for good); then publish what is left."""
        pairs = zip(self.connections, self.sources, strict=True)
        tasks = [asyncio.create_task(c.run(), name=s.name) for c, s in pairs]
        publisher = asyncio.create_task(self._publishing(), name="publisher")
        reporting = asyncio.create_task(self._reporting(), name="status")
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait(
                [*tasks, publisher, stopping], return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task is not stopping and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            stopping.cancel()
            reporting.cancel()
            await asyncio.gather(reporting, return_exceptions=True)
            self.outlet.close()
            self._sources_done = True
            if not publisher.done():
                await publisher  # drains the buffer
            if self.recorder:
                self.recorder.close()
        self.summary.duplicates = self.outlet.dedup.duplicates
        return self.summary

    async def _reporting(self) -> None:
        """Each source's status every few seconds, for the live page; a failure is logged."""
        if self.report is None:
            return
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            try:
                await self.report(self.status.records(time.time()))
            except Exception as exc:  # the status is a courtesy: never stop the feed for it
                log.warning("feed: status not published: %r", exc)

    async def _publishing(self) -> None:
        backoff = Backoff(cap_s=PUBLISH_BACKOFF_CAP_S)
        while True:
            items = await self.outlet.take(BATCH, WAIT_S)
            if not items:
                if self._sources_done:
                    return
                continue
            pending: Sequence[Received] = items
            while True:
                try:
                    left = await self.publish(pending)
                    if not left:
                        break
                    why = f"{len(left)} of {len(pending)} not acknowledged"
                    pending = left  # the rest is written: sent again, it would be twice
                except Exception as exc:  # the broker away: keep the batch, try again
                    why = f"not published ({exc!r})"
                delay = backoff.next_delay()
                log.warning("feed: %s; again in %.1f s", why, delay)
                await asyncio.sleep(delay)
            backoff.reset()
            if self.recorder:
                self.recorder.write(items)
            self.summary.published += len(items)
            metrics.PUBLISHED.inc(len(items))
