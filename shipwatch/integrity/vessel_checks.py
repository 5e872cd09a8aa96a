"""Per vessel, on the track stage's hot path: identity and position checks of one vessel.

Each applied position and static report of a vessel passes here after the fence tracker. What
one vessel's records alone decide becomes an event at once (an invalid or zombie identity,
fixes on land, a pattern of jumps); what needs other vessels becomes a record for the sea
stage, keyed so that the vessels it must meet arrive at the same key, where it is decided on
the watermarks: an hourly fix per identity group (`i:<imo>`, `n:<name>|<length>|<beam>`), a
new identity's first fix (beside the watched vessels), and jumps (jam cells, where many
vessels jumping together say GNSS interference, not tampering).

The state kept (`VesselState.integrity`) is None for nearly every vessel; most positions cost
a land lookup and an hour comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from geofences.grid import cell_of, cells_near
from geofences.movement import impossible
from geofences.tracker import REUSE_RUN, REUSE_WINDOW_S
from shipwatch.ais.timefmt import iso_of
from shipwatch.integrity.identifiers import imo_valid, mmsi_problem
from shipwatch.integrity.scope import PortScope
from shipwatch.integrity.status_files import IdentityStatus, zombie
from shipwatch.integrity.thresholds import IntegrityRules

Record = dict[str, Any]
State = dict[str, Any]
JAM_CELL_DEG = 1.0  # jam cells: wide, as GNSS interference covers tens of kilometres
WATCHED_KEY = "watched"  # the sea stage's key of the watched vessels (shipwatch.sea.sampler)
_SPACES = re.compile(r"\s+")
# Valid by the check digit, and typed in by many crews who do not know theirs: not one ship.
PLACEHOLDER_IMOS = frozenset({1234567})


@dataclass(frozen=True, slots=True)
class IntegrityContext:
    """What the checks need besides the vessel: thresholds, the scope, land, status lists."""

    rules: IntegrityRules
    scope: PortScope
    # On land farther than the rule's distance from every shore (None: outside the coastline's
    # coverage), and how far inland (for the finding only).
    inland_beyond: Callable[[float, float, float], bool | None]
    inland_m: Callable[[float, float], float | None]
    statuses: Mapping[int, IdentityStatus]


class Findings(Protocol):
    """Where a record's checks put what they made: events now, records for the sea stage."""

    events: list[Record]
    records: list[Record]


def on_position(
    state: State | None,
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    before: tuple[float | None, float, float],  # the vessel's last applied fix before this one
    newest_t: float | None,  # the newest time of its fixes before this one, applied or waiting
    outside: bool,  # outside every fence
    events: list[Record],  # the tracker's events for this fix (glitches among them)
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
) -> State | None:
    """Check one position (applied or held out as a glitch); the vessel's new state."""
    rules = ctx.rules
    last_t, last_lat, last_lon = before
    if newest_t is None or t - newest_t > rules.new_after_days * 86_400:
        state = _first_seen(state, mmsi, t, lat, lon, vessel, ctx, out)  # or back after months
    if events:  # rare: most fixes make no tracker event
        glitch = next((e for e in events if e["kind"] == "glitch"), None)
        reuse = any(e["kind"] == "identity" and e.get("field") == "position" for e in events)
        if glitch is not None:
            if (reuse and _dense(state, t)) or _second_transmitter(state, t, glitch):
                # A second ship on this MMSI, reporting as ships do (the tracker's reuse run,
                # told with the glitch that completed it, its fixes minutes apart): not one
                # ship lying. Its jumps are forgotten, and its next fixes are not counted.
                return _with(state, jumps=None, reuse=[t, glitch["lat"], glitch["lon"]])
            return _jumped(state, mmsi, t, glitch, (last_lat, last_lon), vessel, ctx, out)
        if reuse:
            state = _with(state, jumps=None)
    if state is not None and "reuse" in state and t - state["reuse"][0] > REUSE_WINDOW_S:
        state = _with(state, reuse=None)  # the second transmitter has not been heard lately
    if last_t is None or t // rules.identity_fix_s != last_t // rules.identity_fix_s:
        _identity_fixes(mmsi, t, lat, lon, vessel, ctx, out)
    on_land = outside and ctx.inland_beyond(lat, lon, rules.on_land_m)
    if state is None:  # the common case: nothing kept, nothing found
        return _land(state, mmsi, t, lat, lon, vessel, ctx, out) if on_land else None
    if on_land:
        state = _land(state, mmsi, t, lat, lon, vessel, ctx, out)
    elif "land" in state:
        state = _with(state, land=None)
    if state is None:
        return None
    if "defer" in state:
        for tag, status in sorted(state["defer"].items()):
            reason = tag.split(":", 1)[0]
            state = _bad(state, mmsi, t, lat, lon, reason, vessel, ctx, out, status)
        state = _with(state, defer=None)
    if state is not None and "jumps" in state and last_t is not None:
        state = _moved_or_back(state, t, lat, lon)
    if state is not None and "bad" in state:
        state = _into_scope(state, mmsi, t, lat, lon, vessel, ctx, out)
    if state is not None and "first" in state and t - state["first"][0] > rules.new_static_wait_s:
        state = _with(state, first=None)  # its size never came: no one's new identity
    return state


