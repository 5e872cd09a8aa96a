"""`shipwatch detect FILE...`: the stream's detection in-process; alerts (and events) on stdout."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import orjson

from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.cli.decode import add_input_options
from shipwatch.pipeline.detector import Detector, Output
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import get_settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("detect", help="run detection over files without Kafka")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_input_options(p)
    p.add_argument(
        "--geofences",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of GeoJSON fences (default: SHIPWATCH_GEOFENCES_DIR)",
    )
    p.add_argument("--events", action="store_true", help="also print fence and voyage events")
    p.add_argument(
        "--flush",
        action="store_true",
        help="at the end, also apply the last fixes that wait for late data (the stream, "
        "which never ends, holds them: with --flush the output may have more than the stream)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Detect over the files."""
    index, ctx = build_core(args.geofences or get_settings().geofences_dir, get_settings())
    detector = Detector(index, ctx, strict=False)
    tally = Tally()
    out = sys.stdout.buffer
    alerts = failed = 0

    def emit(outputs: Iterable[Output]) -> None:
        nonlocal alerts, failed
        for output in outputs:
            if output.stream == "alerts":
                alerts += 1
            elif output.stream == "dead-letters" and output.record["reason"] == "internal_error":
                # A bug in a stage: the stream dead-letters the record and goes on; so does this.
                letter = output.record
                print(f"detect: the {letter['stage']} stage failed on {letter['record']}: "
                      f"{letter['detail']}", file=sys.stderr)  # fmt: skip
                failed += 1
                continue
            elif not args.events:
                continue
            out.write(orjson.dumps(output.record, option=orjson.OPT_SORT_KEYS) + b"\n")

    for item in decode_files(args.files, args.format, tally, args.columns):
        if isinstance(item, Decoded):
            for record in item.records:
                emit(detector.process(record))  # sightings too, in file order (no `.mmsi`)
    if args.flush:
        emit(detector.flush())
    out.flush()
    failures = f"; {failed} failed in a stage (dead-lettered)" if failed else ""
    print(f"detect: {tally.summary()}; {alerts} alerts{failures}", file=sys.stderr)
    return 0
