"""`shipwatch geofences`: list and validate the fences in use."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geofences.loader import load_dir
from shipwatch.settings import get_settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("geofences", help="list and validate geofences")
    p.add_argument("--geofences", type=Path, default=None, metavar="DIR")
    p.add_argument("--json", action="store_true", help="one JSON object per fence")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load, validate and list; a broken file is an error naming it (raised to the CLI)."""
    folder = args.geofences or get_settings().geofences_dir
    fences = load_dir(folder)
    for fence in fences:
        info = fence.describe()
        if args.json:
            print(json.dumps(info))
        else:
            print(
                f"{info['id']:<14} {info['role']:<10} {info['country'] or '--':<3} "
                f"{info['area_km2']:>8.2f} km2  exit buffer {info['exit_buffer_m']:.0f} m  "
                f"{info['name']}"
            )
    if not args.json:
        print(f"{len(fences)} geofences valid in {folder}")
    return 0
