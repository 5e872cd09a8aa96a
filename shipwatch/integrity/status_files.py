"""Identities that no ship should carry any more: IMO numbers of ships scrapped, lost, broken up
or missing, from CSV files the user provides (SHIPWATCH_IDENTITY_STATUS_FILES; nothing is
bundled, docs/identity-lists.md says where such lists come from). Read once at start, like the
sanctions lists (alerts/watchlist.py `load_sanctions`); pure but for the reading.

A file has a header row naming its columns, `imo,status,date` and optionally `name` and
`source`, in any order; then one ship a row. `#` at the start of a line makes it a comment.
A position under such an IMO after the date is a zombie identity (`zombie`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from shipwatch.errors import ShipwatchError
from shipwatch.integrity.identifiers import imo_plausible, imo_valid

STATUSES = frozenset({"scrapped", "lost", "broken_up", "missing"})
REQUIRED = ("imo", "status", "date")
OPTIONAL = ("name", "source")
DAY_S = 86_400.0
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # fromisoformat alone also takes 20240312
IMO_CELL = re.compile(r"(?:IMO)?\s*(\d+)", re.I)  # "9074729", "IMO 9074729", "IMO9074729"


class StatusFileError(ShipwatchError):
    """An identity status file is unusable; the message names the file, line and reason."""


@dataclass(frozen=True, slots=True)
class IdentityStatus:
    """What a list says became of the ship that held an IMO number, and since when."""

    status: str  # scrapped, lost, broken_up or missing
    date: str  # YYYY-MM-DD, as the list gives it
    since_epoch: float  # the date's midnight, UTC
    source: str  # the row's source, else the file's name
    name: str | None = None

    def evidence(self) -> dict[str, Any]:
        """What an `invalid_identity` (zombie) event says of it: its `status` field."""
        return {"status": self.status, "date": self.date, "source": self.source}


def parse_statuses(text: str, origin: str) -> list[tuple[int, IdentityStatus]]:
    """The (IMO, status) rows of one file's text; `origin` names the file in errors and is the
    source of rows that give none."""
    reader = csv.reader(io.StringIO(text))
    columns: dict[str, int] | None = None
    rows: list[tuple[int, IdentityStatus]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if columns is None:
                columns = _header(row, origin, line)
                continue
            if len(row) != len(columns):
                raise StatusFileError(
                    f"{origin}:{line}: {len(row)} columns where the header has {len(columns)}"
                )
            rows.append(_row({name: row[i].strip() for name, i in columns.items()}, origin, line))
    except csv.Error as exc:
        raise StatusFileError(f"{origin}:{reader.line_num}: not CSV: {exc}") from exc
    if columns is None:
        raise StatusFileError(f"{origin}: no header row (imo,status,date[,name,source])")
    return rows


def _header(row: list[str], origin: str, line: int) -> dict[str, int]:
    names = [cell.strip().lower() for cell in row]
    unknown = [n for n in names if n not in (*REQUIRED, *OPTIONAL)]
    missing = [n for n in REQUIRED if n not in names]
    if unknown or missing or len(set(names)) != len(names):
        # Strict, so that a misspelt column is an error rather than a column silently unread.
        raise StatusFileError(
            f"{origin}:{line}: the header must name imo, status and date, and may name name and"
            f" source, each once; it reads {','.join(names)!r}"
        )
    return {name: i for i, name in enumerate(names)}


def _row(cells: dict[str, str], origin: str, line: int) -> tuple[int, IdentityStatus]:
    where = f"{origin}:{line}"
    found = IMO_CELL.fullmatch(cells["imo"])
    imo = int(found.group(1)) if found else None
    if imo is None or not imo_plausible(imo):
        raise StatusFileError(f"{where}: imo {cells['imo'][:20]!r} is not a 7-digit IMO number")
    if not imo_valid(imo):
        # Every IMO number issued passes its check: this one is a typo, and a typo could mark
        # some other ship's identity as dead.
        raise StatusFileError(f"{where}: imo {imo} fails its check digit (a typo?)")
    status = "_".join(cells["status"].lower().replace("-", " ").split())
    if status not in STATUSES:
        raise StatusFileError(
            f"{where}: status {cells['status'][:20]!r} is not one of {', '.join(sorted(STATUSES))}"
        )
    text = cells["date"]
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise StatusFileError(f"{where}: date {text[:20]!r} is not a date as YYYY-MM-DD") from None
    since = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    source = cells.get("source") or Path(origin).name
    return imo, IdentityStatus(status, text, since, source, cells.get("name") or None)


def merge(
    rows: Iterable[tuple[int, IdentityStatus]],
) -> Mapping[int, IdentityStatus]:
    """One status per IMO number, read-only: where lists disagree, the earliest date (then the
    first given), as an identity once dead stays dead."""
    found: dict[int, IdentityStatus] = {}
    for imo, status in rows:
        known = found.get(imo)
        if known is None or status.since_epoch < known.since_epoch:
            found[imo] = status
    return MappingProxyType(found)


def load_statuses(paths: Iterable[Path]) -> Mapping[int, IdentityStatus]:
    """The identity statuses of the files, read-only by IMO; a file that is unreadable or has a
    bad row fails, naming the file, the line and why."""
    rows: list[tuple[int, IdentityStatus]] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StatusFileError(
                f"{path}: cannot read identity status file: {exc.strerror}"
            ) from exc
        try:
            text = data.decode("utf-8-sig")  # a spreadsheet's export starts with a BOM
        except UnicodeDecodeError as exc:
            raise StatusFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
        rows += parse_statuses(text, str(path))
    return merge(rows)


def zombie(
    statuses: Mapping[int, IdentityStatus], imo: int | None, t: float
) -> IdentityStatus | None:
    """The status of `imo` if a position at epoch `t` under it comes after the listed date."""
    if not imo:
        return None
    status = statuses.get(imo)
    # After the date means from the next midnight: on the day itself the ship may still sail
    # (to the beach where it is broken up, or to where it was lost).
    if status is None or t < status.since_epoch + DAY_S:
        return None
    return status
