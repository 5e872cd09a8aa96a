"""One area cell: the samples of each tick, the pairs they make, and the sightings waiting.

State per cell: a head (`c:<col>:<row>`) with the cell's clock (newest tick seen), the ticks
it holds and the sightings waiting for AIS; and one value per tick (`c:<col>:<row>@<t>`) with
that tick's samples by MMSI. Ticks older than `retention_s` behind the clock are dropped.
"""

from __future__ import annotations

from typing import Any

from geofences.movement import METRES_PER_NM, distance_m
from sea.encounters import pair_key
from sea.rules import SeaRules
from sea.store import SeaStore
from sea.zones import SeaZones

Record = dict[str, Any]
# A tick's sample of one vessel: lat, lon, sog, slow at sea, left, home here, draught, name, imo
LAT, LON, SOG, SLOW, LEFT, HOME, DRAUGHT, NAME, IMO = range(9)


def is_head(key: str) -> bool:
    """True for a cell's head key (not one of its ticks, a pair or `watched`)."""
    return key.startswith("c:") and "@" not in key


def head_of(store: SeaStore, key: str) -> Record:
    """The cell's head, new if the cell has none yet."""
    head: Record | None = store.get(key)
    return head if head is not None else {"clock": None, "ticks": [], "pending": []}


def add_sample(
    store: SeaStore, rec: Record, rules: SeaRules
) -> tuple[list[Record], str | None, list[Record]]:
    """Keep one sample: the pair observations it completes (or why it was not kept), and the
    cell's sightings whose wait it ended by moving the cell's clock on."""
    key, t = rec["key"], rec["t"]
    head = head_of(store, key)
    if head["clock"] is not None and t < head["clock"] - rules.retention_s:
        return [], "too_late", []
    tick_key = f"{key}@{t}"
    samples: Record = store.get(tick_key) or {}
    me = str(rec["mmsi"])
    if me in samples:
        return [], "repeat", []
    if len(samples) >= rules.max_vessels_per_cell_tick:
        return [], "cell_full", []
    mine = [
        rec["lat"],
        rec["lon"],
        rec["sog"],
        rec["slow"],
        rec["left"],
        rec["home"],
        rec["draught"],
        rec["name"],
        rec["imo"],
    ]
    observations = [
        obs
        for other, theirs in samples.items()
        if (obs := _pair(rec["mmsi"], mine, int(other), theirs, t, rules)) is not None
    ]
    samples[me] = mine
    store.put(tick_key, samples)
    due: list[Record] = []
    if t not in head["ticks"]:  # a new tick for the cell, perhaps a new clock: the head changes
        head["ticks"].append(t)
        if head["clock"] is None or t > head["clock"]:
            head["clock"] = t
            due = _advance(store, key, head, rules)
        store.put(key, head)
    return observations, None, due


def _pair(a: int, sa: list[Any], b: int, sb: list[Any], t: int, rules: SeaRules) -> Record | None:
    """The observation of a pair at one tick, if this cell owns it and it says something."""
    (lo, slo), (hi, shi) = sorted(((a, sa), (b, sb)), key=lambda p: p[0])
    if not slo[HOME]:
        return None  # the lower MMSI's home cell decides the pair: exactly one cell does
    d = distance_m(slo[LAT], slo[LON], shi[LAT], shi[LON])
    both_slow = slo[SLOW] and shi[SLOW]
    close = both_slow and d <= rules.encounter_distance_m
    says_apart = slo[LEFT] or shi[LEFT] or (both_slow and d <= rules.apart_distance_m)
    if not close and not says_apart:
        return None
    return {
        "kind": "pair",
        "key": pair_key(lo, hi),
        "lo": lo,
        "hi": hi,
        "t": t,
        "close": close,
        "d": round(d, 1),
        "lat": (slo[LAT] + shi[LAT]) / 2,
        "lon": (slo[LON] + shi[LON]) / 2,
        "lo_sog": slo[SOG],
        "hi_sog": shi[SOG],
        "lo_draught": slo[DRAUGHT],
        "hi_draught": shi[DRAUGHT],
        "lo_name": slo[NAME],
        "hi_name": shi[NAME],
        "lo_imo": slo[IMO],
        "hi_imo": shi[IMO],
    }


