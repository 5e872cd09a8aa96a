"""Evidence exports of a vessel, an alert or a case: GeoJSON, CSV, KML and a JSON bundle (pure).

What is exported (`Subject`, its window, the track's lines, where events sit) is chosen in
`selection`, the same for every format; each format is a module of its own, and `render` picks
one by name for the web's downloads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from shipwatch.history.errors import HistoryError
from shipwatch.history.export.csv_table import CSV_COLUMNS, to_csv
from shipwatch.history.export.geojson import to_geojson
from shipwatch.history.export.json_bundle import FORMAT_VERSION, bundle
from shipwatch.history.export.kml import to_kml
from shipwatch.history.export.selection import (
    NEAREST_FIX_MAX,
    TRACK_GAP,
    WINDOW_MARGIN,
    NotInHistory,
    Subject,
    jsonable,
)
from shipwatch.history.model import VesselHistory

__all__ = [
    "CONTENT_TYPES",
    "CSV_COLUMNS",
    "FORMAT_VERSION",
    "NEAREST_FIX_MAX",
    "TRACK_GAP",
    "WINDOW_MARGIN",
    "NotInHistory",
    "Subject",
    "UnknownExportFormat",
    "bundle",
    "render",
    "to_csv",
    "to_geojson",
    "to_kml",
]

CONTENT_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "json": "application/json",
}

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")


class UnknownExportFormat(HistoryError):
    """The asked format is none of geojson, csv, kml, json."""


def _file_id(raw: str) -> str:
    # Ids come from records and URLs: keep them to a safe, bounded file-name alphabet.
    return _UNSAFE_FILE_CHARS.sub("_", raw)[:100] or "_"


def _file_stem(history: VesselHistory, subject: Subject) -> str:
    if subject.kind == "vessel":
        return f"vessel-{history.mmsi}"
    if subject.kind == "alert":
        return f"alert-{_file_id(subject.alert_ids[0])}"
    return f"case-{_file_id(subject.case_id or '')}"


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8", "replace")


def render(
    fmt: str,
    history: VesselHistory,
    subject: Subject,
    generated_at: str,
    rules: dict[str, Any] | None = None,
) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the subject exported in `fmt`."""
    renderers: dict[str, Callable[[], bytes]] = {
        "geojson": lambda: _json_bytes(jsonable(to_geojson(history, subject))),
        "csv": lambda: to_csv(history, subject).encode("utf-8", "replace"),
        "kml": lambda: to_kml(history, subject).encode("utf-8", "replace"),
        "json": lambda: _json_bytes(bundle(history, subject, rules, generated_at=generated_at)),
    }
    if fmt not in renderers:
        raise UnknownExportFormat(f"unknown export format {fmt!r}: one of {', '.join(renderers)}")
    body = renderers[fmt]()
    return body, CONTENT_TYPES[fmt], f"{_file_stem(history, subject)}.{fmt}"
