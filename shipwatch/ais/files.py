"""Reading recorded AIS files line by line into raw messages, with format detection."""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from shipwatch.ais.csv_rows import CsvRows
from shipwatch.ais.errors import BadColumns, Rejected, UnknownFormat

FORMATS = ("auto", "noaa", "dma", "nmea", "jsonl", "csv")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class RawUnit:
    """One input unit of a file, ready for the raw topic."""

    source: str
    line: int
    raw: bytes
    payload: bytes
    key: bytes | None
    read_bytes: int = 0  # of the file on disk (compressed, for .gz) so far: for progress


@dataclass(frozen=True, slots=True)
class UnreadableUnit:
    """One input line that could not even become a raw message."""

    source: str
    line: int
    raw: bytes
    error: Rejected
    read_bytes: int = 0


def _lines(path: Path) -> Iterator[tuple[bytes, int]]:
    """Each line (gunzipped for .gz) with the bytes of the file read so far."""
    with path.open("rb") as disk:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=disk) as unpacked:
                for line in unpacked:
                    yield line, disk.tell()
        else:
            done = 0
            for line in disk:
                done += len(line)
                yield line, done


def sniff(first_line: bytes) -> str:
    """The format of a file from its first non-empty line."""
    line = first_line.lstrip(BOM).strip()
    if line.upper().startswith(b"MMSI,BASEDATETIME"):
        return "noaa"
    if b"Type of mobile" in line or line.startswith(b"# Timestamp"):
        return "dma"
    if line[:1] == b"{":
        return "jsonl"
    if line[:1] in (b"!", b"\\", b"$"):
        return "nmea"
    raise UnknownFormat(
        f"cannot tell the format from the first line: {line[:60]!r} "
        "(give --format, or for another CSV --columns mmsi=...,ts=...,lat=...,lon=...)"
    )


def _key_of(line: bytes) -> bytes | None:
    # The MMSI of a normalized record, an AISHub report or an aisstream.io message (its
    # MetaData), so that a vessel's lines stay in order in one partition.
    try:
        obj = orjson.loads(line)
        mmsi = obj.get("mmsi", obj.get("MMSI"))
        if mmsi is None and isinstance(obj.get("MetaData"), dict):
            mmsi = obj["MetaData"].get("MMSI")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return str(mmsi).encode() if isinstance(mmsi, int | str) and str(mmsi).isdigit() else None


def read_units(
    path: Path, fmt: str = "auto", columns: Mapping[str, str] | None = None
) -> Iterator[RawUnit | UnreadableUnit]:
    """Yield every line of a file as a raw message (or as unreadable), in file order."""
    if columns and fmt not in ("auto", "csv"):
        raise BadColumns(f"--columns maps a generic CSV; it does not go with --format {fmt}")
    source = str(path)
    detected = "csv" if columns else (None if fmt == "auto" else fmt)
    rows: CsvRows | None = None
    for number, (raw, read) in enumerate(_lines(path), start=1):
        line = raw.rstrip(b"\r\n").removeprefix(BOM if number == 1 else b"")
        if not line.strip():
            continue
        detected = detected or sniff(line)
        if detected == "nmea":
            # Keyed by file: one file's sentences stay in order in one partition.
            yield RawUnit(source, number, line, line, path.name.encode(), read)
            continue
        if detected == "jsonl":
            yield RawUnit(source, number, line, line, _key_of(line), read)
            continue
        rows = rows or CsvRows(detected, columns)
        try:
            made = rows.add(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield UnreadableUnit(source, number, line, Rejected("bad_encoding", str(exc)), read)
            continue
        except Rejected as exc:
            yield UnreadableUnit(source, number, line, exc, read)
            continue
        if made is not None:
            yield RawUnit(source, number, line, made[0], made[1], read)
