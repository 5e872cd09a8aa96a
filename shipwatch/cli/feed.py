"""`shipwatch feed SOURCE...`: live AIS onto the raw topic until stopped (docs/feeds.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from prometheus_client import start_http_server

from shipwatch.feeds import metrics
from shipwatch.feeds.runner import Feed, Summary
from shipwatch.feeds.sources import USAGE, parse_sources
from shipwatch.settings import Settings, get_settings
from streams.kafka.bulk_producer import BulkProducer
from streams.kafka.raw_publisher import RawPublisher
from streams.kafka.topics import ensure_topics

log = logging.getLogger("shipwatch.feed")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "feed",
        help="publish live AIS (TCP, UDP, aisstream.io, AISHub) onto the raw topic",
        description=f"Sources: {USAGE}. Credentials and filters come from settings only.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument(
        "--record", type=Path, metavar="FILE", help="also append what is published to FILE"
    )
    p.set_defaults(run=run)


async def feed(settings: Settings, sources: list[str], record: Path | None) -> Summary:
    """Run the sources until SIGTERM or SIGINT, then publish what is left and stop."""
    specs = parse_sources(sources, settings.feed_names)
    producer = BulkProducer(settings)
    publisher = RawPublisher(settings, producer)
    # A missing setting fails here, before anything starts.
    running = Feed(specs, settings, publisher.publish, record, publisher.status)
    await ensure_topics(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    producing = asyncio.create_task(producer.run())
    try:
        names = ", ".join(spec.name for spec in specs)
        log.info("feed: %s -> %s", names, settings.topic("ais-raw"))
        return await running.run(stop)
    finally:
        producing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producing


def run(args: argparse.Namespace) -> int:
    """Serve the feed's /metrics, run until stopped, print what was published."""
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    parse_sources(args.sources, settings.feed_names)  # a bad source fails before any start
    if settings.feed_metrics_port:
        start_http_server(
            settings.feed_metrics_port, settings.feed_metrics_host, registry=metrics.REGISTRY
        )
    summary = asyncio.run(feed(settings, args.sources, args.record))
    print(
        f"feed: {summary.published} messages published to {settings.topic('ais-raw')}, "
        f"{summary.duplicates} duplicates dropped"
    )
    return 0
