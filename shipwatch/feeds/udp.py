"""NMEA over UDP (rtl-ais sends to 127.0.0.1:10110, AIS-catcher -u host port).

One sentence can be split across datagrams and one datagram can hold several: each sender
(address) has its own framer. A datagram that ends without a line ending but holds a whole
sentence (checksum and all) is taken as it is. A full buffer drops and counts: a UDP sender
cannot be told to wait.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import OrderedDict

from shipwatch.feeds.framing import LineFramer
from shipwatch.feeds.outlet import Outlet, Source

log = logging.getLogger(__name__)
MAX_SENDERS = 1000  # framers kept; the least recently heard sender is forgotten first
RECEIVE_BUFFER = 4 * 1024 * 1024  # bytes the kernel holds for us during a burst


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: UdpListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.listener.received(data, f"{addr[0]}:{addr[1]}")

    def error_received(self, exc: Exception) -> None:
        log.warning("feed %s: %s", self.listener.source.name, exc)


class UdpListener:
    """Listens for datagrams of NMEA lines."""

    def __init__(self, source: Source, outlet: Outlet) -> None:
        self.source, self.outlet = source, outlet
        self.framers: OrderedDict[str, LineFramer] = OrderedDict()
        self.port: int | None = None  # the bound port, once listening (port 0 picks one)

    async def run(self) -> None:
        """Listen until cancelled."""
        spec = self.source.spec
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=(spec.host, spec.port)
        )
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self.port = sock.getsockname()[1]
        self.source.connected()
        log.info("feed %s: listening for datagrams on %s:%d", spec.name, spec.host, spec.port)
        try:
            await asyncio.Event().wait()
        finally:
            transport.close()
            self.source.disconnected()

    def received(self, data: bytes, sender: str) -> None:
        """One datagram from `sender`."""
        framer = self.framers.get(sender)
        if framer is None:
            framer = self.framers[sender] = LineFramer()
            if len(self.framers) > MAX_SENDERS:
                self.framers.popitem(last=False)
        else:
            self.framers.move_to_end(sender)
        lines = framer.cut_at_new_sentence(data)
        lines += self.source.lines_of(framer, data) + framer.complete_sentence()
        if lines:
            self.outlet.offer(self.source, f"{self.source.name}|{sender}".encode(), lines)
