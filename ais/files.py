"""Reading recorded AIS files line by line into raw messages, with format detection."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import orjson

from ais.errors import Rejected, UnknownFormat

FORMATS = ("auto", "noaa", "dma", "nmea", "jsonl")
CSV_FORMATS = {"noaa"}


@dataclass(frozen=True, slots=True)
class RawUnit:
    """One input unit of a file, ready for the raw topic."""

    source: str
    line: int
    raw: bytes
    payload: bytes
    key: bytes | None


@dataclass(frozen=True, slots=True)
class UnreadableUnit:
    """One input line that could not even become a raw message."""

    source: str
    line: int
    raw: bytes
    error: Rejected


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def sniff(first_line: bytes) -> str:
    """The format of a file from its first non-empty line."""
    line = first_line.lstrip(b"\xef\xbb\xbf").strip()
    if line.upper().startswith(b"MMSI,BASEDATETIME"):
        return "noaa"
    if b"Type of mobile" in line or line.startswith(b"# Timestamp"):
        return "dma"
    if line[:1] == b"{":
        return "jsonl"
    if line[:1] in (b"!", b"\\", b"$"):
        return "nmea"
    raise UnknownFormat(f"cannot tell the format from the first line: {line[:60]!r}")


def _key_of(payload_obj: dict[str, object]) -> bytes | None:
    mmsi = payload_obj.get("mmsi")
    return str(mmsi).encode() if isinstance(mmsi, int | str) and str(mmsi).isdigit() else None


def read_units(path: Path, fmt: str = "auto") -> Iterator[RawUnit | UnreadableUnit]:
    """Yield every line of a file as a raw message (or as unreadable), in file order."""
    source = str(path)
    with _open(path) as fh:
        header: list[str] | None = None
        detected = None if fmt == "auto" else fmt
        if detected in ("dma", "nmea"):
            raise UnknownFormat(f"format {detected!r} is not supported yet")
        for number, raw in enumerate(fh, start=1):
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            if detected is None:
                detected = sniff(line)
                if detected in ("dma", "nmea"):
                    raise UnknownFormat(f"{source}: format {detected!r} is not supported yet")
            if detected == "jsonl":
                try:
                    key = _key_of(orjson.loads(line))
                except (orjson.JSONDecodeError, AttributeError):
                    key = None
                yield RawUnit(source, number, line, line, key)
                continue
            try:
                text = line.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                yield UnreadableUnit(source, number, line, Rejected("bad_encoding", str(exc)))
                continue
            cells = next(csv.reader([text]))
            if header is None:
                header = [c.strip() for c in cells]
                continue
            if len(cells) != len(header):
                error = Rejected("bad_csv", f"{len(cells)} columns, header has {len(header)}")
                yield UnreadableUnit(source, number, line, error)
                continue
            row = dict(zip(header, cells, strict=True))
            payload = orjson.dumps({"format": detected, "row": row})
            mmsi = row.get("MMSI", "").strip()
            yield RawUnit(source, number, line, payload, mmsi.encode() if mmsi.isdigit() else None)