def routine(
    state: State | None,
    t: float,
    lat: float,
    lon: float,
    last_t: float | None,  # the vessel's last applied fix's time, before this one
    newest_t: float | None,  # the newest time of its fixes before this one
    ctx: IntegrityContext,
) -> bool:
    """Whether `on_position` of a fix outside every fence that made no tracker event would
    find nothing and return `state` as it is: the common case, decided without its calls.
    A fix this answers False for still goes through `on_position`."""
    rules = ctx.rules
    if newest_t is None or last_t is None or t - newest_t > rules.new_after_days * 86_400:
        return False  # first seen, or back after months
    if t // rules.identity_fix_s != last_t // rules.identity_fix_s:
        return False  # the hourly fix to its identity groups is due
    if state is not None:  # only a first sighting waiting for its static report, if anything
        first = state.get("first")
        if len(state) != 1 or first is None or t - first[0] > rules.new_static_wait_s:
            return False
    return not ctx.inland_beyond(lat, lon, rules.on_land_m)


def on_static(
    state: State | None,
    mmsi: int,
    t: float,
    where: tuple[float | None, float, float],  # the vessel's last applied fix
    vessel: Mapping[str, Any],
    changed_imo: bool,
    ctx: IntegrityContext,
    out: Findings,
) -> State | None:
    """Check a static report just applied (its IMO, a zombie IMO, a new identity's size)."""
    last_t, lat, lon = where
    imo = vessel.get("imo")
    found: list[tuple[str, Record | None]] = []
    if imo and changed_imo and not imo_valid(imo):
        found.append(("imo_check_digit", None))
    status = zombie(ctx.statuses, imo, t) if imo and ctx.statuses else None
    if status is not None:
        found.append(("zombie", status.evidence()))
    for reason, evidence in found:
        if last_t is None:  # no fix applied yet: told with the first one
            state = _defer(state, reason, vessel, evidence)
        else:
            state = _bad(state, mmsi, t, lat, lon, reason, vessel, ctx, out, evidence)
    if state is not None and state.get("first"):
        first = state["first"]
        if t - first[0] > ctx.rules.new_static_wait_s:
            state = _with(state, first=None)  # too late to be anyone's new identity
        elif _complete(vessel):
            state = _newcomer(state, mmsi, vessel, ctx, out)
    return state


def _with(state: State | None, **changes: Any) -> State | None:
    """The state with fields set (None removes one); None when nothing is left."""
    new = dict(state or {})
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    return new or None


def _first_seen(
    state: State | None,
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
) -> State | None:
    problem = mmsi_problem(mmsi)
    if problem is not None:
        state = _bad(state, mmsi, t, lat, lon, "mid", vessel, ctx, out)
    state = _with(state, first=[t, lat, lon])
    assert state is not None
    # Its type and size come with static reports (`on_static`), here only if they came first.
    return _newcomer(state, mmsi, vessel, ctx, out) if _complete(vessel) else state


def _complete(vessel: Mapping[str, Any]) -> bool:
    """Type and size known: what a new identity is compared by."""
    return bool(vessel.get("ship_type") and vessel.get("length") and vessel.get("beam"))


