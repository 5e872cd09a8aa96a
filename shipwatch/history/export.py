"""Evidence exports of a vessel, an alert or a case: GeoJSON, CSV, KML and a JSON bundle (pure)."""

from __future__ import annotations

import bisect
import csv
import html
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shipwatch.history.errors import HistoryError
from shipwatch.history.model import Fix, Record, TimelineEntry, VesselHistory

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

# An alert or case export reaches this far before its earliest time and after its latest:
# enough to show the approach to and the departure from what was alerted on.
WINDOW_MARGIN = timedelta(hours=48)
# Consecutive fixes further apart than this are not joined: an AIS gap is not a sailing.
TRACK_GAP = timedelta(hours=6)
# An event without its own position is placed at the nearest fix only if that fix is this close
# in time; further away the vessel may have moved tens of miles, so it gets no point at all.
NEAREST_FIX_MAX = timedelta(hours=2)
# Bumped when the bundle's keys change meaning, so that archived bundles stay readable.
FORMAT_VERSION = 1

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
CONTENT_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "json": "application/json",
}
KML_NS = "http://www.opengis.net/kml/2.2"

# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot carry these characters at all, even escaped: they would make the KML unreadable.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_ROW_ORDER = {"fix": 0, "event": 1, "alert": 2, "identity": 3}
# Only values under these keys are times: a vessel name that looks like a date (anyone can
# transmit one) must not stretch an export's window.
_TIME_KEYS = frozenset({"at", "ts", "window_start", "window_end"})
_EVIDENCE_DEPTH = 3  # evidence nests a record or a list of them at most; no deeper walk needed


class UnknownExportFormat(HistoryError):
    """The asked format is none of geojson, csv, kml, json."""


class NotInHistory(HistoryError):
    """An alert the subject names is not in the vessel's history."""


@dataclass(frozen=True, slots=True)
class Subject:
    """What is exported: the whole vessel, one alert, or a case (alerts of one vessel)."""

    kind: Literal["vessel", "alert", "case"]
    alert_ids: tuple[str, ...] = ()
    case_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "vessel" and (self.alert_ids or self.case_id is not None):
            raise ValueError("a vessel export names no alerts and no case")
        if self.kind == "alert" and (len(self.alert_ids) != 1 or self.case_id is not None):
            raise ValueError("an alert export names exactly one alert and no case")
        if self.kind == "case" and (not self.alert_ids or not self.case_id):
            raise ValueError("a case export names its case id and at least one alert")

    @classmethod
    def vessel(cls) -> Subject:
        """The whole vessel: its full track and timeline."""
        return cls("vessel")

    @classmethod
    def alert(cls, alert_id: str) -> Subject:
        """One alert and what happened around it."""
        return cls("alert", (alert_id,))

    @classmethod
    def case(cls, case_id: str, alert_ids: Iterable[str]) -> Subject:
        """A case: alerts of one vessel and what happened around them."""
        return cls("case", tuple(dict.fromkeys(alert_ids)), case_id)

    def label(self, mmsi: int) -> str:
        """How the subject is named in titles: vessel 445123456, alert <id>, case <id>."""
        if self.kind == "vessel":
            return f"vessel {mmsi}"
        if self.kind == "alert":
            return f"alert {self.alert_ids[0]}"
        return f"case {self.case_id}"

    def as_json(self) -> Record:
        """The subject as the bundle writes it."""
        return {"kind": self.kind, "alert_ids": list(self.alert_ids), "case_id": self.case_id}


@dataclass(frozen=True, slots=True)
class _Selection:
    """The part of a history an export shows."""

    alerts: list[Record]  # the subject's alerts (every one for a vessel), retractions included
    timeline: list[TimelineEntry]
    track: list[Fix]
    window: tuple[datetime, datetime] | None  # None: the whole vessel, unwindowed


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Published times are UTC with a Z; a naive one is taken as UTC rather than local time.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _is_time_key(key: object) -> bool:
    return isinstance(key, str) and (key in _TIME_KEYS or key.endswith("_at"))


def _record_times(record: Record) -> list[datetime]:
    """The times at the top of a record (at, arrived_at, departed_at, ...)."""
    times = (_parse_time(value) for key, value in record.items() if _is_time_key(key))
    return [moment for moment in times if moment is not None]


