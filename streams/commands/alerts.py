"""`shipwatch alerts`: read the alerts topic, as text for people or JSON lines for scripts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from streams.alert_reader import read_alerts
from streams.settings import get_settings
from streams.topics import ensure_topics

COLOURS = {"critical": "\033[1;31m", "warning": "\033[33m", "info": "\033[36m"}
RESET = "\033[0m"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("alerts", help="read the alerts topic")
    p.add_argument("--follow", "-f", action="store_true", help="keep waiting for new alerts")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest alert")
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        metavar="S",
        help="exit after S seconds with nothing new",
    )
    p.add_argument("--json", action="store_true", help="one alert per line, as published")
    p.set_defaults(run=run)


def human(alert: dict[str, Any], colour: bool) -> str:
    """One readable line per alert."""
    sev = str(alert.get("severity", "?"))
    tag = f"{COLOURS.get(sev, '')}{sev.upper():<8}{RESET}" if colour else f"{sev.upper():<8}"
    where = " ".join(x for x in (alert.get("route"), alert.get("port")) if x)
    return (
        f"{alert.get('at', '?')}  {tag} {alert.get('kind', '?'):<20} "
        f"MMSI {alert.get('mmsi', '?')}  {where}  {alert.get('title', '')}"
    )


async def _print(args: argparse.Namespace) -> int:
    settings = get_settings()
    counts = await ensure_topics(settings)
    colour = sys.stdout.isatty()
    seen: set[str] = set()
    async for value in read_alerts(
        settings,
        counts[settings.topic("alerts")],
        from_beginning=args.from_beginning,
        follow=args.follow,
        idle_timeout=args.idle_timeout,
    ):
        try:
            alert = orjson.loads(value)
        except orjson.JSONDecodeError:
            print("shipwatch alerts: skipped a value that is not JSON", file=sys.stderr)
            continue
        # At-least-once delivery can repeat an alert; its id says it is the same finding.
        alert_id = str(alert.get("alert_id"))
        if alert_id in seen:
            continue
        seen.add(alert_id)
        if args.json:
            sys.stdout.buffer.write(value + b"\n")
            sys.stdout.flush()
        else:
            print(human(alert, colour), flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    """Read and print."""
    return asyncio.run(_print(args))
