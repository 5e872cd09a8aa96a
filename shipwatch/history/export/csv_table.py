"""The CSV export: one table of fixes, events, alerts and identity changes, by time (pure)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from shipwatch.history.export.selection import (
    Subject,
    finite,
    jsonable,
    parse_time,
    record_position,
    select,
)
from shipwatch.history.model import TimelineEntry, VesselHistory

CSV_COLUMNS = (
    "type",
    "at",
    "mmsi",
    "name",
    "kind",
    "lat",
    "lon",
    "sog",
    "cog",
    "heading",
    "detail",
)

# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ROW_ORDER = {"fix": 0, "event": 1, "alert": 2, "identity": 3}


def _text_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # The quote makes a spreadsheet show the text instead of running it as a formula.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number_cell(value: object) -> str:
    if value is None:
        return ""
    number = finite(value)
    if number is None:
        # Not a number after all: treated as the untrusted text it is.
        return "" if isinstance(value, float) else _text_cell(value)
    return str(value) if isinstance(value, int) else repr(number)


def _entry_name(entry: TimelineEntry) -> object:
    record = entry.record
    if entry.source == "identity":
        return record.get("new") if record.get("field") == "name" else None
    if entry.source == "alert":
        evidence = record.get("evidence")
        return evidence.get("name") if isinstance(evidence, dict) else None
    return record.get("name")


def _sort_key(at: str, row_type: str) -> tuple[int, datetime, str, int]:
    moment = parse_time(at)
    # Rows without a readable time go last rather than being dropped.
    if moment is None:
        return (1, datetime.min.replace(tzinfo=UTC), at, _ROW_ORDER[row_type])
    return (0, moment, "", _ROW_ORDER[row_type])


def to_csv(history: VesselHistory, subject: Subject) -> str:
    """The subject as one CSV table of fixes, events, alerts and identity changes, by time."""
    selection = select(history, subject)
    rows: list[tuple[tuple[int, datetime, str, int], list[str]]] = []
    mmsi = _number_cell(history.mmsi)
    for fix in selection.track:
        cells = [
            "fix",
            _text_cell(fix.ts),
            mmsi,
            "",
            "",
            *(_number_cell(v) for v in (fix.lat, fix.lon, fix.sog, fix.cog, fix.heading)),
            "",
        ]
        rows.append((_sort_key(fix.ts, "fix"), cells))
    for entry in selection.timeline:
        row_type = entry.source if entry.source in _ROW_ORDER else "event"
        where = record_position(entry)
        detail = json.dumps(jsonable(entry.record), sort_keys=True, ensure_ascii=False)
        cells = [
            row_type,
            _text_cell(entry.at),
            mmsi,
            _text_cell(_entry_name(entry)),
            _text_cell(entry.kind),
            _number_cell(where[0] if where else None),
            _number_cell(where[1] if where else None),
            _number_cell(entry.record.get("sog")),
            _number_cell(entry.record.get("cog")),
            _number_cell(entry.record.get("heading")),
            _text_cell(detail),
        ]
        rows.append((_sort_key(entry.at, row_type), cells))
    rows.sort(key=lambda row: row[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(cells for _, cells in rows)
    return out.getvalue()
