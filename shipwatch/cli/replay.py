"""`shipwatch replay FILE...`: publish recorded AIS onto the raw input topic."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from shipwatch.cli.decode import add_input_options
from shipwatch.settings import get_settings
from streams.kafka.replayer import ReplayCounts, replay
from streams.kafka.topics import ensure_topics

BAR_WIDTH = 30


class ProgressReport:
    """Progress on stderr: a bar redrawn 4 times a second on a terminal, else a line at times."""

    def __init__(self, stream: TextIO, every: float = 10.0, every_n: int = 100_000) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        # A terminal wants a live bar; a log file wants few, complete lines.
        self.every = 0.25 if self.tty else every
        self.every_n = every_n
        self.started = self.last = time.monotonic()
        self.last_sent = 0
        self.drawn = False

    def __call__(self, counts: ReplayCounts, fraction: float) -> None:
        """Report if enough time (or, without a terminal, enough messages) has passed."""
        now = time.monotonic()
        many = not self.tty and counts.sent - self.last_sent >= self.every_n
        if now - self.last < self.every and not many:
            return
        self.last, self.last_sent = now, counts.sent
        rate = counts.sent / max(now - self.started, 1e-6)
        text = f"{counts.sent:,} sent, {counts.dead_lettered:,} rejected, {rate:,.0f}/s"
        if self.tty:
            bar = "#" * int(fraction * BAR_WIDTH)
            self.stream.write(f"\r[{bar:<{BAR_WIDTH}}] {fraction:4.0%} {text}\x1b[K")
            self.drawn = True
        else:
            self.stream.write(f"replay: {fraction:.0%} of the input, {text}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line so that what follows starts on its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("replay", help="publish recorded AIS onto the raw topic")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_input_options(p)
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
    report = ProgressReport(sys.stderr)
    try:
        counts = asyncio.run(
            replay(
                settings,
                args.files,
                args.format,
                None if args.max else args.speed,
                args.columns,
                report,
            )
        )
    finally:
        report.close()
    took = time.monotonic() - started
    print(
        f"replay: {counts.sent} messages sent to {settings.topic('ais-raw')}, "
        f"{counts.dead_lettered} rejected (unreadable lines) to "
        f"{settings.topic('dead-letters')}, {counts.files} files in {took:.1f} s"
    )
    return 0