def _newcomer(
    state: State, mmsi: int, vessel: Mapping[str, Any], ctx: IntegrityContext, out: Findings
) -> State | None:
    t, lat, lon = state["first"]
    out.records.append(
        {
            "kind": "newcomer",
            "key": WATCHED_KEY,
            "mmsi": mmsi,
            "t": t,
            "lat": lat,
            "lon": lon,
            "ship_type": vessel.get("ship_type"),
            "length": vessel.get("length"),
            "beam": vessel.get("beam"),
            "name": vessel.get("name"),
            "imo": vessel.get("imo"),
            "port": ctx.scope.port(lat, lon),
        }
    )
    return _with(state, first=None)


def _base(
    kind: str, mmsi: int, t: float, lat: float, lon: float, vessel: Mapping[str, Any]
) -> Record:
    return {
        "kind": kind,
        "mmsi": mmsi,
        "at": iso_of(t),
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "name": vessel.get("name"),
        "imo": vessel.get("imo"),
    }


def _bad(
    state: State | None,
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    reason: str,
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
    status: Record | None = None,
) -> State | None:
    """An invalid identity: an event now, and again once when the vessel comes into scope."""
    bad: dict[str, Any] = dict((state or {}).get("bad") or {})
    tag = _tag(reason, vessel)
    if tag in bad:
        return state
    port = ctx.scope.port(lat, lon)
    out.events.append(_invalid(mmsi, t, lat, lon, reason, vessel, port, status))
    bad[tag] = [port is not None, status]
    return _with(state, bad=bad)


def _tag(reason: str, vessel: Mapping[str, Any]) -> str:
    """What an invalid identity is told once for: the reason, and the IMO it is about."""
    return f"{reason}:{vessel.get('imo') if reason != 'mid' else ''}"


def _defer(
    state: State | None, reason: str, vessel: Mapping[str, Any], status: Record | None
) -> State | None:
    """An invalid identity found before any fix: kept until the first one says where."""
    tag = _tag(reason, vessel)
    deferred = dict((state or {}).get("defer") or {})
    if tag in deferred or tag in ((state or {}).get("bad") or {}):
        return state
    deferred[tag] = status
    return _with(state, defer=deferred)


def _invalid(
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    reason: str,
    vessel: Mapping[str, Any],
    port: str | None,
    status: Record | None,
) -> Record:
    event = _base("invalid_identity", mmsi, t, lat, lon, vessel)
    event.update(reason=reason, port=port)
    if status is not None:
        event["status"] = status
    return event


def _into_scope(
    state: State,
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
) -> State | None:
    """An invalid identity first found out of scope is told again when it comes near a port."""
    bad = state["bad"]
    if all(in_scope for in_scope, _ in bad.values()):
        return state
    port = ctx.scope.port(lat, lon)
    if port is None:
        return state
    bad = dict(bad)
    for tag, (in_scope, status) in sorted(bad.items()):
        if not in_scope:
            reason = tag.split(":", 1)[0]
            event = _invalid(mmsi, t, lat, lon, reason, vessel, port, status)
            event["told_before"] = True  # found out of scope: counted then, alerted now
            out.events.append(event)
            bad[tag] = [True, status]
    return _with(state, bad=bad)


def _land(
    state: State | None,
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
) -> State | None:
    """One more consecutive fix far inland (the caller asked `inland_beyond`): one finding
    per run."""
    rules = ctx.rules
    run = (state or {}).get("land") or [0, t, lat, lon]
    run = [run[0] + 1, run[1], run[2], run[3]]
    if run[0] == rules.on_land_fixes:
        event = _base("position_tampering", mmsi, t, lat, lon, vessel)
        event.update(
            reason="on_land",
            port=ctx.scope.port(lat, lon),
            fixes=run[0],
            inland_m=round(ctx.inland_m(lat, lon) or 0.0),  # this fix's: the run's were all beyond
            since=iso_of(run[1]),
            first_lat=round(run[2], 5),
            first_lon=round(run[3], 5),
        )
        out.events.append(event)
    return _with(state, land=run)


