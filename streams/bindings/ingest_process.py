"""The ingest loop in a child process (`shipwatch ingest`): started, watched and stopped here.

Decoding the raw topic takes about a third of a worker's CPU (`make bench`: 10.7 of 29 µs a
position). In the worker's one event loop it took turns with the stages on one core; in a
process of its own it runs beside them, so a worker uses a second core where the machine has
one. Nothing else changes: the loop is the
same class with the same consumer group, commits and progress (streams/bindings/ingest.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections import deque

from shipwatch.errors import ShipwatchError
from streams.metrics_relay import Relay

log = logging.getLogger(__name__)

STOP_WAIT_S = 15.0  # for the child to leave its group and deliver what it sent, then a kill
LINE_LIMIT = 1 << 20  # a metrics line is a few kB
# Exits of its own this close together are a crash loop, which /readyz reports: one exit is a
# restart (its supervisor waits 10 s), two in five minutes are not, until the child running
# has lasted a minute.
CRASH_LOOP_WINDOW_S = 300.0
CRASH_LOOP_EXITS = 2
STEADY_S = 60.0


class IngestExited(ShipwatchError):
    """The ingest process stopped by itself (its supervisor starts another)."""


class IngestProcess:
    """Runs `shipwatch ingest` as the worker's child until cancelled, and relays its metrics.

    The first child is started with the app (`start`), so that its imports and its group's join
    overlap the worker's own start-up; a supervisor's restart of `run` starts the next."""

    def __init__(self, loglevel: str | None = None) -> None:
        self.loglevel = loglevel
        self.relay = Relay()
        self.child: subprocess.Popen[bytes] | None = None
        self.exits: deque[tuple[float, int | None]] = deque(maxlen=CRASH_LOOP_EXITS)
        self.started_at = 0.0  # time.monotonic() when the running child was started

    def trouble(self, now: float | None = None) -> str | None:
        """Why decoding is not going on (for /readyz): the child down since it exited, or
        exiting again and again (until the one running has lasted STEADY_S); None while it
        runs."""
        if not self.exits:
            return None
        now = time.monotonic() if now is None else now
        at, code = self.exits[-1]
        if self.child is None:
            return f"ingest process down: exited with {code} {now - at:.0f} s ago, restarting"
        first = self.exits[0][0]
        looping = len(self.exits) == CRASH_LOOP_EXITS and now - first <= CRASH_LOOP_WINDOW_S
        if looping and now - self.started_at < STEADY_S:
            return (
                f"ingest process restarting again and again: {len(self.exits)} exits in "
                f"{now - first:.0f} s, the last with {code}"
            )
        return None

    def command(self) -> list[str]:
        """The child's command line: this interpreter, told to die with this process."""
        args = [sys.executable, "-m", "shipwatch", "ingest", "--relay-metrics"]
        args += ["--parent", str(os.getpid())]
        return args + (["--loglevel", self.loglevel] if self.loglevel else [])

    def start(self) -> subprocess.Popen[bytes]:
        """The running child, started if there is none (its log goes where the worker's does)."""
        if self.child is None or self.child.poll() is not None:
            self.child = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
            )
            self.started_at = time.monotonic()
            log.info("ingest: decoding in process %d", self.child.pid)
        return self.child

    async def run(self) -> None:
        """Relay the child's metrics until it exits (raising) or this is cancelled (stopping it)."""
        child = self.start()
        assert child.stdout is not None
        loop = asyncio.get_running_loop()
        lines = asyncio.StreamReader(limit=LINE_LIMIT)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(lines), child.stdout
        )
        try:
            async for line in lines:
                self.relay.apply_line(line)
            code = await loop.run_in_executor(None, child.wait)
            self.exits.append((time.monotonic(), code))
            raise IngestExited(f"the ingest process {child.pid} exited with {code}")
        finally:
            try:
                await self._stop(child, lines, loop)
            finally:
                transport.close()
                self.child = None

    async def _stop(
        self,
        child: subprocess.Popen[bytes],
        lines: asyncio.StreamReader,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        if child.poll() is None:
            child.terminate()
        try:
            # It leaves its group and delivers what it sent; its last counts come on the way out.
            async with asyncio.timeout(STOP_WAIT_S):
                async for line in lines:
                    self.relay.apply_line(line)
                await loop.run_in_executor(None, child.wait)
        except TimeoutError:
            log.warning(
                "ingest: process %d did not stop in %.0f s; killing it", child.pid, STOP_WAIT_S
            )
            child.kill()
            await loop.run_in_executor(None, child.wait)
