"""The `shipwatch` console script: one subcommand per module in streams.commands."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from ais.errors import AisError
from alerts.routes import RouteError
from alerts.watchlist import WatchlistError
from geofences.errors import GeofenceError
from streams.commands import alerts, broker, decode, detect, geofences, replay, worker
from streams.errors import StreamsError

COMMANDS = (broker, worker, replay, alerts, detect, decode, geofences)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="shipwatch", description="Event-streaming ship-tracking monitor on Apache Kafka."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; known errors become one clear line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (AisError, GeofenceError, StreamsError, WatchlistError, RouteError, OSError) as exc:
        print(f"shipwatch {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"shipwatch {args.command}: invalid settings: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
