"""Alerts from port calls, voyages, AIS gaps and identity changes: pure and deterministic."""

from __future__ import annotations

from typing import Any

from alerts.context import RuleContext
from alerts.models import Alert, Severity, vessel_alert
from alerts.routes import route_for
from shipwatch.cargo import CHANGE_MIN_M


def sanctioned_voyage(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A voyage on a watched route within its window; the origin call may have been dark."""
    route = route_for(ev["origin"], ev["destination"], ctx.fence_roles, ctx.routes)
    if route is None or ev["transit_s"] > route.max_transit_s:
        return []
    identity = {
        "route": route.id,
        "origin_arrived_at": ev["origin_arrived_at"],
        "arrived_at": ev["arrived_at"],
    }
    evidence = {
        key: ev.get(key)
        for key in (
            "origin",
            "origin_arrived_at",
            "origin_dark",
            "departed_at",
            "destination",
            "arrived_at",
            "origin_draught_before",
            "origin_draught_after",
            "loaded",
        )
    }
    evidence["transit_h"] = round(ev["transit_s"] / 3600, 1)
    evidence["watched"] = ctx.watch_reason(ev)
    title = f"Voyage {ctx.port(ev['origin'])} → {ctx.port(ev['destination'])} completed"
    return [
        vessel_alert(
            "sanctioned_voyage",
            ev,
            identity,
            route.severity,
            ev["arrived_at"],
            title,
            evidence,
            route=route.id,
            port=ev["destination"],
        )
    ]


def watchlist_port_call(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel stays at a loading port: on arrival, and again if it left loaded."""
    reason = ctx.watch_reason(ev)
    if reason is None or ctx.fence_roles.get(ev["port"]) != "loading":
        return []
    evidence = {
        "watched": reason,
        "port": ev["port"],
        "arrived_at": ev["arrived_at"],
        "stayed": ev["stayed"],
        "confidence": ev["confidence"],
    }
    if ev["departed_at"] is None:
        identity = {"port": ev["port"], "arrived_at": ev["arrived_at"]}
        title = f"Watch-listed vessel calling at {ctx.port(ev['port'])}"
        return [
            vessel_alert(
                "watchlist_port_call",
                ev,
                identity,
                "warning",
                ev["arrived_at"],
                title,
                evidence,
                port=ev["port"],
            )
        ]
    before, after = ev.get("draught_arrival"), ev.get("draught_departure")
    if before is None or after is None or after - before < CHANGE_MIN_M:
        return []
    identity = {"port": ev["port"], "arrived_at": ev["arrived_at"], "loaded": True}
    evidence |= {
        "departed_at": ev["departed_at"],
        "draught_arrival": before,
        "draught_departure": after,
    }
    title = (
        f"Watch-listed vessel left {ctx.port(ev['port'])} loaded (+{after - before:.1f} m draught)"
    )
    return [
        vessel_alert(
            "watchlist_port_call",
            ev,
            identity,
            "critical",
            ev["departed_at"],
            title,
            evidence,
            port=ev["port"],
        )
    ]


def ais_gap(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel went silent near a watched port."""
    reason = ctx.watch_reason(ev)
    if not ev["near"] or reason is None:
        return []
    identity = {"from_at": ev["from_at"], "to_at": ev["to_at"]}
    hours = round(ev["duration_s"] / 3600, 1)
    evidence = {
        "watched": reason,
        "from_at": ev["from_at"],
        "to_at": ev["to_at"],
        "gap_h": hours,
        "from": ev["from"],
        "to": ev["to"],
        "near": ev["near"],
    }
    title = f"Watch-listed vessel silent {hours} h near {ctx.ports(ev['near'])}"
    return [
        vessel_alert(
            "ais_gap", ev, identity, "warning", ev["to_at"], title, evidence, port=ev["near"][0]
        )
    ]


def dark_port_call(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel's AIS gap leaves time for a hidden visit to a watched port; critical
    when its draught changed across the gap."""
    reason = ctx.watch_reason(ev)
    # Gaps are common (coverage, receivers); for unmarked vessels the event is evidence enough.
    if reason is None:
        return []
    identity = dark_call_identity(ev["port"], ev["window_start"], ev["window_end"])
    keys = (
        "window_start",
        "window_end",
        "gap_h",
        "to_port_km",
        "from_port_km",
        "spare_h",
        "draught_before",
        "draught_after",
        "draught_change",
        "reported_at",
    )
    evidence = {"watched": reason} | {k: ev[k] for k in keys if k in ev}
    change = ev.get("draught_change")
    if change is None:
        title = f"Possible dark call at {ctx.port(ev['port'])} during a {ev['gap_h']} h AIS gap"
        severity: Severity = "warning"
    else:
        identity["draught"] = True
        port, gap_h = ctx.port(ev["port"]), ev["gap_h"]
        title = f"Dark call at {port}: draught {change:+.1f} m across a {gap_h} h gap"
        severity = "critical"
    at = ev.get("reported_at", ev["window_end"])
    return [
        vessel_alert("dark_port_call", ev, identity, severity, at, title, evidence, port=ev["port"])
    ]


def dark_call_identity(port: str, start: str, end: str) -> dict[str, Any]:
    """What identifies a dark call's alert (and its retraction)."""
    return {"port": port, "window_start": start, "window_end": end}


def identity_change(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel's MMSI reports another name or IMO, or is used by two transmitters."""
    reason = ctx.watchlist.reason(
        ev["mmsi"],
        ev.get("old") if ev["field"] == "imo" else None,
        ev.get("old") if ev["field"] == "name" else None,
    )
    reason = reason or ctx.watch_reason(ev)
    if reason is None:
        return []
    identity = {"field": ev["field"], "old": ev["old"], "new": ev["new"], "at": ev["at"]}
    evidence = {"watched": reason, "field": ev["field"], "old": ev["old"], "new": ev["new"]}
    if ev["field"] == "position":
        evidence["apart_km"] = ev.get("apart_km")
        title = f"Watch-listed MMSI transmitting from two places {ev.get('apart_km')} km apart"
    else:
        title = f"Watch-listed vessel changed its {ev['field']}: {ev['old']} → {ev['new']}"
    return [vessel_alert("identity_change", ev, identity, "warning", ev["at"], title, evidence)]


def retractions(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """Late data filled a gap: retract the gap and dark-call alerts it had raised."""
    reason = ctx.watch_reason(ev)
    if reason is None:
        return []
    undone = (
        [("ais_gap", {"from_at": ev["from_at"], "to_at": ev["to_at"]}, None)] if ev["near"] else []
    )
    for port in ev["dark"]:
        identity = dark_call_identity(port, ev["from_at"], ev["to_at"])
        undone.append(("dark_port_call", identity, port))
        if ev.get("confirmed"):
            undone.append(("dark_port_call", identity | {"draught": True}, port))
    evidence = {
        "watched": reason,
        "filled_at": ev["filled_at"],
        "from_at": ev["from_at"],
        "to_at": ev["to_at"],
        "reason": "late positions filled the AIS gap",
    }
    return [
        vessel_alert(
            kind,
            ev,
            identity,
            "info",
            ev["filled_at"],
            f"Retracted: {kind} (gap filled)",
            evidence,
            port=port,
        ).model_copy(update={"status": "retracted"})
        for kind, identity, port in undone
    ]
