"""One area cell: the samples of each tick, the pairs they make, and the sightings waiting.

State per cell: a head (`c:<col>:<row>`) with the ticks it holds and the sightings waiting;
and one value per tick (`c:<col>:<row>@<t>`) with that tick's samples by MMSI. The cell runs
on its partition's low watermark (`w1`, shipwatch/watermarks.py), never on its own newest
sample: ticks older than `retention_s` behind it are dropped, and a sighting is decided once
it is `sighting_wait_s` past it, whether or not any AIS ever comes from the cell again.
"""

from __future__ import annotations

from typing import Any

from geofences.earth import METRES_PER_DEGREE
from geofences.movement import METRES_PER_NM, distance_m
from shipwatch.sea.encounters import pair_key
from shipwatch.sea.store import SeaStore
from shipwatch.sea.thresholds import SeaRules
from shipwatch.sea.zones import SeaZones

Record = dict[str, Any]
# A tick's sample of one vessel: lat, lon, sog, slow at sea, left, home here, draught, name, imo,
# and gone (the vessel fell silent: where it was last seen, not where it is; never matched)
LAT, LON, SOG, SLOW, LEFT, HOME, DRAUGHT, NAME, IMO, GONE = range(10)


def head_of(store: SeaStore, key: str) -> Record:
    """The cell's head, new if the cell has none yet."""
    head: Record | None = store.get(key)
    return head if head is not None else {"ticks": [], "pending": []}


def add_sample(
    store: SeaStore, rec: Record, rules: SeaRules, w1: float | None
) -> tuple[list[Record], str | None, bool]:
    """Keep one sample: the pair observations it completes (or why it was not kept), and
    whether it opened a tick the cell did not hold (its head changed)."""
    key, t = rec["key"], rec["t"]
    if w1 is not None and t < w1 - rules.retention_s:
        return [], "too_late", False
    tick_key = f"{key}@{t}"
    samples: Record = store.get(tick_key) or {}
    me = str(rec["mmsi"])
    if me in samples:
        return [], "repeat", False
    if len(samples) >= rules.max_vessels_per_cell_tick:
        return [], "cell_full", False
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
        rec.get("gone", False),
    ]
    observations = [
        obs
        for other, theirs in samples.items()
        if (obs := _pair(rec["mmsi"], mine, int(other), theirs, t, rules)) is not None
    ]
    samples[me] = mine
    store.put(tick_key, samples)
    head = head_of(store, key)
    if t in head["ticks"]:
        return observations, None, False
    head["ticks"].append(t)
    store.put(key, head)
    return observations, None, True


def due_at(store: SeaStore, key: str, rules: SeaRules) -> float | None:
    """When the cell next has work: its oldest tick expires, or a sighting's wait ends."""
    head: Record | None = store.get(key)
    if head is None:
        return None
    times = [s["t"] + rules.sighting_wait_s for s in head["pending"]]
    if head["ticks"]:
        times.append(min(head["ticks"]) + rules.retention_s)
    return min(times) if times else None


def take_due(store: SeaStore, key: str, w1: float, rules: SeaRules) -> list[Record]:
    """The watermark moved on: the sightings whose wait is over (decide them, then `expire`)."""
    head: Record | None = store.get(key)
    if head is None:
        return []
    due = [s for s in head["pending"] if s["t"] + rules.sighting_wait_s <= w1]
    if due:
        head["pending"] = [s for s in head["pending"] if s["t"] + rules.sighting_wait_s > w1]
        store.put(key, head)
    return due


def expire(store: SeaStore, key: str, w1: float, rules: SeaRules) -> None:
    """Drop the ticks `retention_s` behind the watermark (and the cell when nothing is left)."""
    head: Record | None = store.get(key)
    if head is None:
        return
    for t in head["ticks"]:
        if t < w1 - rules.retention_s:
            store.delete(f"{key}@{t}")
    head["ticks"] = [t for t in head["ticks"] if t >= w1 - rules.retention_s]
    if head["ticks"] or head["pending"]:
        store.put(key, head)
    else:
        store.delete(key)


def _pair(a: int, sa: list[Any], b: int, sb: list[Any], t: int, rules: SeaRules) -> Record | None:
    """The observation of a pair at one tick, if this cell owns it and it says something."""
    lo, slo, hi, shi = (a, sa, b, sb) if a < b else (b, sb, a, sa)
    if not slo[HOME]:
        return None  # the lower MMSI's home cell decides the pair: exactly one cell does
    left = slo[LEFT] or shi[LEFT]
    both_slow = slo[SLOW] and shi[SLOW]
    # Only the distance could make it say something: leave before the haversine when it
    # cannot (neither slow at sea; or farther apart in latitude alone than `apart`, a lower
    # bound of the great-circle distance). Moored vessels crowd a port's cells.
    if not left and (
        not both_slow or abs(slo[LAT] - shi[LAT]) * METRES_PER_DEGREE > rules.apart_distance_m + 1
    ):
        return None
    d = distance_m(slo[LAT], slo[LON], shi[LAT], shi[LON])
    close = both_slow and d <= rules.encounter_distance_m
    says_apart = left or (both_slow and d <= rules.apart_distance_m)
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


def wait_or_decide(
    store: SeaStore, sighting: Record, rules: SeaRules, w1: float | None
) -> tuple[bool, str | None]:
    """Hold a sighting until the watermark is `sighting_wait_s` past it; True: decide now."""
    key, t = sighting["key"], sighting["t"]
    if w1 is not None and t < w1 - rules.retention_s + rules.tick_s:
        return False, "sighting_too_old"
    if w1 is not None and t + rules.sighting_wait_s <= w1:
        return True, None
    head = head_of(store, key)
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
        a, b = _seen(before.get(mmsi)), _seen(after.get(mmsi))
        if a is None and b is None:
            continue
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


def _seen(sample: list[Any] | None) -> list[Any] | None:
    """A sample that says where the vessel was (not where a silent one was last seen)."""
    return None if sample is None or (len(sample) > GONE and sample[GONE]) else sample


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
