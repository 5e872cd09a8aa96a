"""Alert rules on the at-sea events: encounters, loitering and dark sightings."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from alerts.context import RuleContext
from alerts.models import Alert, vessel_alert
from shipwatch.cargo import CHANGE_MIN_M

CARGO_PORT_ROLES = ("loading", "discharge")  # a dark vessel there is critical


def sts_encounter(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel met another at sea: warning while it goes on, critical if cargo moved."""
    reason = ctx.watch_reason(ev)
    if reason is None:
        return []
    identity = {"other_mmsi": ev["other_mmsi"], "started_at": ev["started_at"]}
    before, after = ev.get("draught_before"), ev.get("draught_after")
    change = None if before is None or after is None else round(after - before, 2)
    evidence = {
        "watched": reason,
        "other": {
            "mmsi": ev["other_mmsi"],
            "name": ev.get("other_name"),
            "imo": ev.get("other_imo"),
            "flag_mid": ev.get("other_flag_mid"),
        },
        **{
            k: ev.get(k)
            for k in ("started_at", "ended_at", "lat", "lon", "min_distance_m", "median_sog")
        },
        "other_median_sog": ev.get("other_median_sog"),
        "duration_h": round(ev["duration_s"] / 3600, 1),
        "draught_before": before,
        "draught_after": after,
        "draught_change_m": change,
    }
    where = f"at {ev['lat']:.3f}, {ev['lon']:.3f}"
    alerts = []
    if ev["ended_at"] is None:
        alerts.append(
            vessel_alert(
                "sts_encounter",
                ev,
                identity,
                "warning",
                ev["started_at"],
                f"Ship-to-ship encounter with {ev['other_mmsi']} {where}",
                evidence,
            )
        )
    elif change is not None and abs(change) >= CHANGE_MIN_M:
        alerts.append(
            vessel_alert(
                "sts_encounter",
                ev,
                {**identity, "cargo": True},
                "critical",
                ev["ended_at"],
                f"Cargo moved at sea with {ev['other_mmsi']} (draught {change:+} m)",
                evidence,
            )
        )
    return alerts


def loitering(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A watched vessel waits at sea: the pattern of a tanker waiting for an STS partner."""
    reason = ctx.watch_reason(ev)
    if reason is None or ev["ended_at"] is not None:
        return []
    evidence = {
        "watched": reason,
        **{k: ev.get(k) for k in ("started_at", "lat", "lon", "median_sog")},
        "duration_h": round(ev["duration_s"] / 3600, 1),
    }
    title = f"Loitering at sea at {ev['lat']:.3f}, {ev['lon']:.3f}"
    identity = {"started_at": ev["started_at"]}
    return [vessel_alert("loitering", ev, identity, "warning", ev["started_at"], title, evidence)]


def dark_vessel(ev: dict[str, Any], ctx: RuleContext) -> list[Alert]:
    """A satellite saw a ship no AIS vessel explains, at or near a watched port."""
    if ev.get("matched_mmsi") is not None or ev.get("port") is None:
        return []
    severity = "critical" if ev.get("port_role") in CARGO_PORT_ROLES else "warning"
    digest = hashlib.sha256(orjson.dumps({"sighting_id": ev["sighting_id"]})).hexdigest()[:16]
    evidence = {
        k: ev.get(k)
        for k in (
            "sighting_id",
            "ts",
            "lat",
            "lon",
            "length_m",
            "source",
            "port_distance_m",
            "candidates",
            "candidate_details",
        )
    }
    where = "at" if ev.get("port_distance_m") == 0 else "near"
    return [
        Alert(
            alert_id=f"dark_vessel-{digest}",
            kind="dark_vessel",
            severity=severity,
            mmsi=None,
            at=ev["ts"],
            title=f"Unidentified ship seen by satellite {where} {ctx.port(ev['port'])}",
            port=ev["port"],
            evidence=evidence,
        )
    ]


SEA_RULES = {
    "encounter": (sts_encounter,),
    "loitering": (loitering,),
    "sighting": (dark_vessel,),
}
