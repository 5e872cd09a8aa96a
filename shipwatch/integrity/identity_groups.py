"""One identity, two ships: the vessels that broadcast one IMO number (key `i:<imo>`), or one
name with one length and beam (`n:<name>|<length>|<beam>`), compared across vessels.

The track stage sends each vessel's fix to its groups about once an hour (`ident` records);
the sea stage holds them until the event-time watermark passes them, then applies them in
(time, MMSI) order: each against every other member's last applied fix. Two fixes one ship
could not join at `feasible_kn` (plus `feasible_slack_m`) make one `identity_conflict` event
for the pair, once while the group remembers either of them. Sequential use is no conflict:
a ship that stops one MMSI in port and starts another days later could join the two fixes.

So the events depend on the fixes and not on the order they arrived in, nor on how often the
watermark moved: a member is forgotten (with the pairs reported of it, once both are) when a
fix applied, or the watermark, is `identity_keep_s` past its last fix, and fixes after the
watermark are only held. A group's value is small: one last fix per member, the held fixes,
the pairs reported.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Protocol

from geofences.movement import distance_m
from shipwatch.ais.timefmt import iso_of
from shipwatch.integrity.feasibility import implied_kn, reachable
from shipwatch.integrity.thresholds import IntegrityRules

Record = dict[str, Any]
# A held fix: [t, mmsi, lat, lon, name, imo, port]; a member's last fix: [t, lat, lon, name,
# imo, port] under its MMSI (as a string: JSON keys are strings); a pair: "<lo>:<hi>".
Held = list[Any]
Member = list[Any]


class GroupStore(Protocol):
    """Values by key (the sea stage's store: a table in the stream, a dict in `detect`)."""

    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...


def add(store: GroupStore, rec: Record, rules: IntegrityRules, w1: float | None) -> str | None:
    """Hold an `ident` fix in its group until the watermark `w1` passes it (`release`).
    Returns why it was not kept, if it was not: "too_late" (older than anything the group
    still remembers) or "repeat" (the vessel has this fix, or a later one, already)."""
    t = float(rec["t"])
    if w1 is not None and t <= w1 - rules.identity_keep_s:
        return "too_late"
    key, mmsi = rec["key"], int(rec["mmsi"])
    state: Record = store.get(key) or {}
    member = state.get("members", {}).get(str(mmsi))
    if member is not None and t <= member[0]:
        return "repeat"
    held: list[Held] = state.setdefault("held", [])
    fix: Held = [t, mmsi, rec["lat"], rec["lon"], rec.get("name"), rec.get("imo"), rec.get("port")]
    at = bisect.bisect_left(held, (t, mmsi), key=lambda h: (h[0], h[1]))
    if at < len(held) and (held[at][0], held[at][1]) == (t, mmsi):
        # One fix per vessel and time: of two that differ, the lower one, whichever came first.
        if _rank(fix) >= _rank(held[at]):
            return "repeat"
        held[at] = fix
    else:
        held.insert(at, fix)
    store.put(key, state)
    return None


def due_at(store: GroupStore, key: str, rules: IntegrityRules) -> float | None:
    """When the group next has work for `release` (a watermark at or past it): its earliest
    held fix, or its oldest member to forget; None for no group."""
    state: Record | None = store.get(key)
    if state is None:
        return None
    times = [float(fix[0]) + rules.identity_keep_s for fix in state.get("members", {}).values()]
    if state.get("held"):
        times.append(float(state["held"][0][0]))
    return min(times) if times else None


def release(store: GroupStore, key: str, w1: float, rules: IntegrityRules) -> list[Record]:
    """The watermark `w1` moved on: apply the held fixes up to it, in (time, MMSI) order, and
    return the `identity_conflict` events they make; forget what is `identity_keep_s` behind
    the watermark, and the group when nothing is left."""
    state: Record | None = store.get(key)
    if state is None:
        return []
    held: list[Held] = state.pop("held", [])
    members: dict[str, Member] = state.setdefault("members", {})
    reported: set[str] = set(state.pop("reported", []))
    events: list[Record] = []
    due = [fix for fix in held if fix[0] <= w1]
    for t, mmsi, *place in due:
        _forget(members, reported, t - rules.identity_keep_s)
        mine = members.get(str(mmsi))
        if mine is not None and t <= mine[0]:
            continue  # a late fix, older than one applied: the vessel's newest stays
        fix: Member = [t, *place]  # lat, lon, name, imo, port
        for other in sorted(members, key=int):
            pair = _pair(mmsi, int(other))
            if other == str(mmsi) or pair in reported:
                continue
            theirs = members[other]
            t1, lat1, lon1 = theirs[:3]
            if not reachable(
                t, fix[1], fix[2], t1, lat1, lon1, rules.feasible_kn, rules.feasible_slack_m
            ):
                reported.add(pair)
                events.append(_conflict(key, mmsi, fix, int(other), theirs))
        members[str(mmsi)] = fix
    _forget(members, reported, w1 - rules.identity_keep_s)
    rest = held[len(due) :]
    if not members and not rest:
        store.delete(key)
        return events
    if rest:
        state["held"] = rest
    if reported:
        state["reported"] = sorted(reported)
    store.put(key, state)
    return events


def _rank(fix: Held) -> tuple[Any, ...]:
    # A total order on held fixes with the same time and MMSI (None does not compare).
    return (fix[2], fix[3], repr(fix[4:]))


def _pair(a: int, b: int) -> str:
    lo, hi = sorted((a, b))
    return f"{lo}:{hi}"


def _forget(members: dict[str, Member], reported: set[str], horizon: float) -> None:
    """Forget the members last seen at or before `horizon`, and the pairs reported of two
    forgotten members (while one is remembered, its pair is not reported again)."""
    for mmsi in [m for m, fix in members.items() if fix[0] <= horizon]:
        del members[mmsi]
    for pair in [p for p in reported if not any(m in members for m in p.split(":"))]:
        reported.discard(pair)


def _conflict(key: str, a: int, fix_a: Member, b: int, fix_b: Member) -> Record:
    """The `identity_conflict` event of two members' fixes, the lower MMSI as `mmsi`."""
    (lo, one), (hi, two) = sorted(((a, fix_a), (b, fix_b)), key=lambda m: m[0])
    metres = distance_m(one[1], one[2], two[1], two[2])
    speed = implied_kn(one[0], one[1], one[2], two[0], two[1], two[2])
    by = "imo" if key.startswith("i:") else "name"
    return {
        "kind": "identity_conflict",
        "mmsi": lo,
        "other_mmsi": hi,
        "by": by,
        "key": key,
        # A name group's members may give different IMO numbers, or none: the lower MMSI's.
        "imo": int(key[2:]) if by == "imo" else one[4],
        "name": one[3],
        "other_name": two[3],
        "at": iso_of(max(one[0], two[0])),
        "fix": _fix(one),
        "other_fix": _fix(two),
        "distance_km": round(metres / 1000, 1),
        "hours_apart": round(abs(two[0] - one[0]) / 3600, 2),
        # Two places at one time need an infinite speed, which JSON cannot say: null.
        "implied_kn": round(speed, 1) if math.isfinite(speed) else None,
        "port": one[5],
        "other_port": two[5],
    }


def _fix(member: Member) -> Record:
    return {"at": iso_of(member[0]), "lat": member[1], "lon": member[2]}
