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

from dataclasses import replace
from typing import Any

from geofences import dark
from geofences.index import FenceIndex
from geofences.movement import distance_m, impossible, speed_kn
from geofences.track_state import Fix, S, TrackState, Visit
from shipwatch.ais.timefmt import iso_of

__all__ = ["Fix", "TrackState", "Visit", "advance_at_sea", "apply", "flush", "step"]

# Thresholds after Global Fishing Watch's port-visit method (knots, seconds).
STOP_BEGIN_KN = 0.2  # a stop begins at or below this speed
STOP_END_KN = 0.5  # and ends at or above this one
MIN_STOP_S = 30 * 60  # stopped this long inside a fence makes a port stop
PORT_GAP_S = 4 * 3600  # silence this long while inside counts as a stay (GFW's port gap)
LONG_DWELL_S = 12 * 3600  # inside this long counts as a stay even when never seen stopped
ALLOWED_LATENESS_S = 10 * 60  # how late a message may arrive and still count in order
REUSE_RUN = 3  # this many agreeing glitches between good fixes: two transmitters, one MMSI
REUSE_WINDOW_S = 3600  # ... each within this long of the previous one
MAX_PENDING = 256  # fixes held per vessel at most; beyond, the oldest are applied early


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
    state: S, fix: Fix, index: FenceIndex, lateness_s: float = ALLOWED_LATENESS_S
) -> tuple[S, list[dict[str, Any]]]:
    """Take one fix in arrival order; returns the state unchanged (same object) if stale."""
    if state.last_t is not None and fix.t <= state.last_t:
        return fill_gap(state, fix, index) or (state, [])
    if any(p[0] == fix.t for p in state.pending):
        return state, []  # a duplicate of a fix still waiting
    newest = fix.t if state.newest_t is None else max(state.newest_t, fix.t)
    if not state.pending and not state.visits and not index.locate(fix.lat, fix.lon).near:
        new_state, immediate = apply(state, fix, index)
        new_state.newest_t = newest  # `apply` made it: ours to change, a copy spared
        return new_state, immediate
    pending = sorted([*state.pending, (fix.t, fix.lat, fix.lon, fix.sog)])
    cut = sum(1 for p in pending if p[0] <= newest - lateness_s)
    cut = max(cut, len(pending) - MAX_PENDING)
    current = replace(state, newest_t=newest, pending=pending[cut:])
    events: list[dict[str, Any]] = []
    for t, lat, lon, sog in pending[:cut]:
        current, applied = apply(current, Fix(fix.mmsi, t, lat, lon, sog), index)
        events.extend(applied)
    return current, events


def advance_at_sea(state: TrackState, t: float, lat: float, lon: float, index: FenceIndex) -> bool:
    """`step` for the common case, in place: a vessel with nothing pending and in no fence
    sends a plausible fix far from every fence, soon after its last one. False: call `step`.

    It changes only what `step` would (the last fix, the newest time, a held glitch cleared)
    and makes no events; it mutates `state`, so the caller must own it (a write-back cache)."""
    if state.pending or state.visits or not index.far(lat, lon):
        return False
    last_t = state.last_t
    if last_t is not None and (
        t <= last_t
        or t - last_t >= dark.GAP_MIN_S
        or impossible(state.last_lat, state.last_lon, last_t, lat, lon, t)
    ):
        return False
    state.last_t, state.last_lat, state.last_lon, state.suspect = t, lat, lon, None
    newest = state.newest_t
    state.newest_t = t if newest is None or t > newest else newest
    return True


def apply(state: S, fix: Fix, index: FenceIndex) -> tuple[S, list[dict[str, Any]]]:
    """Apply one fix newer than every applied one: glitches, gaps, stays, enter/stop/exit.
    The state returned is always a new object, never `state`."""
    if state.last_t is not None and impossible(
        state.last_lat, state.last_lon, state.last_t, fix.lat, fix.lon, fix.t
    ):
        s = state.suspect
        if s is None or impossible(s[1], s[2], s[0], fix.lat, fix.lon, fix.t):
            return _hold_glitch(state, fix)
        # Two fixes agree with each other and not with the last good one: the vessel moved.
    events: list[dict[str, Any]] = []
    dt = 0.0 if state.last_t is None else fix.t - state.last_t
    last_gap = state.last_gap
    if state.last_t is not None and dt >= dark.GAP_MIN_S:
        start, end = (state.last_t, state.last_lat, state.last_lon), (fix.t, fix.lat, fix.lon)
        events.append(gap_event(fix.mmsi, start, end, sorted(state.visits), index))
        last_gap = [*start, *end]
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
    moved = replace(
        state,
        last_t=fix.t,
        last_lat=fix.lat,
        last_lon=fix.lon,
        visits=visits,
        last_gap=last_gap,
        suspect=None,
    )
    return moved, events


