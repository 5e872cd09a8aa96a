"""`shipwatch decode FILE...`: normalized records on stdout, rejections and a summary on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from shipwatch.ais.errors import BadColumns
from shipwatch.ais.files import FORMATS
from shipwatch.ais.mapped_csv import FIELDS, SIGHTING_FIELDS, parse_columns
from shipwatch.ais.reading import Decoded, Tally, decode_files


def _columns(text: str) -> dict[str, str]:
    try:
        return parse_columns(text)
    except BadColumns as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_input_options(p: argparse.ArgumentParser) -> None:
    """`--format` and `--columns`, the same for decode, detect and replay."""
    p.add_argument(
        "--format",
        default="auto",
        choices=FORMATS,
        help="input format (default: told from the content; csv: another CSV, with --columns)",
    )
    p.add_argument(
        "--columns",
        type=_columns,
        default=None,
        metavar="FIELD=COLUMN,...",
        help="read another CSV by naming its columns, e.g. "
        f"mmsi=MMSI,ts=Time,lat=Lat,lon=Lon; fields: {', '.join(FIELDS)}; "
        f"satellite sightings instead: {', '.join(SIGHTING_FIELDS)}",
    )


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "decode",
        help="print normalized records (positions, statics, sightings, scenes) as JSON lines",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_input_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Decode the files."""
    tally = Tally()
    out = sys.stdout.buffer
    for item in decode_files(args.files, args.format, tally, args.columns):
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
