"""What an export shows, whatever its format: the subject, the part of the history within its
window, the track's drawable lines and where events and alerts are placed (pure)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shipwatch.history.errors import HistoryError
from shipwatch.history.model import Fix, Record, TimelineEntry, VesselHistory

# An alert or case export reaches this far before its earliest time and after its latest:
# enough to show the approach to and the departure from what was alerted on.
WINDOW_MARGIN = timedelta(hours=48)
# Consecutive fixes further apart than this are not joined: an AIS gap is not a sailing.
TRACK_GAP = timedelta(hours=6)
# An event without its own position is placed at the nearest fix only if that fix is this close
# in time; further away the vessel may have moved tens of miles, so it gets no point at all.
NEAREST_FIX_MAX = timedelta(hours=2)

# Only values under these keys are times: a vessel name that looks like a date (anyone can
# transmit one) must not stretch an export's window.
_TIME_KEYS = frozenset({"at", "ts", "window_start", "window_end"})
_EVIDENCE_DEPTH = 3  # evidence nests a record or a list of them at most; no deeper walk needed


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
class Selection:
    """The part of a history an export shows."""

    alerts: list[Record]  # the subject's alerts (every one for a vessel), retractions included
    timeline: list[TimelineEntry]
    track: list[Fix]
    window: tuple[datetime, datetime] | None  # None: the whole vessel, unwindowed


def parse_time(value: object) -> datetime | None:
    """The value as an aware UTC datetime, or None when it is no ISO 8601 string."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Published times are UTC with a Z; a naive one is taken as UTC rather than local time.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The moment in UTC as ISO 8601 with a Z, as the pipeline writes times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _is_time_key(key: object) -> bool:
    return isinstance(key, str) and (key in _TIME_KEYS or key.endswith("_at"))


def _record_times(record: Record) -> list[datetime]:
    """The times at the top of a record (at, arrived_at, departed_at, ...)."""
    times = (parse_time(value) for key, value in record.items() if _is_time_key(key))
    return [moment for moment in times if moment is not None]


def _evidence_times(value: object, depth: int = 0) -> Iterator[datetime]:
    """The times anywhere in an alert's evidence (a cap alert nests its delivery)."""
    if depth > _EVIDENCE_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            moment = parse_time(item) if _is_time_key(key) else None
            if moment is not None:
                yield moment
            elif isinstance(item, dict | list):
                yield from _evidence_times(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _evidence_times(item, depth + 1)


def _alert_times(alert: Record) -> list[datetime]:
    times = [moment for moment in [parse_time(alert.get("at"))] if moment is not None]
    return times + list(_evidence_times(alert.get("evidence")))


def _entry_times(entry: TimelineEntry) -> list[datetime]:
    times = [moment for moment in [parse_time(entry.at)] if moment is not None]
    times += _record_times(entry.record)
    if entry.source == "alert":
        times += _evidence_times(entry.record.get("evidence"))
    return times


def select(history: VesselHistory, subject: Subject) -> Selection:
    """The subject's alerts, and the timeline and track within its window."""
    if subject.kind == "vessel":
        return Selection(history.alerts, list(history.timeline), list(history.track), None)
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
        moment = parse_time(fix.ts)
        return moment is not None and start <= moment <= end

    timeline = [entry for entry in history.timeline if within(entry)]
    track = [fix for fix in history.track if fix_within(fix)]
    return Selection(alerts, timeline, track, (start, end))


def finite(value: object) -> float | None:
    """The value as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def jsonable(value: Any) -> Any:
    """The value as strict JSON can hold it: NaN and infinities become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def fix_json(fix: Fix) -> Record:
    """A fix as a JSON object, its numbers None where not finite."""
    return {
        "ts": fix.ts,
        "lat": finite(fix.lat),
        "lon": finite(fix.lon),
        "sog": finite(fix.sog),
        "cog": finite(fix.cog),
        "heading": finite(fix.heading),
    }


def position(lat: object, lon: object) -> tuple[float, float] | None:
    """(lat, lon) when both are real coordinates on the globe."""
    flat, flon = finite(lat), finite(lon)
    if flat is None or flon is None or not (-90 <= flat <= 90 and -180 <= flon <= 180):
        return None
    return flat, flon


def mappable(track: list[Fix]) -> list[tuple[datetime | None, Fix]]:
    """The fixes that can be drawn, with their parsed times."""
    return [(parse_time(f.ts), f) for f in track if position(f.lat, f.lon) is not None]


def _segments(track: list[Fix]) -> list[list[Fix]]:
    """The track cut at AIS gaps, and where it crosses the antimeridian (a line from 179° E to
    179° W would otherwise be drawn the long way round the globe)."""
    segments: list[list[Fix]] = []
    last: tuple[datetime | None, Fix] | None = None
    for moment, fix in mappable(track):
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


def track_lines(track: list[Fix]) -> list[list[Fix]]:
    """The track's segments that can be drawn as lines."""
    # A lone fix between two gaps is no line; it still shows as its own point.
    return [segment for segment in _segments(track) if len(segment) >= 2]


@dataclass(frozen=True, slots=True)
class Placed:
    """A timeline entry with the position it is shown at."""

    entry: TimelineEntry
    lat: float
    lon: float
    position_from: Literal["record", "nearest_fix"]
    nearest_fix_ts: str | None


def record_position(entry: TimelineEntry) -> tuple[float, float] | None:
    """Where the entry's own record (or an alert's evidence) says it happened, if anywhere."""
    record = entry.record
    evidence = record.get("evidence")
    candidates: list[Record] = [record]
    if entry.source == "alert" and isinstance(evidence, dict):
        candidates.append(evidence)  # encounter and loitering alerts keep it in the evidence
    for holder in candidates:
        # A gap event's `at` is its end, so its end position is where it is shown.
        for lat_key, lon_key in (("lat", "lon"), ("to_lat", "to_lon")):
            where = position(holder.get(lat_key), holder.get(lon_key))
            if where is not None:
                return where
    return None


def placed(selection: Selection) -> list[Placed]:
    """The events and alerts that can be put on a map, and how their position was found."""
    timed = [(moment, fix) for moment, fix in mappable(selection.track) if moment is not None]
    timed.sort(key=lambda pair: pair[0])
    moments = [moment for moment, _ in timed]
    found = []
    for entry in selection.timeline:
        if entry.source not in ("event", "alert"):
            continue
        where = record_position(entry)
        if where is not None:
            found.append(Placed(entry, where[0], where[1], "record", None))
            continue
        at = parse_time(entry.at)
        if at is None or not timed:
            continue
        i = bisect.bisect_left(moments, at)
        # The nearest fix in time is one of the two around `at`.
        nearby = [(abs(timed[j][0] - at), j) for j in (i - 1, i) if 0 <= j < len(timed)]
        offset, j = min(nearby)
        fix = timed[j][1]
        if offset <= NEAREST_FIX_MAX:
            found.append(Placed(entry, fix.lat, fix.lon, "nearest_fix", fix.ts))
    return found


def vessel_name(history: VesselHistory) -> str:
    """The vessel's name for titles, or MMSI <n> when it has none."""
    name = history.identity.get("name")
    return str(name).strip() if name is not None and str(name).strip() else f"MMSI {history.mmsi}"
