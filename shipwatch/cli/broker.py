"""`shipwatch broker start|stop|status`: the local single-node Kafka for development and tests."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("broker", help="run a local single-node Apache Kafka (KRaft)")
    p.add_argument(
        "action", choices=("start", "stop", "status"), help="status exits 0 if running, 3 if not"
    )
    p.add_argument("--fresh", action="store_true", help="with start: wipe the broker's data first")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for start")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Delegate to the broker manager."""
    from shipwatch import broker

    return broker.run(args.action, fresh=args.fresh, timeout=args.timeout)
