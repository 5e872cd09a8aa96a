"""Where every source puts what it receives: counted, deduplicated, then one bounded buffer.

The buffer holds what Kafka has not taken yet. When it is full a TCP source waits before it
reads again, so the sender's own buffers (and TCP's window) hold the data; a UDP or WebSocket
source cannot make its sender wait, so it drops and counts (`shipwatch_feed_dropped_total`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque

from shipwatch.ais.raw_message import MAX_MESSAGE_BYTES
from shipwatch.feeds import metrics
from shipwatch.feeds.clock import ClockWatch
from shipwatch.feeds.dedup import Deduplicator
from shipwatch.feeds.framing import LineFramer
from shipwatch.feeds.received import Received
from shipwatch.feeds.sources import SourceSpec

log = logging.getLogger(__name__)
CLOCK_EVERY = 16  # lines: the clock is sampled, not read on every line
# Longer than ingest reads: cut to this, it is still dead-lettered as too large, and it cannot
# be a record the broker refuses for its size (`max.message.bytes`, 1 MB by default) and the
# publisher sends again for ever, holding up everything behind it.
MAX_UNIT_BYTES = MAX_MESSAGE_BYTES + 1


class Source:
    """One source's name, metrics and clock, shared by its connections."""

    def __init__(self, spec: SourceSpec, clock_tolerance_s: float) -> None:
        self.spec = spec
        self.name = spec.name
        self.metrics = metrics.SourceMetrics(spec.name)
        self.clock = ClockWatch(clock_tolerance_s)
        self.lines = 0
        self.connections = 0  # made so far: every one after the first is a reconnect
        self.up = False
        self.received = 0  # messages, for the status the live page shows
        self.last_heard: float | None = None

    def connected(self) -> None:
        """A connection (or the listener) is up."""
        if self.connections:
            self.metrics.reconnects.inc()
        self.connections += 1
        self.up = True
        self.metrics.connected.set(1)

    def disconnected(self) -> None:
        """The connection is down."""
        self.up = False
        self.metrics.connected.set(0)

    def heard(self, count: int, size: int, now: float) -> None:
        """`count` messages of `size` bytes came in."""
        self.metrics.messages.inc(count)
        self.metrics.bytes.inc(size)
        self.metrics.last_message = now
        self.received += count
        self.last_heard = now

    def lines_of(self, framer: LineFramer, data: bytes) -> list[bytes]:
        """The lines `data` completes in a sender's framer; lines cut as too long counted."""
        before = framer.too_long
        lines = framer.feed(data)
        if framer.too_long != before:
            self.metrics.too_long.inc(framer.too_long - before)
        return lines

    def sender_gone(self, framer: LineFramer) -> None:
        """A sender's connection ended: its partial line is dropped, and counted as cut."""
        framer.reset()
        if framer.discarded:
            self.metrics.cut.inc(framer.discarded)

    def check_clock(self, line: bytes, now: float) -> None:
        """Sample the source's clock against ours; report when it goes off or comes back."""
        self.lines += 1
        if self.lines % CLOCK_EVERY:
            return
        verdict = self.clock.observe(line, now)
        if self.clock.offset is not None:
            self.metrics.clock_offset.set(self.clock.offset)
        if verdict is None:
            return
        self.metrics.clock_off.set(1 if verdict else 0)
        if verdict:
            log.warning(
                "feed %s: its clock is %+.0f s from ours (tolerance %.0f s); its lines keep "
                "their own time",
                self.name,
                self.clock.offset,
                self.clock.tolerance_s,
            )
        else:
            log.info("feed %s: its clock agrees with ours again", self.name)


class Outlet:
    """The deduplicator and the bounded buffer between the sources and the publisher."""

    def __init__(self, buffer_max: int, dedup: Deduplicator) -> None:
        self.buffer_max = buffer_max
        self.dedup = dedup
        self.buffer: deque[Received] = deque()
        self._not_full = asyncio.Event()
        self._not_full.set()
        self._not_empty = asyncio.Event()

    def _accepted(self, source: Source, key: bytes, lines: list[bytes]) -> list[Received]:
        now = time.time()
        source.heard(len(lines), sum(map(len, lines)), now)
        before = self.dedup.duplicates
        out: list[Received] = []
        for line in lines:
            if len(line) > MAX_UNIT_BYTES:  # a WebSocket message can be megabytes
                line = line[:MAX_UNIT_BYTES]
                source.metrics.too_long.inc()
            if line[:1] == b"\\":
                source.check_clock(line, now)
            out += self.dedup.take(Received(source.name, key, line, now))
        source.metrics.duplicates.inc(self.dedup.duplicates - before)
        return out

    async def put(self, source: Source, key: bytes, lines: list[bytes]) -> None:
        """Lines of one sender (TCP): waits while the buffer is full."""
        items = self._accepted(source, key, lines)
        try:
            while len(self.buffer) >= self.buffer_max:
                self._not_full.clear()
                await self._not_full.wait()
        finally:  # stopped while waiting: what was read is published all the same
            self._add(items)

    def offer(self, source: Source, key: bytes, lines: list[bytes]) -> None:
        """Lines of a sender that cannot wait (UDP, WebSocket): dropped and counted if full."""
        if len(self.buffer) >= self.buffer_max:
            source.heard(len(lines), sum(map(len, lines)), time.time())
            source.metrics.buffer_full.inc(len(lines))
            return
        self._add(self._accepted(source, key, lines))

    def gone(self, key: bytes) -> None:
        """A sender disconnected: what the deduplicator held of it passes on."""
        self._add(self.dedup.forget(key))

    def _add(self, items: list[Received]) -> None:
        if items:
            self.buffer.extend(items)
            self._not_empty.set()
            metrics.BUFFERED.set(len(self.buffer))

    async def take(self, most: int, wait_s: float) -> list[Received]:
        """Up to `most` messages, waiting at most `wait_s` for the first."""
        if not self.buffer:
            self._not_empty.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._not_empty.wait(), wait_s)
        self._add(self.dedup.expire(time.time()))
        buffer = self.buffer
        n = min(most, len(buffer))
        taken = [buffer.popleft() for _ in range(n)]
        if len(buffer) < self.buffer_max:
            self._not_full.set()
        metrics.BUFFERED.set(len(buffer))
        return taken

    def close(self) -> None:
        """Stopping: everything the deduplicator held goes into the buffer."""
        self._add(self.dedup.flush())
