"""NMEA over TCP: as a client (AIS-catcher -S, rtl-ais -T, Kystverket, Spire) or as a server
that receivers push to (AIS-catcher -P, AIS Dispatcher).

A client reconnects with backoff after a cut, closing the old socket first. A source that
sends nothing for `quiet_s` is reconnected once and reported; if it stays silent after that,
the connection is kept and the silence shows in its metrics (and ShipwatchFeedSilent), rather
than turning into a reconnect loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

from shipwatch.feeds.backoff import Backoff
from shipwatch.feeds.framing import LineFramer
from shipwatch.feeds.outlet import Outlet, Source

log = logging.getLogger(__name__)
READ_BYTES = 64 * 1024
CONNECT_TIMEOUT_S = 10.0
KEEPALIVE = {"TCP_KEEPIDLE": 60, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 5}  # a dead peer in ~2 min


def keep_alive(writer: asyncio.StreamWriter) -> None:
    """TCP keepalive on the connection: a peer that vanished without a FIN is noticed."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in KEEPALIVE.items():
        if hasattr(socket, name):  # Linux names; elsewhere the system's defaults stay
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


async def close(writer: asyncio.StreamWriter) -> None:
    """Close a connection and wait for it, whatever state it is in."""
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


class TcpClient:
    """Connects to a server sending NMEA lines and keeps connected."""

    def __init__(
        self,
        source: Source,
        outlet: Outlet,
        quiet_s: float,
        backoff_cap_s: float,
        login: bytes | None = None,
    ) -> None:
        self.source, self.outlet = source, outlet
        self.quiet_s = quiet_s
        self.backoff = Backoff(cap_s=backoff_cap_s)
        self.login = login
        self.key = source.name.encode()
        self.quiet_reconnected = False  # reconnected for silence; not again until data flows

    async def run(self) -> None:
        """Forever: connect, read, and after a cut wait and connect again."""
        spec = self.source.spec
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that comes as the connection completes (CPython gh-86296), and a stopping
                # feed would read on.
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    reader, writer = await asyncio.open_connection(spec.host, spec.port)
            except (OSError, TimeoutError) as exc:
                delay = self.backoff.next_delay()
                log.warning("feed %s: cannot connect (%s); again in %.1f s", spec.name, exc, delay)
                await asyncio.sleep(delay)
                continue
            keep_alive(writer)
            self.source.connected()
            log.info("feed %s: connected to %s:%d", spec.name, spec.host, spec.port)
            started = time.monotonic()
            framer = LineFramer()
            why = "closed"
            try:
                if self.login:
                    writer.write(self.login + b"\r\n")
                    await writer.drain()
                why = await self._read(reader, framer)
            except (OSError, asyncio.IncompleteReadError) as exc:
                why = f"cut: {exc}"
            finally:
                self.source.sender_gone(framer)
                self.outlet.gone(self.key)
                self.source.disconnected()
                await close(writer)
            self.backoff.held(time.monotonic() - started)
            if why == "quiet":
                continue  # once, at once: a silent feed is retried, not hammered
            delay = self.backoff.next_delay()
            log.warning("feed %s: connection %s; again in %.1f s", spec.name, why, delay)
            await asyncio.sleep(delay)

    async def _read(self, reader: asyncio.StreamReader, framer: LineFramer) -> str:
        warned = False
        while True:
            try:
                async with asyncio.timeout(self.quiet_s):
                    data = await reader.read(READ_BYTES)
            except TimeoutError:
                if not self.quiet_reconnected:
                    self.quiet_reconnected = True
                    log.warning(
                        "feed %s: nothing for %.0f s; reconnecting once",
                        self.source.name,
                        self.quiet_s,
                    )
                    return "quiet"
                if not warned:
                    warned = True
                    log.warning(
                        "feed %s: still silent after reconnecting; staying connected",
                        self.source.name,
                    )
                continue
            if not data:
                return "closed by the server"
            self.quiet_reconnected = False
            lines = self.source.lines_of(framer, data)
            if lines:
                await self.outlet.put(self.source, self.key, lines)


class TcpListener:
    """A server that receivers connect to and push NMEA lines into."""

    def __init__(self, source: Source, outlet: Outlet, quiet_s: float) -> None:
        self.source, self.outlet = source, outlet
        self.quiet_s = quiet_s
        self.server: asyncio.Server | None = None
        self.receivers: set[asyncio.StreamWriter] = set()

    async def run(self) -> None:
        """Listen until cancelled; then close every receiver's connection too."""
        spec = self.source.spec
        self.server = await asyncio.start_server(self._serve, spec.host, spec.port)
        self.source.connected()  # a listener is "connected" while it listens
        log.info("feed %s: listening on %s:%d", spec.name, spec.host, spec.port)
        try:
            await self.server.serve_forever()
        finally:
            self.server.close()
            # Server.close() leaves accepted connections open (3.11), and 3.12 would wait for
            # them: a stopping feed closes them itself.
            for writer in list(self.receivers):
                writer.close()
            self.source.disconnected()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        key = f"{self.source.name}|{peer[0]}:{peer[1]}".encode()
        keep_alive(writer)
        self.receivers.add(writer)
        log.info("feed %s: receiver %s:%s connected", self.source.name, peer[0], peer[1])
        framer = LineFramer()
        try:
            while True:
                data = await reader.read(READ_BYTES)
                if not data:
                    break
                lines = self.source.lines_of(framer, data)
                if lines:
                    await self.outlet.put(self.source, key, lines)
        except OSError as exc:
            log.warning("feed %s: receiver %s cut: %s", self.source.name, peer[0], exc)
        finally:
            self.source.sender_gone(framer)
            self.outlet.gone(key)
            self.receivers.discard(writer)
            await close(writer)
