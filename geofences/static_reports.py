"""Static and voyage data into the vessel's track: draught changes and identity changes.

Static reports are applied as they come (their order matters only for which value is latest,
and an older report than the latest applied is ignored). Draught changes become `draught`
events, with the hull size the cargo estimate needs; a changed name or IMO of an MMSI becomes
an `identity` event.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from geofences.track_state import S
from shipwatch.ais.timefmt import iso_of

DRAUGHT_STEP_M = 0.1  # AIS draught resolution; smaller differences are not changes
FIELDS = ("imo", "name", "callsign", "ship_type", "length", "beam", "draught", "destination")
IDENTITY_FIELDS = ("imo", "name")


def apply_static(
    state: S, mmsi: int, t: float, report: dict[str, Any]
) -> tuple[S, list[dict[str, Any]]]:
    """Merge one static report; the same state object back means it was stale."""
    if state.static_t is not None and t <= state.static_t:
        return state, []
    known = state.vessel
    merged = {**known, **{k: report[k] for k in FIELDS if report.get(k) is not None}}
    events: list[dict[str, Any]] = []
    at = iso_of(t)
    draught, previous = merged.get("draught"), known.get("draught")
    if draught is not None and (previous is None or abs(draught - previous) >= DRAUGHT_STEP_M):
        events.append(
            {
                "kind": "draught",
                "mmsi": mmsi,
                "at": at,
                "draught": draught,
                "previous": previous,
                "length": merged.get("length"),
                "beam": merged.get("beam"),
            }
        )
    shown = ("imo", "name", "callsign", "ship_type")
    if any(merged.get(k) != known.get(k) for k in shown):
        events.append(
            {"kind": "vessel", "mmsi": mmsi, "at": at} | {k: merged.get(k) for k in shown}
        )
    for key in IDENTITY_FIELDS:
        old, new = known.get(key), report.get(key)
        if old is not None and new is not None and old != new:
            events.append(
                {"kind": "identity", "mmsi": mmsi, "at": at, "field": key, "old": old, "new": new}
            )
    return replace(state, vessel=merged, static_t=t), events