def _hold_glitch(state: S, fix: Fix) -> tuple[S, list[dict[str, Any]]]:
    """Keep the fix out of every decision; glitches that agree with each other, interleaved
    with the good track, are a second transmitter using this MMSI."""
    g = state.glitches
    agrees = (
        g is not None
        and fix.t - g[0] <= REUSE_WINDOW_S
        and not impossible(g[1], g[2], g[0], fix.lat, fix.lon, fix.t)
    )
    run = g[3] + 1 if g is not None and agrees else 1
    held = replace(
        state, suspect=(fix.t, fix.lat, fix.lon), glitches=[fix.t, fix.lat, fix.lon, run]
    )
    events = [_glitch(state, fix)]
    if run == REUSE_RUN:
        events.append(
            {
                "kind": "identity",
                "mmsi": fix.mmsi,
                "at": iso_of(fix.t),
                "field": "position",
                "old": [round(state.last_lat, 4), round(state.last_lon, 4)],
                "new": [round(fix.lat, 4), round(fix.lon, 4)],
                "apart_km": round(
                    distance_m(state.last_lat, state.last_lon, fix.lat, fix.lon) / 1000
                ),
            }
        )
    return held, events


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


def gap_event(
    mmsi: int,
    start: tuple[float, float, float],
    end: tuple[float, float, float],
    inside: list[str],
    index: FenceIndex,
) -> dict[str, Any]:
    """An AIS gap between two fixes (t, lat, lon), with the ports it could hide a visit to."""
    duration = end[0] - start[0]
    return {
        "kind": "gap",
        "mmsi": mmsi,
        "at": iso_of(end[0]),
        "from_at": iso_of(start[0]),
        "from_lat": start[1],
        "from_lon": start[2],
        "to_lat": end[1],
        "to_lon": end[2],
        "duration_s": round(duration),
        "inside": inside,
        "candidates": dark.candidates(index, start[1:], end[1:], duration),
    }


def numbered(state: S, events: list[dict[str, Any]]) -> tuple[S, list[dict[str, Any]]]:
    """Stamp the events with the vessel's next sequence numbers (`seq`), in order."""
    if not events:
        return state, events
    for seq, event in enumerate(events, start=state.seq + 1):
        event["seq"] = seq
    return replace(state, seq=state.seq + len(events)), events


def fill_gap(state: S, fix: Fix, index: FenceIndex) -> tuple[S, list[dict[str, Any]]] | None:
    """A late fix inside the last gap: the gap was not one. Retract it, keep what remains."""
    g = state.last_gap
    if g is None or not g[0] < fix.t < g[3]:
        return None
    events: list[dict[str, Any]] = [
        {
            "kind": "gap_filled",
            "mmsi": fix.mmsi,
            "at": iso_of(fix.t),
            "from_at": iso_of(g[0]),
            "to_at": iso_of(g[3]),
        }
    ]
    remaining = None
    middle = (fix.t, fix.lat, fix.lon)
    for start, end in (((g[0], g[1], g[2]), middle), (middle, (g[3], g[4], g[5]))):
        if end[0] - start[0] >= dark.GAP_MIN_S:
            events.append(gap_event(fix.mmsi, start, end, [], index))
            remaining = [*start, *end]
    return replace(state, last_gap=remaining), events


def flush(state: S, mmsi: int, index: FenceIndex) -> tuple[S, list[dict[str, Any]]]:
    """Apply every pending fix now: for the end of a finite input, when no more can come."""
    current = replace(state, pending=[])
    events: list[dict[str, Any]] = []
    for t, lat, lon, sog in state.pending:
        current, applied = apply(current, Fix(mmsi, t, lat, lon, sog), index)
        events.extend(applied)
    return current, events
