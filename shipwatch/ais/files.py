"""Reading recorded AIS files line by line into raw messages, with format detection."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from shipwatch.ais.csv_rows import CsvRows
from shipwatch.ais.errors import BadColumns, Rejected, UnknownFormat
from shipwatch.ais.vessel_keys import VesselKeys

FORMATS = ("auto", "noaa", "dma", "nmea", "jsonl", "csv")
BOM = b"\xef\xbb\xbf"
SNIFF_LINES = 5  # the format is told from the first of these lines that shows it


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


def _lines(path: Path) -> Iterator[tuple[bytes | Rejected, int]]:
    """Each line (gunzipped for .gz) with the bytes of the file read so far; a compressed file
    that ends early or is corrupt ends with the rejection that says so."""
    with path.open("rb") as disk:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=disk) as unpacked:
                try:
                    for line in unpacked:
                        yield line, disk.tell()
                except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                    yield Rejected("truncated", f"{path.name}: {exc}"), disk.tell()
        else:
            done = 0
            for line in disk:
                done += len(line)
                yield line, done


def sniff(first_line: bytes) -> str:
    """The format of a file from its first non-empty line."""
    line = first_line.lstrip(BOM).strip()
    if line[:1] == b"{":  # before the headers: a record may mention their words
        return "jsonl"
    if line[:1] in (b"!", b"\\", b"$"):
        return "nmea"
    if line.upper().startswith(b"MMSI,BASEDATETIME"):
        return "noaa"
    if b"Type of mobile" in line or line.startswith(b"# Timestamp"):
        return "dma"
    raise UnknownFormat(
        f"cannot tell the format from the line {line[:60]!r} "
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
    # NMEA: each line keyed by its vessel, so that a vessel in two files stays in one partition;
    # a line that names none by its file, so that a file's other lines keep their order.
    keys: VesselKeys[tuple[int, bytes, int]] = VesselKeys()
    file_key = path.name.encode()
    unknown: list[UnreadableUnit] = []  # lines no format was told from, before one was
    for number, (raw, read) in enumerate(_lines(path), start=1):
        if isinstance(raw, Rejected):
            yield from unknown if detected is None else ()
            yield from _time_lines_left(source, keys)
            yield UnreadableUnit(source, number, b"", raw, read)
            return
        line = raw.rstrip(b"\r\n").removeprefix(BOM if number == 1 else b"")
        if not line.strip():
            continue
        if detected is None:
            try:
                detected = sniff(line)
            except UnknownFormat as exc:
                if len(unknown) + 1 >= SNIFF_LINES:
                    raise  # not one format we know: say what to give
                unknown.append(
                    UnreadableUnit(source, number, line, Rejected("unknown_format", str(exc)), read)
                )
                continue
            yield from unknown
        if detected == "nmea":
            for (at, held, done), key in keys.take(file_key, (number, line, read), line):
                yield RawUnit(source, at, held, held, key, done)
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
    yield from _time_lines_left(source, keys)
    if detected is None and unknown:  # not one line showed a format: say what to give
        raise UnknownFormat(unknown[0].error.detail)


def _time_lines_left(source: str, keys: VesselKeys[tuple[int, bytes, int]]) -> Iterator[RawUnit]:
    for (at, line, done), key in keys.flush():
        yield RawUnit(source, at, line, line, key, done)
