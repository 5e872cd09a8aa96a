"""Alert rules: `evaluate(event, context) -> alerts`, pure and deterministic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.models import Alert, alert_id_for
from alerts.routes import DEFAULT_ROUTES, Route, flag_of, is_watchlisted


@dataclass(frozen=True)
class RuleContext:
    """What the rules know beyond the event: the roles of fences and the watched routes."""

    fence_roles: Mapping[str, str] = field(default_factory=dict)
    routes: Sequence[Route] = DEFAULT_ROUTES


def sanctioned_voyage(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A voyage from a route's origin to its destination within the route's window."""
    out = []
    for route in ctx.routes:
        if (ev["origin"], ev["destination"]) != (route.origin, route.destination):
            continue
        if ev["transit_s"] > route.max_transit_s:
            continue
        identity = {
            "route": route.id,
            "origin_arrived_at": ev["origin_arrived_at"],
            "arrived_at": ev["arrived_at"],
        }
        out.append(
            Alert(
                alert_id=alert_id_for("sanctioned_voyage", ev["mmsi"], identity),
                kind="sanctioned_voyage",
                severity=route.severity,
                mmsi=ev["mmsi"],
                at=ev["arrived_at"],
                title=f"Voyage {route.origin} → {route.destination} completed",
                route=route.id,
                port=route.destination,
                evidence={
                    "flag_mid": flag_of(ev["mmsi"]),
                    "origin": ev["origin"],
                    "origin_arrived_at": ev["origin_arrived_at"],
                    "origin_dark": ev.get("origin_dark", False),
                    "departed_at": ev["departed_at"],
                    "destination": ev["destination"],
                    "arrived_at": ev["arrived_at"],
                    "transit_h": round(ev["transit_s"] / 3600, 1),
                },
            )
        )
    return out


def watchlist_port_call(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watch-listed vessel stays at a loading port; fires once, when the call begins."""
    if ev["departed_at"] is not None or ctx.fence_roles.get(ev["port"]) != "loading":
        return []
    if not is_watchlisted(ev["mmsi"]):
        return []
    identity = {"port": ev["port"], "arrived_at": ev["arrived_at"]}
    return [
        Alert(
            alert_id=alert_id_for("watchlist_port_call", ev["mmsi"], identity),
            kind="watchlist_port_call",
            severity="warning",
            mmsi=ev["mmsi"],
            at=ev["arrived_at"],
            title=f"Watch-listed vessel calling at {ev['port']}",
            port=ev["port"],
            evidence={
                "flag_mid": flag_of(ev["mmsi"]),
                "port": ev["port"],
                "arrived_at": ev["arrived_at"],
                "stayed": ev["stayed"],
                "confidence": ev["confidence"],
            },
        )
    ]


def ais_gap(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watch-listed vessel went silent near a watched port."""
    if not ev["near"] or not is_watchlisted(ev["mmsi"]):
        return []
    identity = {"from_at": ev["from_at"], "to_at": ev["to_at"]}
    hours = round(ev["duration_s"] / 3600, 1)
    return [
        Alert(
            alert_id=alert_id_for("ais_gap", ev["mmsi"], identity),
            kind="ais_gap",
            severity="warning",
            mmsi=ev["mmsi"],
            at=ev["to_at"],
            title=f"Watch-listed vessel silent {hours} h near {', '.join(ev['near'])}",
            port=ev["near"][0],
            evidence={
                "flag_mid": flag_of(ev["mmsi"]),
                "from_at": ev["from_at"],
                "to_at": ev["to_at"],
                "gap_h": hours,
                "from": ev["from"],
                "to": ev["to"],
                "near": ev["near"],
            },
        )
    ]


def dark_port_call(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watch-listed vessel's AIS gap leaves time for a hidden visit to a watched port."""
    # Gaps are common (coverage, receivers); for unmarked vessels the event is evidence enough.
    if not is_watchlisted(ev["mmsi"]):
        return []
    identity = {
        "port": ev["port"],
        "window_start": ev["window_start"],
        "window_end": ev["window_end"],
    }
    return [
        Alert(
            alert_id=alert_id_for("dark_port_call", ev["mmsi"], identity),
            kind="dark_port_call",
            severity="warning",
            mmsi=ev["mmsi"],
            at=ev["window_end"],
            title=f"Possible dark call at {ev['port']} during a {ev['gap_h']} h AIS gap",
            port=ev["port"],
            evidence={
                "flag_mid": flag_of(ev["mmsi"]),
                "window_start": ev["window_start"],
                "window_end": ev["window_end"],
                "gap_h": ev["gap_h"],
                "to_port_km": ev["to_port_km"],
                "from_port_km": ev["from_port_km"],
                "spare_h": ev["spare_h"],
            },
        )
    ]


RULES = {
    "voyage": (sanctioned_voyage,),
    "port_call": (watchlist_port_call,),
    "ais_gap": (ais_gap,),
    "dark_port_call": (dark_port_call,),
}


def evaluate(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """Every alert that one voyage event raises."""
    return [alert for rule in RULES.get(ev["kind"], ()) for alert in rule(ev, ctx)]
