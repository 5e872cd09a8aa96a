"""Per-vessel fence membership: `step(state, fix) -> (state, events)`, pure and event-timed.

Fixes near a fence, or of a vessel inside one, wait in a small per-vessel buffer until the
vessel's event time has moved `ALLOWED_LATENESS_S` past them, and are then applied in event-time
order: a message up to that late, or duplicated, changes nothing. Fixes far from every fence
with nothing pending are applied at once, since their order cannot change a fence decision.
Anything older than the last applied fix is counted as stale and ignored.

Emits `enter` when a fix falls inside a fence, `exit` only when a fix lies beyond the fence's
exit buffer (hysteresis), and `stop` once per visit when the vessel has really stayed: stopped
long enough, silent long enough inside (a port gap), or inside long enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ais.timefmt import iso_of
from geofences import dark
from geofences.index import FenceIndex
from geofences.movement import distance_m, impossible, speed_kn

# Thresholds after Global Fishing Watch's port-visit method (knots, seconds).
STOP_BEGIN_KN = 0.2  # a stop begins at or below this speed
STOP_END_KN = 0.5  # and ends at or above this one
MIN_STOP_S = 30 * 60  # stopped this long inside a fence makes a port stop
PORT_GAP_S = 4 * 3600  # silence this long while inside counts as a stay (GFW's port gap)
LONG_DWELL_S = 12 * 3600  # inside this long counts as a stay even when never seen stopped
ALLOWED_LATENESS_S = 10 * 60  # how late a message may arrive and still count in order
MAX_PENDING = 256  # fixes held per vessel at most; beyond, the oldest are applied early


@dataclass(frozen=True, slots=True)
class Fix:
    """A position reduced to what the core needs; `t` is event time in epoch seconds."""

    mmsi: int
    t: float
    lat: float
    lon: float
    sog: float | None


@dataclass(slots=True)
class Visit:
    """An open stay inside one fence."""

    entered_t: float
    observed_entry: bool
    stopped: bool = False
    stopped_s: float = 0.0
    longest_gap_s: float = 0.0
    stayed: str | None = None  # why it counts as a stay: "stop", "gap" or "dwell"


@dataclass(slots=True)
class TrackState:
    """Everything the tracker remembers about one vessel."""

    last_t: float | None = None
    last_lat: float = 0.0
    last_lon: float = 0.0
    visits: dict[str, Visit] = field(default_factory=dict)
    newest_t: float | None = None  # newest event time seen, applied or pending
    pending: list[tuple[float, float, float, float | None]] = field(default_factory=list)
    suspect: tuple[float, float, float] | None = None  # last fix held out as a glitch

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the state table."""
        return {
            "last_t": self.last_t,
            "last_lat": self.last_lat,
            "last_lon": self.last_lon,
            "visits": {k: _visit_dict(v) for k, v in self.visits.items()},
            "newest_t": self.newest_t,
            "pending": [list(p) for p in self.pending],
            "suspect": list(self.suspect) if self.suspect else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackState:
        """Inverse of to_dict."""
        visits = {k: Visit(**v) for k, v in data.get("visits", {}).items()}
        pending = [(p[0], p[1], p[2], p[3]) for p in data.get("pending", [])]
        return cls(
            data.get("last_t"),
            data.get("last_lat", 0.0),
            data.get("last_lon", 0.0),
            visits,
            data.get("newest_t"),
            pending,
            tuple(data["suspect"]) if data.get("suspect") else None,
        )


def _visit_dict(v: Visit) -> dict[str, Any]:
    return {
        "entered_t": v.entered_t,
        "observed_entry": v.observed_entry,
        "stopped": v.stopped,
        "stopped_s": v.stopped_s,
        "longest_gap_s": v.longest_gap_s,
        "stayed": v.stayed,
    }


def _speed_kn(state: TrackState, fix: Fix) -> float | None:
    if fix.sog is not None:
        return fix.sog
    if state.last_t is None or fix.t <= state.last_t:
        return None
    return speed_kn(
        distance_m(state.last_lat, state.last_lon, fix.lat, fix.lon), fix.t - state.last_t
    )


def _event(kind: str, fix: Fix, fence: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "mmsi": fix.mmsi, "fence": fence, "at": iso_of(fix.t), **extra}


def _summary(visit: Visit, now: float) -> dict[str, Any]:
    return {
        "entered_at": iso_of(visit.entered_t),
        "observed_entry": visit.observed_entry,
        "dwell_s": round(now - visit.entered_t),
        "stopped_s": round(visit.stopped_s),
        "longest_gap_s": round(visit.longest_gap_s),
        "stayed": visit.stayed,
    }


def _update_visit(visit: Visit, dt: float, speed: float | None, now: float) -> str | None:
    """Account the interval since the last fix; return why the visit became a stay, if now."""
    if visit.stopped:
        visit.stopped_s += dt
    visit.longest_gap_s = max(visit.longest_gap_s, dt)
    if speed is not None:
        if visit.stopped and speed >= STOP_END_KN:
            visit.stopped = False
        elif not visit.stopped and speed <= STOP_BEGIN_KN:
            visit.stopped = True
    if visit.stayed is not None:
        return None
    if visit.stopped_s >= MIN_STOP_S:
        visit.stayed = "stop"
    elif visit.longest_gap_s >= PORT_GAP_S:
        visit.stayed = "gap"
    elif now - visit.entered_t >= LONG_DWELL_S:
        visit.stayed = "dwell"
    return visit.stayed


def step(
    state: TrackState, fix: Fix, index: FenceIndex, lateness_s: float = ALLOWED_LATENESS_S
) -> tuple[TrackState, list[dict[str, Any]]]:
    """Take one fix in arrival order; returns the state unchanged (same object) if stale."""
    if state.last_t is not None and fix.t <= state.last_t:
        return state, []
    if any(p[0] == fix.t for p in state.pending):
        return state, []  # a duplicate of a fix still waiting
    newest = fix.t if state.newest_t is None else max(state.newest_t, fix.t)
    if not state.pending and not state.visits and not index.locate(fix.lat, fix.lon).near:
        new_state, immediate = apply(state, fix, index)
        new_state.newest_t = newest
        return new_state, immediate
    pending = sorted([*state.pending, (fix.t, fix.lat, fix.lon, fix.sog)])
    cut = sum(1 for p in pending if p[0] <= newest - lateness_s)
    cut = max(cut, len(pending) - MAX_PENDING)
    current = TrackState(
        state.last_t, state.last_lat, state.last_lon, state.visits, newest, pending[cut:]
    )
    events: list[dict[str, Any]] = []
    for t, lat, lon, sog in pending[:cut]:
        current, applied = apply(current, Fix(fix.mmsi, t, lat, lon, sog), index)
        events.extend(applied)
    return current, events


def apply(
    state: TrackState, fix: Fix, index: FenceIndex
) -> tuple[TrackState, list[dict[str, Any]]]:
    """Apply one fix newer than every applied one: glitches, gaps, stays, enter/stop/exit."""
    if state.last_t is not None and impossible(
        state.last_lat, state.last_lon, state.last_t, fix.lat, fix.lon, fix.t
    ):
        s = state.suspect
        if s is None or impossible(s[1], s[2], s[0], fix.lat, fix.lon, fix.t):
            held = replace(state, suspect=(fix.t, fix.lat, fix.lon))
            return held, [_glitch(state, fix)]
        # Two fixes agree with each other and not with the last good one: the vessel moved.
    events: list[dict[str, Any]] = []
    dt = 0.0 if state.last_t is None else fix.t - state.last_t
    if state.last_t is not None and dt >= dark.GAP_MIN_S:
        events.append(_gap(state, fix, index))
    where = index.locate(fix.lat, fix.lon)
    speed = _speed_kn(state, fix)
    visits = dict(state.visits)
    for fence_id in sorted(visits):
        visit = replace(visits[fence_id])
        if fence_id not in where.near:
            del visits[fence_id]
            events.append(_event("exit", fix, fence_id, **_summary(visit, fix.t)))
            continue
        visits[fence_id] = visit
        if _update_visit(visit, dt, speed, fix.t):
            events.append(_event("stop", fix, fence_id, **_summary(visit, fix.t)))
    # An entry is observed only when the vessel was seen outside shortly before.
    observed = state.last_t is not None and dt < PORT_GAP_S
    for fence_id in sorted(where.inside - visits.keys()):
        stopped = speed is not None and speed <= STOP_BEGIN_KN
        visits[fence_id] = Visit(fix.t, observed_entry=observed, stopped=stopped)
        events.append(_event("enter", fix, fence_id, observed_entry=observed))
    return TrackState(fix.t, fix.lat, fix.lon, visits, state.newest_t, state.pending), events


def _glitch(state: TrackState, fix: Fix) -> dict[str, Any]:
    assert state.last_t is not None
    metres = distance_m(state.last_lat, state.last_lon, fix.lat, fix.lon)
    return {
        "kind": "glitch",
        "mmsi": fix.mmsi,
        "at": iso_of(fix.t),
        "lat": fix.lat,
        "lon": fix.lon,
        "implied_kn": round(min(speed_kn(metres, fix.t - state.last_t), 99_999.0), 1),
        "jump_km": round(metres / 1000, 1),
    }


def _gap(state: TrackState, fix: Fix, index: FenceIndex) -> dict[str, Any]:
    assert state.last_t is not None
    duration = fix.t - state.last_t
    start, end = (state.last_lat, state.last_lon), (fix.lat, fix.lon)
    return {
        "kind": "gap",
        "mmsi": fix.mmsi,
        "at": iso_of(fix.t),
        "from_at": iso_of(state.last_t),
        "from_lat": state.last_lat,
        "from_lon": state.last_lon,
        "to_lat": fix.lat,
        "to_lon": fix.lon,
        "duration_s": round(duration),
        "inside": sorted(state.visits),
        "candidates": dark.candidates(index, start, end, duration),
    }


def flush(
    state: TrackState, mmsi: int, index: FenceIndex
) -> tuple[TrackState, list[dict[str, Any]]]:
    """Apply every pending fix now: for the end of a finite input, when no more can come."""
    current = TrackState(
        state.last_t, state.last_lat, state.last_lon, state.visits, state.newest_t, []
    )
    events: list[dict[str, Any]] = []
    for t, lat, lon, sog in state.pending:
        current, applied = apply(current, Fix(mmsi, t, lat, lon, sog), index)
        events.extend(applied)
    return current, events
