"""`shipwatch ingest`: the raw topic's decoding in a process of its own, started by the worker.

With `SHIPWATCH_INGEST=process` (the default) each worker starts one: the ingest loop
(streams/bindings/ingest.py, its own consumer group) then runs on a core of its own instead of
sharing the worker's event loop with every stage. The worker stops it when it stops; a worker
killed outright takes it along (`die_with`), so no orphan keeps a raw partition. Its counts reach
the worker's /metrics through its standard output (streams/metrics_relay.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time

from geofences.map_areas import MapAreas
from shipwatch.cli import service
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import Settings, get_settings
from streams import collector
from streams.bindings.ingest import Ingest
from streams.kafka.bulk_producer import BulkProducer
from streams.memory_trim import TRIM_EVERY_S, trimmer, tune_allocator
from streams.metrics_relay import snapshot_line
from streams.monitoring import supervised

log = logging.getLogger("shipwatch.ingest")
RELAY_EVERY_S = 1.0  # how often the counts reach the worker's /metrics
PARENT_CHECK_S = 1.0  # where the kernel cannot kill it with its parent, it looks this often
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "ingest",
        help="decode the raw topic onto the stages' topics (the worker starts this itself)",
    )
    p.add_argument("--loglevel", default=None, help="debug, info, warning (default: settings)")
    p.add_argument(
        "--parent", type=int, default=None, help="exit when this process (the worker) is gone"
    )
    p.add_argument(
        "--relay-metrics",
        action="store_true",
        help="write the counts on standard output for the worker's /metrics",
    )
    p.set_defaults(run=run)


def die_with(parent: int) -> None:
    """Be killed by the kernel when `parent` dies (Linux); exit now if it already has."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # gone before the request above took effect
        os._exit(1)


def run(args: argparse.Namespace) -> int:
    """Decode until SIGTERM or SIGINT, then stop the loop and the producer cleanly."""
    if args.parent is not None:
        die_with(args.parent)
        # Ctrl-C in the worker's terminal reaches its whole process group: the worker stops
        # this process itself (SIGTERM), after its own agents, not at the same moment.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = get_settings()
    collector.tune()  # as in the worker: the same allocations a position, the same costs
    tune_allocator()
    service.prepare(settings, args.loglevel)
    asyncio.run(serve(settings, args.parent, args.relay_metrics))
    return 0


async def serve(
    settings: Settings, parent: int | None, relay: bool, stop: asyncio.Event | None = None
) -> None:
    """The producer and the ingest loop, each restarted after a failure, until `stop`."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                loop.add_signal_handler(signum, stop.set)
    index, _ = build_core(settings.geofences_dir, settings)
    bulk = BulkProducer(settings)
    ingest = Ingest(settings, bulk, MapAreas(index))
    collector.freeze_start_up_heap()  # the modules and the fences
    producing = asyncio.ensure_future(supervised("bulk producer", bulk.run)())
    decoding = asyncio.ensure_future(supervised("ingest", ingest.run)())
    out = RelayOut(sys.stdout.fileno()) if relay else None
    watching = asyncio.create_task(_watch(stop, parent, out))
    log.info("ingest: %s -> the stages' topics", settings.topic("ais-raw"))
    try:
        await stop.wait()
    finally:
        # The loop first: its consumer leaves the group while the producer can still deliver.
        for task in (decoding, producing, watching):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if out is not None:
            out.last(snapshot_line())


async def _watch(stop: asyncio.Event, parent: int | None, out: RelayOut | None) -> None:
    trim_heap, last_trim = trimmer(), time.monotonic()
    while True:
        await asyncio.sleep(min(RELAY_EVERY_S, PARENT_CHECK_S))
        if trim_heap is not None and time.monotonic() - last_trim >= TRIM_EVERY_S:
            last_trim = time.monotonic()  # as the worker: freed pages back to the system
            await trim_heap()
        if parent is not None and os.getppid() != parent:
            log.warning("ingest: the worker (pid %d) is gone; stopping", parent)
            stop.set()
            return
        if out is not None:
            out.write(snapshot_line())


class RelayOut:
    """The snapshot lines to the worker, never blocking the loop.

    The worker reads them only once its agents run, after its tables are recovered, which may
    take minutes: a blocking write to the full pipe would stall decoding (and the group's
    heartbeats) until then. A line that does not fit is dropped instead; each carries the
    totals, so the next one makes up for it. A line written in part is finished first."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.rest = b""
        os.set_blocking(fd, False)

    def write(self, line: bytes) -> None:
        """Send the line, or the rest of an earlier one (this one then dropped)."""
        if not self.rest:
            self.rest = line
        try:
            self.rest = self.rest[os.write(self.fd, self.rest) :]
        except BlockingIOError:
            pass
        except OSError:  # the worker stopped reading: it is stopping too
            self.rest = b""

    def last(self, line: bytes) -> None:
        """The final counts, waiting for the worker to read them (it does while stopping us)."""
        os.set_blocking(self.fd, True)
        try:
            os.write(self.fd, self.rest)
            os.write(self.fd, line)
        except OSError:
            pass
        self.rest = b""
