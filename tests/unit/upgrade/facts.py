"""What a recorded record means, in named fields, as this release's readers restore it.

`scripts/record_upgrade_fixtures.py` stores these facts beside each record (`expect`), computed
by the recording release; `test_upgrade_fixtures.py` computes them again with the reading
release and compares. So a reader that takes an old value for something else fails there: a
positional list read in another order, a field read in another unit. Every value a positional
list holds is named here. When a release changes a format, these functions read its new objects
(the old fixtures keep the facts their release found); they never change what a fact means.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from alerts.models import Alert
from geofences.track_state import fences_of
from shipwatch.pipeline.frames import parse_frame
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.sea import cells
from shipwatch.sea.vessel_track import SeaTrack
from shipwatch.voyages.machine import VoyageState

Facts = dict[str, Any]


def frame_facts(value: bytes) -> Facts:
    """A frame (`frames`, `sea`, `history`): its records' count and kinds, and its progress."""
    records, progress = parse_frame(value)
    kinds = Counter(str(r.get("kind")) for r in records)
    return {
        "records": len(records),
        "kinds": dict(sorted(kinds.items())),
        "progress": None if progress is None else progress.to_json(),
    }


def _fix(values: Any) -> Facts | None:
    """[t, lat, lon] (and maybe more) as named."""
    return None if not values else {"t": values[0], "lat": values[1], "lon": values[2]}


def _sea(sea: SeaTrack | None) -> Facts | None:
    if sea is None:
        return None
    loiter = sea.loiter
    return {
        "t": sea.t,
        "lat": sea.lat,
        "lon": sea.lon,
        "sog": sea.sog,
        "slow_at_sea": sea.slow_at_sea,
        "travels": sea.travels,
        "loiter": None
        if loiter is None
        else {
            "start_t": loiter.start_t,
            "last_t": loiter.last_t,
            "n": loiter.n,
            "reported": loiter.reported,
            "speeds": sum(loiter.speeds),
        },
    }


def tracks_facts(value: bytes) -> Facts:
    """A vessel's tracker state (the `tracks` table's value)."""
    state = VesselState.from_json(value)
    gap = state.last_gap
    return {
        "fences": fences_of(value),
        "visits": {
            fence: {"entered_t": v.entered_t, "stopped": v.stopped, "stayed": v.stayed}
            for fence, v in sorted(state.visits.items())
        },
        "last": {"t": state.last_t, "lat": state.last_lat, "lon": state.last_lon},
        "newest_t": state.newest_t,
        "seq": state.seq,
        "pending": [{**(_fix(p) or {}), "sog": p[3]} for p in state.pending],
        "suspect": _fix(state.suspect),
        "glitch": _fix(state.glitches),
        "gap": None if not gap else {"from": _fix(gap[:3]), "to": _fix(gap[3:6])},
        "vessel": {k: state.vessel[k] for k in sorted(state.vessel)},
        "static_t": state.static_t,
        "sea": _sea(state.sea),
    }


def voyages_facts(value: dict[str, Any]) -> Facts:
    """A vessel's voyage state (the `voyages` table's value)."""
    state = VoyageState.from_dict(value)
    return {
        "open": {fence: call.arrived_at for fence, call in sorted(state.open.items())},
        "calls": [
            {"port": c.port, "arrived_at": c.arrived_at, "departed_at": c.departed_at}
            for c in state.calls
        ],
        "draughts": [{"at": d[0], "m": d[1]} for d in state.draughts],
        "hull": {"length": state.hull[0], "beam": state.hull[1]},
        "last_seq": state.last_seq,
    }


def caps_facts(value: dict[str, Any]) -> Facts:
    """A route's and year's totals (the `caps` table's value)."""
    return {
        "total": value["total"],
        "seen": len(value["seen"]),
        "deliveries": [
            {"departed_at": d[0][0], "barrels": d[1], "mmsi": d[2]["mmsi"]}
            for d in value.get("deliveries", [])
        ],
        "raised": {share: {"delivery": r[0], "bbl": r[1]} for share, r in value["raised"].items()},
    }


def sea_kind(key: str) -> str:
    """What a key of the `sea` table holds (docs/guarantees.md, "The sea stage and its table")."""
    if key.startswith("wm:"):
        return "clock"
    if key.startswith("p:"):
        return "pair"
    if key in ("watched", "watched~dark", "watched~vessels"):
        return key
    if key.startswith("watched~v:"):
        return "watched~v"
    return "tick" if "@" in key else "cell"


def sea_facts(key: str, raw: bytes) -> Facts:
    """A value of the `sea` table, by the kind of its key."""
    kind = sea_kind(key)
    value = orjson.loads(raw)
    facts: Facts = {"kind": kind}
    if kind == "clock":
        facts["levels"] = {
            level: {"sources": found["n"], "heard": sorted(found["p"])}
            for level, found in sorted(value["marks"].items())
        }
        facts["due"] = sorted(value["due"])
    elif kind == "cell":
        facts["ticks"] = sorted(value["ticks"])
        facts["pending"] = [s["sighting_id"] for s in value["pending"]]
    elif kind == "tick":
        facts["samples"] = {
            mmsi: {
                "lat": s[cells.LAT],
                "lon": s[cells.LON],
                "sog": s[cells.SOG],
                "slow": s[cells.SLOW],
                "home": s[cells.HOME],
                "gone": len(s) > cells.GONE and bool(s[cells.GONE]),
            }
            for mmsi, s in sorted(value.items())
        }
    elif kind == "pair":
        run = value.get("run")
        facts["run"] = None if run is None else {"last": run["last"], "n": run["n"]}
        facts["held"] = [obs["t"] for obs in value.get("buf", [])]
        facts["ended"] = value.get("ended")
    elif kind == "watched":  # release 0.1.0: every watched vessel in one value
        facts["vessels"] = {mmsi: _watched_vessel(v) for mmsi, v in sorted(value.items())}
    elif kind == "watched~v":
        facts["vessel"] = _watched_vessel(value)
    elif kind == "watched~vessels":
        facts["mmsis"] = list(value)
    else:
        facts["held"] = [d["sighting_id"] for d in value]
    return facts


def _watched_vessel(value: dict[str, Any]) -> Facts:
    return {
        "last": _fix(value["last"]),
        "silences": [{"from_t": s[0], "to_t": s[3]} for s in value["silences"]],
    }


def alert_facts(value: bytes) -> Facts:
    """An alert as the model reads it."""
    alert = Alert.model_validate_json(value)
    return {"alert_id": alert.alert_id, "kind": alert.kind, "status": alert.status}
