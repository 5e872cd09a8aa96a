"""Alert rules on the integrity events: identities and positions that lie.

Every finding is an event; it becomes an alert only for a watched vessel (the watchlist, the
flag, the sanctions lists) or for one within the scope radius of a watched port (the event's
`port`), so that a busy strait full of bad IMOs does not flood the watch floor.
"""

from __future__ import annotations

from typing import Any

from alerts.context import RuleContext
from alerts.models import Alert, Severity, vessel_alert


def _scope(ev: dict[str, Any], ctx: RuleContext, port_key: str = "port") -> str | None:
    """Why the event's vessel is in scope: its watch reason, or the port it is near."""
    reason = ctx.watch_reason(ev)
    if reason is not None:
        return reason
    port = ev.get(port_key)
    return None if port is None else f"within the scope radius of {ctx.port(port)}"


def identity_conflict(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """Two MMSIs broadcast one identity from places one ship could not join: an alert for each
    side in scope, naming the other."""
    sides = (
        (ev, "port", ev["other_mmsi"], ev.get("other_name"), "fix", "other_fix"),
        (
            {**ev, "mmsi": ev["other_mmsi"], "name": ev.get("other_name"), "imo": ev.get("imo")},
            "other_port",
            ev["mmsi"],
            ev.get("name"),
            "other_fix",
            "fix",
        ),
    )
    alerts = []
    for side, port_key, other, other_name, mine, theirs in sides:
        scope = _scope(side, ctx, port_key)
        if scope is None:
            continue
        watched = ctx.watch_reason(side) is not None
        by = "IMO " + str(ev["imo"]) if ev["by"] == "imo" else f"name and size of {ev['name']!r}"
        evidence = {
            "scope": scope,
            "other_mmsi": other,
            "other_name": other_name,
            "by": ev["by"],
            "key": ev.get("key"),
            "fix": ev[mine],
            "other_fix": ev[theirs],
            **{k: ev.get(k) for k in ("distance_km", "hours_apart", "implied_kn")},
        }
        title = (
            f"Shares {by} with {other}: {ev['distance_km']:,.0f} km apart "
            f"in {ev['hours_apart']:g} h"
        )
        severity: Severity = "critical" if watched else "warning"
        identity = {"other_mmsi": other, "by": ev["by"], "key": ev.get("key")}
        alerts.append(
            vessel_alert("identity_conflict", side, identity, severity, ev["at"], title, evidence)
        )
    return alerts


def invalid_identity(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """An IMO that fails its check digit, an MMSI of no country, a scrapped ship's IMO."""
    scope = _scope(ev, ctx)
    if scope is None or (ev.get("told_before") and ctx.watch_reason(ev) is not None):
        return []  # told again on coming into scope: a watched vessel's was alerted then
    reason = ev["reason"]
    titles = {
        "imo_check_digit": f"IMO {ev.get('imo')} fails its check digit",
        "mid": f"MMSI {ev['mmsi']}: its first digits are no country's",
        "zombie": f"IMO {ev.get('imo')} belongs to a ship {(ev.get('status') or {}).get('status')}"
        f" on {(ev.get('status') or {}).get('date')}",
    }
    evidence = {
        "scope": scope,
        "reason": reason,
        **{k: ev.get(k) for k in ("at", "lat", "lon", "status")},
    }
    severity: Severity = "critical" if reason == "zombie" else "warning"
    identity = {"reason": reason, "imo": ev.get("imo") if reason != "mid" else None}
    title = titles.get(reason, f"Invalid identity ({reason})")
    return [vessel_alert("invalid_identity", ev, identity, severity, ev["at"], title, evidence)]


def identity_swap(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel fell silent and a new identity of its type and size appeared within
    its reach."""
    scope = _scope(ev, ctx)
    if scope is None:
        return []
    evidence = {
        "scope": scope,
        "candidates": ev["candidates"],
        "candidate_details": ev["candidate_details"],
        **{
            k: ev.get(k)
            for k in ("silent_since", "last_lat", "last_lon", "ship_type", "length", "beam")
        },
    }
    new = ", ".join(str(c) for c in ev["candidates"])
    title = f"Silent since {ev['silent_since']}; new identity {new} of its type and size nearby"
    identity = {"silent_since": ev["silent_since"], "candidates": ev["candidates"]}
    return [vessel_alert("identity_swap", ev, identity, "critical", ev["at"], title, evidence)]


def position_tampering(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """Positions no ship can have: on land, in repeated impossible jumps, or where a satellite
    scene saw nothing."""
    scope = _scope(ev, ctx)
    if scope is None:
        return []
    reason = ev["reason"]
    skip = {"kind", "mmsi", "name", "imo", "port"}
    evidence = {"scope": scope, **{k: v for k, v in ev.items() if k not in skip}}
    if reason == "on_land":
        title = f"Position on land ({ev['fixes']} fixes, {ev['inland_m'] / 1000:.1f} km inland)"
        identity: dict[str, Any] = {"reason": reason, "since": ev.get("since")}
    elif reason == "jumps":
        title = f"{len(ev['jumps'])} impossible jumps within {ev['window_h']:g} h"
        identity = {"reason": reason, "first": ev["jumps"][0]["at"]}
    else:
        title = f"Not in satellite scene {ev['scene_id']}: no detection at its AIS position"
        identity = {"reason": reason, "scene_id": ev["scene_id"]}
    severity: Severity = "critical" if reason == "not_in_imagery" else "warning"
    return [vessel_alert("position_tampering", ev, identity, severity, ev["at"], title, evidence)]


INTEGRITY_RULES = {
    "identity_conflict": (identity_conflict,),
    "invalid_identity": (invalid_identity,),
    "identity_swap": (identity_swap,),
    "position_tampering": (position_tampering,),
}