def _evidence_times(value: object, depth: int = 0) -> Iterator[datetime]:
    """The times anywhere in an alert's evidence (a cap alert nests its delivery)."""
    if depth > _EVIDENCE_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            moment = _parse_time(item) if _is_time_key(key) else None
            if moment is not None:
                yield moment
            elif isinstance(item, dict | list):
                yield from _evidence_times(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _evidence_times(item, depth + 1)


def _alert_times(alert: Record) -> list[datetime]:
    times = [moment for moment in [_parse_time(alert.get("at"))] if moment is not None]
    return times + list(_evidence_times(alert.get("evidence")))


def _entry_times(entry: TimelineEntry) -> list[datetime]:
    times = [moment for moment in [_parse_time(entry.at)] if moment is not None]
    times += _record_times(entry.record)
    if entry.source == "alert":
        times += _evidence_times(entry.record.get("evidence"))
    return times


def _select(history: VesselHistory, subject: Subject) -> _Selection:
    if subject.kind == "vessel":
        return _Selection(history.alerts, list(history.timeline), list(history.track), None)
    wanted = set(subject.alert_ids)
    alerts = [alert for alert in history.alerts if alert.get("alert_id") in wanted]
    missing = wanted - {alert.get("alert_id") for alert in alerts}
    if missing:
        raise NotInHistory(f"not in the history of {history.mmsi}: {', '.join(sorted(missing))}")
    times = [moment for alert in alerts for moment in _alert_times(alert)]
    if not times:
        # Published alerts always carry `at`; one without any time cannot place a window.
        raise NotInHistory(f"no time in alerts {', '.join(sorted(wanted))}")
    start, end = min(times) - WINDOW_MARGIN, max(times) + WINDOW_MARGIN

    def within(entry: TimelineEntry) -> bool:
        if entry.source == "alert" and entry.record.get("alert_id") in wanted:
            return True
        entry_times = _entry_times(entry)
        # A port call that began before the window and ended inside it belongs in it.
        return bool(entry_times) and min(entry_times) <= end and max(entry_times) >= start

    def fix_within(fix: Fix) -> bool:
        moment = _parse_time(fix.ts)
        return moment is not None and start <= moment <= end

    timeline = [entry for entry in history.timeline if within(entry)]
    track = [fix for fix in history.track if fix_within(fix)]
    return _Selection(alerts, timeline, track, (start, end))


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _jsonable(value: Any) -> Any:
    """The value as strict JSON can hold it: NaN and infinities become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _fix_json(fix: Fix) -> Record:
    return {
        "ts": fix.ts,
        "lat": _finite(fix.lat),
        "lon": _finite(fix.lon),
        "sog": _finite(fix.sog),
        "cog": _finite(fix.cog),
        "heading": _finite(fix.heading),
    }


def _position(lat: object, lon: object) -> tuple[float, float] | None:
    """(lat, lon) when both are real coordinates on the globe."""
    flat, flon = _finite(lat), _finite(lon)
    if flat is None or flon is None or not (-90 <= flat <= 90 and -180 <= flon <= 180):
        return None
    return flat, flon


def _mappable(track: list[Fix]) -> list[tuple[datetime | None, Fix]]:
    """The fixes that can be drawn, with their parsed times."""
    return [(_parse_time(f.ts), f) for f in track if _position(f.lat, f.lon) is not None]


def _segments(track: list[Fix]) -> list[list[Fix]]:
    """The track cut at AIS gaps, and where it crosses the antimeridian (a line from 179° E to
    179° W would otherwise be drawn the long way round the globe)."""
    segments: list[list[Fix]] = []
    last: tuple[datetime | None, Fix] | None = None
    for moment, fix in _mappable(track):
        cut = (
            last is None
            or moment is None
            or last[0] is None
            or moment - last[0] > TRACK_GAP
            or abs(fix.lon - last[1].lon) > 180
        )
        if cut:
            segments.append([fix])
        else:
            segments[-1].append(fix)
        last = (moment, fix)
    return segments


def _lines(track: list[Fix]) -> list[list[Fix]]:
    # A lone fix between two gaps is no line; it still shows as its own point.
    return [segment for segment in _segments(track) if len(segment) >= 2]


@dataclass(frozen=True, slots=True)
class _Placed:
    """A timeline entry with the position it is shown at."""

    entry: TimelineEntry
    lat: float
    lon: float
    position_from: Literal["record", "nearest_fix"]
    nearest_fix_ts: str | None


def _record_position(entry: TimelineEntry) -> tuple[float, float] | None:
    record = entry.record
    evidence = record.get("evidence")
    candidates: list[Record] = [record]
    if entry.source == "alert" and isinstance(evidence, dict):
        candidates.append(evidence)  # encounter and loitering alerts keep it in the evidence
    for holder in candidates:
        # A gap event's `at` is its end, so its end position is where it is shown.
        for lat_key, lon_key in (("lat", "lon"), ("to_lat", "to_lon")):
            where = _position(holder.get(lat_key), holder.get(lon_key))
            if where is not None:
                return where
    return None


def _placed(selection: _Selection) -> list[_Placed]:
    """The events and alerts that can be put on a map, and how their position was found."""
    timed = [(moment, fix) for moment, fix in _mappable(selection.track) if moment is not None]
    timed.sort(key=lambda pair: pair[0])
    moments = [moment for moment, _ in timed]
    placed = []
    for entry in selection.timeline:
        if entry.source not in ("event", "alert"):
            continue
        where = _record_position(entry)
        if where is not None:
            placed.append(_Placed(entry, where[0], where[1], "record", None))
            continue
        at = _parse_time(entry.at)
        if at is None or not timed:
            continue
        i = bisect.bisect_left(moments, at)
        # The nearest fix in time is one of the two around `at`.
        nearby = [(abs(timed[j][0] - at), j) for j in (i - 1, i) if 0 <= j < len(timed)]
        offset, j = min(nearby)
        fix = timed[j][1]
        if offset <= NEAREST_FIX_MAX:
            placed.append(_Placed(entry, fix.lat, fix.lon, "nearest_fix", fix.ts))
    return placed


def _name(history: VesselHistory) -> str:
    name = history.identity.get("name")
    return str(name).strip() if name is not None and str(name).strip() else f"MMSI {history.mmsi}"


def to_geojson(history: VesselHistory, subject: Subject) -> dict[str, Any]:
    """The subject as a GeoJSON FeatureCollection: track line(s), fixes, events and alerts."""
    selection = _select(history, subject)
    features: list[Record] = []
    lines = _lines(selection.track)
    if lines:
        coordinates = [[[fix.lon, fix.lat] for fix in line] for line in lines]
        geometry: Record = (
            {"type": "LineString", "coordinates": coordinates[0]}
            if len(coordinates) == 1
            else {"type": "MultiLineString", "coordinates": coordinates}
        )
        properties = {
            "feature": "track",
            "mmsi": history.mmsi,
            "name": history.identity.get("name"),
            "from": lines[0][0].ts,
            "to": lines[-1][-1].ts,
            "fixes": sum(len(line) for line in lines),
            "segments": len(lines),
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    for _, fix in _mappable(selection.track):
        fix_properties = {"feature": "fix", **_fix_json(fix)}
        del fix_properties["lat"], fix_properties["lon"]
        geometry = {"type": "Point", "coordinates": [fix.lon, fix.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": fix_properties})
    for place in _placed(selection):
        entry = place.entry
        entry_properties = {
            "feature": entry.source,
            "kind": entry.kind,
            "at": entry.at,
            "source": entry.source,
            "position_from": place.position_from,
            "nearest_fix_ts": place.nearest_fix_ts,
            "record": _jsonable(entry.record),
        }
        geometry = {"type": "Point", "coordinates": [place.lon, place.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": entry_properties})
    return {
        "type": "FeatureCollection",
        "name": f"{_name(history)} — {subject.label(history.mmsi)}",
        "features": features,
    }


def _text_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # The quote makes a spreadsheet show the text instead of running it as a formula.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number_cell(value: object) -> str:
    if value is None:
        return ""
    number = _finite(value)
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
    moment = _parse_time(at)
    # Rows without a readable time go last rather than being dropped.
    if moment is None:
        return (1, datetime.min.replace(tzinfo=UTC), at, _ROW_ORDER[row_type])
    return (0, moment, "", _ROW_ORDER[row_type])


def to_csv(history: VesselHistory, subject: Subject) -> str:
    """The subject as one CSV table of fixes, events, alerts and identity changes, by time."""
    selection = _select(history, subject)
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
        where = _record_position(entry)
        detail = json.dumps(_jsonable(entry.record), sort_keys=True, ensure_ascii=False)
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


def _xml(text: object) -> str:
    return _NOT_XML.sub("\ufffd", "" if text is None else str(text))


def _sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = _xml(text)
    return element


def _description(lines: Iterable[tuple[str, object]]) -> str:
    # Google Earth renders a description as HTML: escaping it once more makes a name like
    # <script> show as text there instead of running (the XML escaping alone is undone by
    # the parser before the balloon sees it).
    return "<br>".join(
        f"<b>{html.escape(label)}</b>: {html.escape(_xml(value))}" for label, value in lines
    )


def _when(parent: ET.Element, at: str) -> None:
    moment = _parse_time(at)
    if moment is not None:
        _sub(_sub(parent, "TimeStamp"), "when", _iso(moment))


def to_kml(history: VesselHistory, subject: Subject) -> str:
    """The subject as KML 2.2 for Google Earth: the track's segments, events and alerts."""
    selection = _select(history, subject)
    # A plain `xmlns` attribute instead of ET.register_namespace, which is process-wide state.
    kml = ET.Element("kml", {"xmlns": KML_NS})
    document = _sub(kml, "Document")
    _sub(document, "name", _name(history))
    _sub(
        document,
        "description",
        _description(
            [
                ("MMSI", history.mmsi),
                ("IMO", history.identity.get("imo")),
                ("Export", subject.label(history.mmsi)),
            ]
        ),
    )
    # Balloons show the (escaped) description only: the default balloon puts the name in
    # as HTML, and the name is whatever the transmitter sent.
    style = ET.SubElement(document, "Style", {"id": "evidence"})
    _sub(_sub(style, "BalloonStyle"), "text", "$[description]")
    for number, line in enumerate(_lines(selection.track), start=1):
        placemark = _sub(document, "Placemark")
        _sub(placemark, "name", f"Track {number}: {line[0].ts} – {line[-1].ts}")
        _sub(
            placemark,
            "description",
            _description([("From", line[0].ts), ("To", line[-1].ts), ("Fixes", len(line))]),
        )
        _sub(placemark, "styleUrl", "#evidence")
        start, end = _parse_time(line[0].ts), _parse_time(line[-1].ts)
        if start is not None and end is not None:
            span = _sub(placemark, "TimeSpan")
            _sub(span, "begin", _iso(start))
            _sub(span, "end", _iso(end))
        linestring = _sub(placemark, "LineString")
        _sub(linestring, "tessellate", 1)
        _sub(linestring, "coordinates", " ".join(f"{fix.lon},{fix.lat}" for fix in line))
    for place in _placed(selection):
        entry, record = place.entry, place.entry.record
        title = record.get("title") if entry.source == "alert" else None
        placemark = _sub(document, "Placemark")
        _sub(placemark, "name", title or f"{entry.kind} {entry.at}")
        details: list[tuple[str, object]] = [
            ("Source", entry.source),
            ("Kind", entry.kind),
            ("At", entry.at),
            ("Position from", place.position_from),
        ]
        if place.nearest_fix_ts is not None:
            details.append(("Nearest fix", place.nearest_fix_ts))
        details.append(("Record", json.dumps(_jsonable(record), sort_keys=True)))
        _sub(placemark, "description", _description(details))
        _sub(placemark, "styleUrl", "#evidence")
        _when(placemark, entry.at)
        _sub(_sub(placemark, "Point"), "coordinates", f"{place.lon},{place.lat}")
    body = ET.tostring(kml, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def bundle(
    history: VesselHistory,
    subject: Subject,
    rules: dict[str, Any] | None = None,
    *,
    generated_at: str,
) -> dict[str, Any]:
    """Everything the subject's alerts were decided on, as one JSON-ready dict."""
    selection = _select(history, subject)
    window = (
        None
        if selection.window is None
        else {"from": _iso(selection.window[0]), "to": _iso(selection.window[1])}
    )
    timeline = [
        {"at": entry.at, "kind": entry.kind, "source": entry.source, "record": entry.record}
        for entry in selection.timeline
    ]
    result = {
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at,
        "subject": subject.as_json(),
        "mmsi": history.mmsi,
        "identity": history.identity,
        "window": window,
        "window_margin_h": WINDOW_MARGIN / timedelta(hours=1),
        "alerts": selection.alerts,
        "timeline": timeline,
        "track": [_fix_json(fix) for fix in selection.track],
        "cargo": history.cargo,
        "rules": rules,
    }
    cleaned: dict[str, Any] = _jsonable(result)
    return cleaned


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
        "geojson": lambda: _json_bytes(_jsonable(to_geojson(history, subject))),
        "csv": lambda: to_csv(history, subject).encode("utf-8", "replace"),
        "kml": lambda: to_kml(history, subject).encode("utf-8", "replace"),
        "json": lambda: _json_bytes(bundle(history, subject, rules, generated_at=generated_at)),
    }
    if fmt not in renderers:
        raise UnknownExportFormat(f"unknown export format {fmt!r}: one of {', '.join(renderers)}")
    body = renderers[fmt]()
    return body, CONTENT_TYPES[fmt], f"{_file_stem(history, subject)}.{fmt}"
