"""`shipwatch decode FILE...`: normalized records on stdout, rejections and a summary on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from ais.reading import Decoded, Tally, decode_files


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser("decode", help="print normalized records as JSON lines")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--format", default="auto", choices=("auto", "noaa", "dma", "nmea", "jsonl"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Decode the files."""
    tally = Tally()
    out = sys.stdout.buffer
    for item in decode_files(args.files, args.format, tally):
        if isinstance(item, Decoded):
            for record in item.records:
                out.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
        else:
            print(
                f"{item.source}:{item.line}: {item.error.reason}: {item.error.detail}",
                file=sys.stderr,
            )
    out.flush()
    print(f"decode: {tally.summary()}", file=sys.stderr)
    return 0
