"""`shipwatch worker`: the Faust stream processor with its web server."""

from __future__ import annotations

import argparse
import asyncio

from shipwatch.pipeline.setup import build_core
from shipwatch.settings import get_settings
from streams import collector, memory_trim
from streams.faust_patches.log_throttle import throttle_kafka_client_logs
from streams.kafka.topics import ensure_topics


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("worker", help="run the stream processor (live page and /metrics)")
    p.add_argument("--loglevel", default=None, help="debug, info, warning (default: settings)")
    p.set_defaults(run=run)


def use_uvloop() -> None:
    """Make every event loop made from here on uvloop's, Faust's consumer thread's included."""
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run(args: argparse.Namespace) -> int:
    """Load fences, create topics, then hand over to Faust's worker until stopped."""
    # Imported here: Faust is heavy and only this command needs it.
    import faust

    from shipwatch.worker import compose

    settings = get_settings()
    collector.tune()
    memory_trim.tune_allocator()  # before any thread: glibc's arenas are made per thread
    if settings.uvloop:
        use_uvloop()
    throttle_kafka_client_logs()
    index, ctx = build_core(settings.geofences_dir, settings)
    asyncio.run(ensure_topics(settings))
    (settings.data_dir / settings.namespace).mkdir(parents=True, exist_ok=True)
    wiring = compose(settings, index, ctx)
    collector.freeze_start_up_heap()  # the modules, the fences, the app
    collector.freeze_once_running(wiring.app)
    # The web port and bind address are already in the app's configuration.
    worker = faust.Worker(wiring.app, loglevel=args.loglevel or settings.log_level)
    worker.execute_from_commandline()
    return 0
