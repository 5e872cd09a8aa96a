"""`shipwatch replay FILE...`: publish recorded AIS onto the raw input topic."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from streams.replayer import replay
from streams.settings import get_settings
from streams.topics import ensure_topics


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("replay", help="publish recorded AIS onto the raw topic")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--format", default="auto", choices=("auto", "noaa", "dma", "nmea", "jsonl"))
    pace = p.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed", type=float, default=1.0, help="event time × SPEED (default 1: as recorded)"
    )
    pace.add_argument("--max", action="store_true", help="as fast as the broker takes it")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Replay and print the counts once every message is acknowledged."""
    if not args.max and args.speed <= 0:
        print("shipwatch replay: error: --speed must be > 0", file=sys.stderr)
        return 2
    settings = get_settings()
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"shipwatch replay: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    asyncio.run(ensure_topics(settings))
    counts = asyncio.run(
        replay(settings, args.files, args.format, None if args.max else args.speed)
    )
    took = time.monotonic() - started
    print(
        f"replay: {counts.sent} messages sent to {settings.topic('ais-raw')}, "
        f"{counts.dead_lettered} unreadable lines to {settings.topic('dead-letters')}, "
        f"{counts.files} files in {took:.1f} s"
    )
    return 0
