"""Jam cells: a vessel's pattern of jumps is tampering only if the vessels around it kept still.

GNSS jamming and spoofing (the Black Sea, the Baltic, near Russian ports in the Far East)
make many ships jump together; one ship jumping alone lies. Each jump of any vessel is kept in
the jam cells around where that vessel really was (`j:<col>:<row>`, 1 degree, and neighbours
within the interference radius); a vessel's finding (`jumps`, from `vessel_checks`) waits in
its own cell until the watermark is the interference window past it, so that every jump that
could share its window has arrived, whatever the partitions' pace. Pure.
"""

from __future__ import annotations

from typing import Any, Protocol

from geofences.movement import distance_m
from shipwatch.ais.timefmt import iso_of
from shipwatch.integrity.thresholds import IntegrityRules

Record = dict[str, Any]
MAX_JUMPS = 5_000  # per cell: a bound on state far above any real interference episode


class Store(Protocol):
    """Values by key (the sea stage's state)."""

    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...


def add(store: Store, rec: Record, rules: IntegrityRules, w1: float | None) -> str | None:
    """Keep a jump or a finding in its cell; why not, if it came too late to count."""
    if w1 is not None and rec["t"] < w1 - 2 * rules.interference_window_s:
        return "too_late"
    cell: Record = store.get(rec["key"]) or {"jumps": [], "pending": []}
    if rec["kind"] == "jump":
        mark = [rec["t"], rec["mmsi"], rec["lat"], rec["lon"]]
        if mark in cell["jumps"]:
            return "repeat"
        cell["jumps"] = sorted([*cell["jumps"], mark])[-MAX_JUMPS:]
    else:
        if any(p["mmsi"] == rec["mmsi"] and p["t"] == rec["t"] for p in cell["pending"]):
            return "repeat"
        cell["pending"] = sorted([*cell["pending"], rec], key=lambda p: (p["t"], p["mmsi"]))
    store.put(rec["key"], cell)
    return None


def due_at(store: Store, key: str, rules: IntegrityRules) -> float | None:
    """When the cell next has work: a finding's window closes, or its oldest jump expires."""
    cell: Record | None = store.get(key)
    if cell is None:
        return None
    times = [p["t"] + rules.interference_window_s for p in cell["pending"]]
    if cell["jumps"]:
        times.append(cell["jumps"][0][0] + 2 * rules.interference_window_s)
    return min(times) if times else None


def release(store: Store, key: str, w1: float, rules: IntegrityRules) -> list[Record]:
    """Decide the findings whose window the watermark has passed; forget old jumps."""
    cell: Record | None = store.get(key)
    if cell is None:
        return []
    window = rules.interference_window_s
    due = [p for p in cell["pending"] if p["t"] + window <= w1]
    events = [_decide(finding, cell["jumps"], rules) for finding in due]
    cell["pending"] = cell["pending"][len(due) :]
    cell["jumps"] = [j for j in cell["jumps"] if j[0] + 2 * window > w1]
    if cell["pending"] or cell["jumps"]:
        store.put(key, cell)
    else:
        store.delete(key)
    return events


def _decide(finding: Record, jumps: list[list[Any]], rules: IntegrityRules) -> Record:
    """Tampering, or interference when enough other vessels jumped near it at the time."""
    t, lat, lon = finding["t"], finding["lat"], finding["lon"]
    others = sorted(
        {
            mmsi
            for jt, mmsi, jlat, jlon in jumps
            if mmsi != finding["mmsi"]
            and abs(jt - t) <= rules.interference_window_s
            and distance_m(lat, lon, jlat, jlon) <= rules.interference_radius_m
        }
    )
    event = {k: v for k, v in finding.items() if k not in ("key", "t")}
    if len(others) + 1 >= rules.interference_vessels:
        return {
            "kind": "gnss_interference",
            "mmsi": finding["mmsi"],
            "name": finding.get("name"),
            "imo": finding.get("imo"),
            "at": iso_of(t),
            "lat": lat,
            "lon": lon,
            "vessels": sorted([finding["mmsi"], *others]),
            "jumps": finding["jumps"],
        }
    return {**event, "kind": "position_tampering", "reason": "jumps"}
