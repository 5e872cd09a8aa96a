"""Estimated deliveries per watched route and calendar year against the UN cap.

`add_delivery(totals, delivery, ctx) -> (totals, barrels, alerts)`: the totals are keyed
`<route>|<year>`, each `{"total": barrels, "seen": [delivery ids], ..., "v": FORMAT}`; a
delivery adds its estimated barrels once (a replayed or re-processed delivery is recognised by
its id), and crossing a configured share of the cap raises a `cap_threshold` alert once per
route, year and share.
"""

from __future__ import annotations

from typing import Any

from alerts.context import RuleContext
from alerts.models import Alert, alert_id_for
from alerts.routes import route_for
from shipwatch.cargo import crossed, estimate_barrels
from shipwatch.errors import readable_format

# The format of a totals entry (the caps table value), written as "v"; an entry without it is
# version 1. Entries live for years: a change a reader could take for something else (the
# positional lists of "deliveries" and "raised") raises it, and `add_delivery` reads every
# older version too (tests/data/upgrade).
FORMAT = 1


def delivery_route(ev: dict[str, Any], ctx: RuleContext) -> str | None:
    """The watched route a delivery completes, if any."""
    route = route_for(ev["origin"], ev["port"], ctx.fence_roles, ctx.routes)
    return route.id if route else None


def delivery_id(ev: dict[str, Any]) -> str:
    """The same delivery, however often it is processed, has the same id."""
    return f"{ev['mmsi']}|{ev['port']}|{ev['arrived_at']}"


def delivery_order(ev: dict[str, Any]) -> list[Any]:
    """Where a delivery stands in event time: when it left the port it discharged at."""
    return [ev["departed_at"] or "", ev["arrived_at"], ev["mmsi"], ev["port"]]


_CROSSING_FIELDS = (
    "mmsi",
    "name",
    "imo",
    "origin",
    "port",
    "arrived_at",
    "departed_at",
    "discharged_m",
)


def add_delivery(
    totals: dict[str, dict[str, Any]], ev: dict[str, Any], ctx: RuleContext
) -> tuple[dict[str, dict[str, Any]], float | None, list[Alert]]:
    """Count one delivery event; returns new totals, its barrels (None if not counted) and
    the threshold alerts it raises or changes.

    The deliveries of a route come from every vessel's partition, in whatever order the
    partitions run; the cap counts them in event time (`delivery_order`), so the delivery
    that crosses a share is the same however they arrived. A delivery that arrives after a
    later one crossed a share, and takes the crossing over, re-issues that share's alert (the
    same id, the evidence as `detect` has it): late data applied as a correction."""
    route = delivery_route(ev, ctx)
    barrels = estimate_barrels(ev["length"], ev["beam"], ev["discharged_m"], ctx.cargo)
    if route is None or barrels is None:
        return totals, None, []
    year = ev["departed_at"][:4]
    key = f"{route}|{year}"
    entry = totals.get(key) or {"total": 0.0, "seen": []}
    readable_format(entry.get("v"), FORMAT, f"the caps table value {key!r}")
    if delivery_id(ev) in entry["seen"]:
        return totals, None, []
    counted: list[list[Any]] = list(entry.get("deliveries", []))
    # Totals kept before deliveries were (an older state) count first, as they were.
    base = float(entry["total"]) - sum(d[1] for d in counted)
    crossing = {k: ev.get(k) for k in _CROSSING_FIELDS} | {"barrels": barrels}
    counted.append([delivery_order(ev), barrels, crossing])
    counted.sort(key=lambda d: d[0])
    raised: dict[str, Any] = dict(entry.get("raised", {}))
    alerts = []
    total = base
    for _, delivery_bbl, delivery in counted:
        before, total = total, total + delivery_bbl
        for share in crossed(before, total, ctx.cap_bbl, ctx.cap_shares):
            said = [delivery_id(delivery), round(total)]
            if raised.get(str(share)) == said:
                continue
            raised[str(share)] = said
            alerts.append(_cap_alert(route, year, share, total, delivery, ctx))
    new_entry = {
        "total": total,
        "seen": [*entry["seen"], delivery_id(ev)],
        "deliveries": counted,
        "raised": raised,
        "v": FORMAT,
    }
    return {**totals, key: new_entry}, barrels, alerts


def _cap_alert(
    route: str, year: str, share: float, total: float, delivery: dict[str, Any], ctx: RuleContext
) -> Alert:
    pct = round(share * 100)
    return Alert(
        alert_id=alert_id_for("cap_threshold", 0, {"route": route, "year": year, "share": share}),
        kind="cap_threshold",
        severity="critical" if share >= 1 else "warning",
        mmsi=delivery["mmsi"],
        at=delivery["departed_at"],
        title=f"Estimated deliveries on {route} passed {pct} % of the {year} cap",
        route=route,
        port=delivery["port"],
        evidence={
            "year": year,
            "share": share,
            "cap_bbl": ctx.cap_bbl,
            "estimated_bbl": round(total),
            "crossing_delivery": delivery,
        },
    )