def _jumped(
    state: State | None,
    mmsi: int,
    t: float,
    glitch: Record,
    home: tuple[float, float],
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
) -> State | None:
    """A fix the tracker held out: one more jump; enough in the window make a finding, decided
    at the jam cell where the vessel really is (other vessels jumping there with it: GNSS)."""
    rules = ctx.rules
    lat, lon = home
    jumps = [j for j in (state or {}).get("jumps") or [] if j[0] > t - rules.jumps_window_s]
    jumps.append([t, glitch["lat"], glitch["lon"], glitch["jump_km"], lat, lon])
    jump = {"kind": "jump", "mmsi": mmsi, "t": t, "lat": lat, "lon": lon}
    for key in cells_near(lat, lon, JAM_CELL_DEG, rules.interference_radius_m, prefix="j"):
        out.records.append({**jump, "key": key})
    if len(jumps) == rules.jumps_min:
        finding = _base("position_tampering", mmsi, t, lat, lon, vessel)
        finding.update(
            kind="jumps",
            key=cell_of(lat, lon, JAM_CELL_DEG, prefix="j"),
            t=t,
            port=ctx.scope.port(lat, lon),
            jumps=[{"at": iso_of(j[0]), "lat": j[1], "lon": j[2], "jump_km": j[3]} for j in jumps],
            window_h=round(rules.jumps_window_s / 3600, 1),
        )
        out.records.append(finding)
    return _with(state, jumps=jumps)


# A second ship on one MMSI reports every few seconds to minutes: its held-out fixes come
# close together. The same place an hour apart, again and again, is a spoofing pattern (jumps).
SECOND_TRANSMITTER_SPAN_S = 1800.0


def _dense(state: State | None, t: float) -> bool:
    """Whether the reuse run's glitches (the last jumps and this one) came within
    SECOND_TRANSMITTER_SPAN_S of each other, as a second ship's reports do."""
    jumps = (state or {}).get("jumps") or []
    earlier = jumps[-(REUSE_RUN - 1) :]
    return len(earlier) == REUSE_RUN - 1 and t - earlier[0][0] <= SECOND_TRANSMITTER_SPAN_S


def _second_transmitter(state: State | None, t: float, glitch: Record) -> bool:
    """Whether a held-out fix agrees with the second ship seen on this MMSI lately (as the
    tracker's reuse run agrees: within its window, a plausible move from the last)."""
    reuse = (state or {}).get("reuse")
    return (
        reuse is not None
        and t - reuse[0] <= REUSE_WINDOW_S
        and not impossible(reuse[1], reuse[2], reuse[0], glitch["lat"], glitch["lon"], t)
    )


def _moved_or_back(state: State, t: float, lat: float, lon: float) -> State | None:
    """A fix the tracker applied after a held jump: if it agrees with the jump, not with the
    track before it, the vessel really moved (a gap) and that jump was no jump."""
    jumps = state["jumps"]
    j = jumps[-1]
    if j[0] >= t:
        return state
    back = not impossible(j[4], j[5], j[0], lat, lon, t)
    if back or impossible(j[1], j[2], j[0], lat, lon, t):
        return state
    return _with(state, jumps=jumps[:-1] or None)


def _identity_fixes(
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    vessel: Mapping[str, Any],
    ctx: IntegrityContext,
    out: Findings,
) -> None:
    """One fix an hour to each identity group of the vessel: its IMO, its name and size."""
    keys = []
    imo = vessel.get("imo")
    if imo and imo not in PLACEHOLDER_IMOS and imo_valid(imo):
        keys.append(f"i:{imo}")
    name = _SPACES.sub(" ", str(vessel.get("name") or "")).strip().upper()
    length, beam = vessel.get("length"), vessel.get("beam")
    if len(name) >= 3 and length and beam:
        keys.append(f"n:{name}|{length:g}|{beam:g}")
    if not keys:
        return
    fix = {
        "kind": "ident",
        "mmsi": mmsi,
        "t": t,
        "lat": lat,
        "lon": lon,
        "name": vessel.get("name"),
        "imo": imo,
        "port": ctx.scope.port(lat, lon),
    }
    out.records.extend({**fix, "key": key} for key in keys)
