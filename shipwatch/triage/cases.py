"""Cases: one vessel's alerts about one voyage grouped as one story.

A voyage starts at a port call, and the alerts name that call in their evidence:

- `watchlist_port_call` (arrival, and departure loaded): `port` and `arrived_at`;
- `dark_port_call`: the call hidden in an AIS gap, `port` and `window_start` (the voyage
  machine dates a dark call's arrival at the start of the gap);
- `sanctioned_voyage`: its origin call, `origin` and `origin_arrived_at`, and its end,
  `arrived_at` at `destination`.

So a case's anchor is (mmsi, port, arrival time) of the call the voyage started from, and its
id is deterministic: `<mmsi>-<port>-<arrival as YYYYMMDDTHHMMSSZ>`, e.g.
`445990101-vostochny-20240308T060000Z`. A Vostochny arrival alert, the loaded-departure alert
and the sanctioned-voyage alert of the same trip all carry the same call and read as one case.
A port call that is the destination of a voyage already in a case (a dark arrival at
Chongjin) belongs to that voyage, not to a case of its own.

A case spans from its call to the voyage's arrival when a sanctioned-voyage alert tells it,
otherwise to the vessel's next anchored call, and at most MAX_VOYAGE_S. The vessel's other
alerts (AIS gaps, encounters, loitering, identity changes, cap thresholds) join the case
whose span holds their time (the start of what they report: a gap's `from_at`, an
encounter's `started_at`, else the alert's `at`).

Alerts outside every span go to a case of their vessel and UTC day, `<mmsi>-<YYYYMMDD>`;
alerts without an MMSI (dark vessels seen by satellite) to one of their port and day,
`dark-<port>-<YYYYMMDD>` (`dark-<YYYYMMDD>` without a port).

Cases are computed from the alerts at hand: the same alerts give the same cases on every
worker. An alert seen before its voyage's anchor (an AIS gap published before the port
call's alert reaches this worker) moves from its day case to the voyage's case when the
anchor arrives; the ids themselves never change meaning.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shipwatch.ais.timefmt import iso_of

MAX_VOYAGE_S = 30 * 86_400  # an open voyage's case stops collecting alerts after this
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
# Where each kind of alert says what time it is about (first key present wins; else `at`).
WHEN_KEYS: dict[str, tuple[str, ...]] = {
    "ais_gap": ("from_at",),
    "sts_encounter": ("started_at",),
    "loitering": ("started_at",),
    "dark_vessel": ("ts",),
}


def _epoch(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _stamp(epoch: float, with_time: bool) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M%SZ" if with_time else "%Y%m%d")


def _evidence(alert: Mapping[str, Any]) -> Mapping[str, Any]:
    evidence = alert.get("evidence")
    return evidence if isinstance(evidence, Mapping) else {}


def _mmsi(alert: Mapping[str, Any]) -> int | None:
    value = alert.get("mmsi")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def anchor(alert: Mapping[str, Any]) -> tuple[str, float] | None:
    """The port call (port, arrival epoch) a voyage alert starts from, or None."""
    kind, ev = alert.get("kind"), _evidence(alert)
    if kind == "watchlist_port_call":
        port, at = ev.get("port") or alert.get("port"), ev.get("arrived_at")
    elif kind == "dark_port_call":
        port, at = ev.get("port") or alert.get("port"), ev.get("window_start")
    elif kind == "sanctioned_voyage":
        port, at = ev.get("origin"), ev.get("origin_arrived_at")
    else:
        return None
    epoch = _epoch(at)
    return (str(port), epoch) if isinstance(port, str) and port and epoch is not None else None


def arrival(alert: Mapping[str, Any]) -> tuple[str, float] | None:
    """Where and when a sanctioned voyage ended, or None for other alerts."""
    if alert.get("kind") != "sanctioned_voyage":
        return None
    ev = _evidence(alert)
    port, epoch = ev.get("destination") or alert.get("port"), _epoch(ev.get("arrived_at"))
    return (str(port), epoch) if isinstance(port, str) and epoch is not None else None


def when(alert: Mapping[str, Any]) -> float | None:
    """The time an alert is about: the start of what it reports, else its `at`."""
    ev = _evidence(alert)
    for key in WHEN_KEYS.get(str(alert.get("kind")), ()):
        epoch = _epoch(ev.get(key))
        if epoch is not None:
            return epoch
    return _epoch(alert.get("at"))


@dataclass
class Case:
    """A group of alerts: one voyage of a vessel, or a vessel's (or port's) day."""

    case_id: str
    kind: str  # "voyage", "day" or "dark"
    mmsi: int | None
    port: str | None
    started_at: float | None
    ended_at: float | None = None
    alerts: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass
class _Voyage:
    start: float
    port: str
    end: float | None = None  # the arrival, when a sanctioned-voyage alert tells it
    destination: str | None = None


def _voyages(alerts: list[Mapping[str, Any]]) -> list[_Voyage]:
    """One vessel's voyages, by start: each anchored call, with its end when known."""
    found: dict[tuple[str, float], _Voyage] = {}
    for alert in alerts:
        call = anchor(alert)
        if call is None:
            continue
        voyage = found.setdefault(call, _Voyage(call[1], call[0]))
        end = arrival(alert)
        if end is not None:
            voyage.destination, voyage.end = end
    # A call that is the arrival of a known voyage belongs to that voyage, not a case of its own
    # (unless a known voyage starts from it too: then it is that voyage's origin).
    ends = {(v.destination, v.end) for v in found.values() if v.end is not None}
    kept = (v for key, v in found.items() if key not in ends or v.end is not None)
    return sorted(kept, key=lambda v: (v.start, v.port))


