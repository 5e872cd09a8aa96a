"""`shipwatch alerts`: read the alerts topic, as text for people or JSON lines for scripts."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import orjson

from shipwatch.ais.flags import flag
from shipwatch.settings import get_settings
from streams.kafka.alert_reader import read_alerts
from streams.kafka.topics import ensure_topics

COLOURS = {"critical": "\033[1;31m", "warning": "\033[33m", "info": "\033[36m"}
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
# Control characters in a feed's text could drive the terminal (escape sequences): dropped.
CONTROL = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])


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


def _clean(value: Any) -> str:
    return str(value).translate(CONTROL)


def _when(value: Any) -> str:
    text = _clean(value or "?")
    return text.replace("T", " ").removesuffix("Z") + (" UTC" if text.endswith("Z") else "")


def human(alert: dict[str, Any], colour: bool) -> str:
    """A readable block per alert: what and when, which vessel and where, then the evidence."""

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if colour else text

    sev = _clean(alert.get("severity", "?"))
    if alert.get("status") == "retracted":
        sev = f"retracted {sev}"
    mmsi = alert.get("mmsi", "?")
    given = alert.get("evidence")
    evidence: dict[str, Any] = given if isinstance(given, dict) else {}
    name = evidence.get("name")
    vessel = f"{_clean(name)} · MMSI {_clean(mmsi)}" if name else f"MMSI {_clean(mmsi)}"
    country = flag(mmsi)["country"] if isinstance(mmsi, int) else None
    if country:
        vessel += f" ({country})"
    where = [f"{key} {_clean(alert[key])}" for key in ("route", "port") if alert.get(key)]
    # Unknown values (null) say nothing to a person: left out here, kept in --json.
    facts = "  ".join(f"{_clean(k)}={_clean(v)}" for k, v in evidence.items() if v is not None)
    lines = [
        f"{_when(alert.get('at'))}  {paint(COLOURS.get(sev, ''), f'{sev.upper():<8}')}  "
        + paint(BOLD, _clean(alert.get("title") or alert.get("kind", "?"))),
        "    " + " · ".join([_clean(alert.get("kind", "?")), vessel, *where]),
    ]
    if facts:
        lines.append("    " + paint(DIM, facts))
    return "\n".join(lines)


async def _print(args: argparse.Namespace) -> int:
    settings = get_settings()
    counts = await ensure_topics(settings)
    # Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
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
        # A retraction repeats an alert's id with status "retracted": show it too.
        alert_id = f"{alert.get('alert_id')}|{alert.get('status', 'active')}"
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