def _advance(store: SeaStore, key: str, head: Record, rules: SeaRules) -> list[Record]:
    """The clock moved on: take the sightings whose wait is over, drop the expired ticks."""
    clock = head["clock"]
    due = [s for s in head["pending"] if s["t"] + rules.sighting_wait_s <= clock]
    head["pending"] = [s for s in head["pending"] if s["t"] + rules.sighting_wait_s > clock]
    for t in head["ticks"]:
        if t < clock - rules.retention_s:
            store.delete(f"{key}@{t}")
    head["ticks"] = [t for t in head["ticks"] if t >= clock - rules.retention_s]
    return due


def wait_or_decide(store: SeaStore, sighting: Record, rules: SeaRules) -> tuple[bool, str | None]:
    """Hold a sighting until its cell's AIS is `sighting_wait_s` past it; True: decide now."""
    key = sighting["key"]
    head = head_of(store, key)
    clock = head["clock"]
    if clock is not None and sighting["t"] < clock - rules.retention_s + rules.tick_s:
        return False, "sighting_too_old"
    if clock is not None and sighting["t"] + rules.sighting_wait_s <= clock:
        return True, None
    if any(s["sighting_id"] == sighting["sighting_id"] for s in head["pending"]):
        return False, None  # a repeat: it is already waiting
    head["pending"].append(sighting)
    store.put(key, head)
    return False, None


def match(store: SeaStore, sighting: Record, rules: SeaRules) -> tuple[int | None, float | None]:
    """The AIS vessel at the sighting, interpolated to its time: (mmsi, metres) or nothing."""
    t, key = sighting["t"], sighting["key"]
    before_t = int(t // rules.tick_s * rules.tick_s)
    after_t = before_t + rules.tick_s
    before: Record = store.get(f"{key}@{before_t}") or {}
    after: Record = store.get(f"{key}@{after_t}") or {}
    reach = rules.sighting_match_m + (sighting.get("length_m") or 0) / 2
    best: tuple[float, int] | None = None
    for mmsi in sorted({*before, *after}, key=int):
        a, b = before.get(mmsi), after.get(mmsi)
        slack = 0.0
        if a is not None and b is not None:
            f = (t - before_t) / rules.tick_s
            lat, lon = a[LAT] + f * (b[LAT] - a[LAT]), a[LON] + f * (b[LON] - a[LON])
        else:
            # The other tick's sample is in another cell, or before the track began: the
            # vessel may have moved since (or until) this one at its speed.
            one, at = (a, before_t) if a is not None else (b, after_t)
            assert one is not None
            lat, lon = one[LAT], one[LON]
            knots = one[SOG] if one[SOG] is not None else rules.candidate_speed_kn
            slack = knots * METRES_PER_NM / 3600 * abs(t - at)
        d = distance_m(lat, lon, sighting["lat"], sighting["lon"])
        if d <= reach + slack and (best is None or d - slack < best[0]):
            best = (max(d - slack, 0.0), int(mmsi))
    return (best[1], round(best[0], 1)) if best else (None, None)


def sighting_event(sighting: Record, mmsi: int | None, metres: float | None) -> Record:
    """The `sighting` event: matched to a vessel or not."""
    return {
        "kind": "sighting",
        "mmsi": mmsi,
        "sighting_id": sighting["sighting_id"],
        "ts": sighting["ts"],
        "lat": sighting["lat"],
        "lon": sighting["lon"],
        "matched_mmsi": mmsi,
        "distance_m": metres,
        "length_m": sighting.get("length_m"),
        "source": sighting.get("source"),
    }


def near_watched_port(zones: SeaZones, sighting: Record) -> Record | None:
    """The fence an unmatched sighting is at or near, with its role and distance, if any."""
    found = zones.nearest_port(sighting["lat"], sighting["lon"])
    if found is None:
        return None
    fence, metres = found
    return {"port": fence.id, "port_role": fence.role, "port_distance_m": round(metres)}