def _limit(voyages: list[_Voyage], i: int) -> float:
    """Where voyage i's span ends: its arrival, else the next call, at most MAX_VOYAGE_S."""
    voyage = voyages[i]
    if voyage.end is not None:
        return voyage.end
    cap = voyage.start + MAX_VOYAGE_S
    return min(voyages[i + 1].start, cap) if i + 1 < len(voyages) else cap


def group(alerts: Iterable[Mapping[str, Any]]) -> list[Case]:
    """The cases of these alerts, newest activity first; each case's alerts oldest first."""
    by_vessel: dict[int | None, list[Mapping[str, Any]]] = {}
    for alert in alerts:
        by_vessel.setdefault(_mmsi(alert), []).append(alert)
    cases: dict[str, Case] = {}
    for mmsi, own in by_vessel.items():
        voyages = _voyages(own) if mmsi is not None else []
        starts = [v.start for v in voyages]
        for alert in own:
            case = _case_of(alert, mmsi, voyages, starts)
            cases.setdefault(case.case_id, case).alerts.append(alert)
    for case in cases.values():
        case.alerts.sort(key=lambda a: (when(a) or 0.0, str(a.get("alert_id"))))
        if case.kind != "voyage":
            times = [t for t in map(when, case.alerts) if t is not None]
            case.started_at = min(times, default=None)
            case.ended_at = max(times, default=None)
    return sorted(cases.values(), key=_latest, reverse=True)


def _latest(case: Case) -> tuple[float, str]:
    times = [t for t in map(when, case.alerts) if t is not None]
    return max(times, default=0.0), case.case_id


def _case_of(
    alert: Mapping[str, Any], mmsi: int | None, voyages: list[_Voyage], starts: list[float]
) -> Case:
    call = anchor(alert)
    moment = call[1] if call is not None else when(alert)
    if mmsi is not None and moment is not None and voyages:
        i = bisect.bisect_right(starts, moment) - 1
        # A destination call's alert is dated at the arrival: the span includes its end.
        if i >= 0 and moment <= _limit(voyages, i):
            voyage = voyages[i]
            return Case(
                f"{mmsi}-{voyage.port}-{_stamp(voyage.start, True)}",
                "voyage",
                mmsi,
                voyage.port,
                voyage.start,
                voyage.end,
            )
    day = _stamp(moment, False) if moment is not None else "undated"
    if mmsi is not None:
        return Case(f"{mmsi}-{day}", "day", mmsi, None, None)
    port = alert.get("port")
    where = f"{port}-" if isinstance(port, str) and port else ""
    return Case(f"dark-{where}{day}", "dark", None, where[:-1] or None, None)


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else iso_of(epoch)


def severity(alerts: Iterable[Mapping[str, Any]]) -> str:
    """The highest severity of the alerts still standing (of all, when all were retracted)."""
    alerts = list(alerts)
    standing = [a for a in alerts if a.get("status") != "retracted"] or alerts
    ranks = [SEVERITY_RANK.get(str(a.get("severity")), -1) for a in standing]
    best = max(ranks, default=-1)
    return next((name for name, rank in SEVERITY_RANK.items() if rank == best), "info")


def describe(case: Case) -> dict[str, Any]:
    """A case as JSON: id, kind, vessel, port, span, max severity, its alerts (oldest first)."""
    vessel: dict[str, Any] = {"mmsi": case.mmsi}
    for alert in case.alerts:  # the name the alerts give (the newest that gives one)
        named = alert.get("vessel")
        ev = _evidence(alert)
        for source in (named if isinstance(named, Mapping) else {}, ev):
            if isinstance(source.get("name"), str) and source["name"]:
                vessel["name"] = source["name"]
    return {
        "case_id": case.case_id,
        "kind": case.kind,
        "mmsi": case.mmsi,
        "vessel": vessel,
        "port": case.port,
        "started_at": _iso(case.started_at),
        "ended_at": _iso(case.ended_at),
        "severity": severity(case.alerts),
        "alert_ids": [str(a.get("alert_id")) for a in case.alerts],
        "kinds": sorted({str(a.get("kind")) for a in case.alerts}),
        "alerts": [
            {
                "alert_id": str(a.get("alert_id")),
                "kind": a.get("kind"),
                "severity": a.get("severity"),
                "title": a.get("title"),
                "at": a.get("at"),
                "status": a.get("status", "active"),
            }
            for a in case.alerts
        ],
    }
