"""The watched vessels' fixes and silences, where dark sightings find their candidates.

All of them in one partition (the records' key is `watched`), since a dark sighting must weigh
every one; each vessel's value under a key of its own (`watched~v:<mmsi>`), with the list of
them (`watched~vessels`, in the order first seen). A flush then writes only the vessels that
reported: one value for all (before 0.2.0) was parsed and written whole, 0.7 MB for 300 vessels,
at nearly every flush. A candidate was silent at the sighting's time (no fix within two ticks
of it) and could have reached the spot at `candidate_speed_kn` from its last fix before, and
the spot from its next fix after, if it reappeared.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from geofences.movement import METRES_PER_NM, distance_m
from shipwatch.ais.timefmt import iso_of
from shipwatch.sea import held
from shipwatch.sea.store import SeaStore
from shipwatch.sea.thresholds import SeaRules

Record = dict[str, Any]
KEY = "watched"  # the records' key; before 0.2.0 also the one value of every watched vessel
VESSELS_KEY = "watched~vessels"  # their MMSIs (str), in the order first seen
VESSEL_PREFIX = "watched~v:"  # + MMSI: a vessel's last fix, silences, recent fixes and size
DARK_KEY = "watched~dark"  # dark sightings waiting for the watermark (same partition as KEY)
MAX_SILENCES = 64  # per vessel, the most recent: a bound on state, far above what matters
MAX_FIXES = 1_000  # per vessel: a week of ticks, a bound on state while level 2 lags far behind


def note_fix(
    store: SeaStore, rec: Record, rules: SeaRules, w1: float | None, w2: float | None = None
) -> None:
    """Remember a watched vessel's fix, and the silence before it if any.

    Silences are forgotten by the watermark, not by the vessel's own newest fix: a vessel on a
    partition days ahead of the others must still have them when a dark sighting is decided."""
    mmsi = str(rec["mmsi"])
    key = VESSEL_PREFIX + mmsi
    index = mmsis(store)  # first: it moves a release 0.1.0 value to the vessels' own keys
    vessel: Record | None = store.get(key)
    if vessel is None:
        vessel = {"last": None, "silences": []}
        index.append(mmsi)
        store.put(VESSELS_KEY, index)
    elif vessel["last"] is not None and rec["t"] <= vessel["last"][0]:
        return
    # Silences and fixes are in time order (a fix older than the last is ignored above), so
    # what is forgotten is a prefix, cut in place: nearly every frame comes here, and copying
    # the lists made garbage at each fix.
    silences = vessel["silences"]
    if rec["silent_from"] is not None:
        silences.append([*rec["silent_from"], rec["t"], rec["lat"], rec["lon"]])
    if w1 is not None:
        _forget_before(silences, 3, w1 - rules.candidate_lookback_s - rules.sighting_wait_s)
    if len(silences) > MAX_SILENCES:
        del silences[:-MAX_SILENCES]
    vessel["last"] = [rec["t"], rec["lat"], rec["lon"]]
    if rec.get("size") is not None:
        vessel["size"] = rec["size"]
    # Its recent fixes (one a tick), where a satellite scene looks for it: as long as a cell
    # keeps its samples for late sightings, behind the level-2 watermark the scenes are decided
    # on (it may lag the track's by hours when the sea partitions run unevenly).
    fixes = vessel["fixes"] = vessel.get("fixes") or []
    fixes.append(vessel["last"])
    if w2 is not None:
        _forget_before(fixes, 0, w2 - rules.retention_s)
    if len(fixes) > MAX_FIXES:
        del fixes[:-MAX_FIXES]
    store.put(key, vessel)


def mmsis(store: SeaStore) -> list[str]:
    """The watched vessels' MMSIs in the order first seen (the list kept: append, then put)."""
    found: list[str] | None = store.get(VESSELS_KEY)
    return _split_single_value(store) if found is None else found


def _split_single_value(store: SeaStore) -> list[str]:
    """Release 0.1.0 kept every watched vessel in one value under `KEY`: each goes to its own
    key (their order kept), and that value is deleted."""
    single: Record | None = store.get(KEY)
    if not single:
        return []
    for mmsi, vessel in single.items():
        store.put(VESSEL_PREFIX + mmsi, vessel)
    index = list(single)
    store.put(VESSELS_KEY, index)
    store.delete(KEY)
    return index


def vessels(store: SeaStore) -> dict[str, Record]:
    """Every watched vessel's value by MMSI (str), in the order first seen."""
    found = {}
    for mmsi in mmsis(store):
        vessel = store.get(VESSEL_PREFIX + mmsi)
        if vessel is not None:
            found[mmsi] = vessel
    return found


def _forget_before(items: list[list[float]], at: int, horizon: float) -> None:
    """Drop the leading items whose time (`item[at]`) is before the horizon (items in time
    order)."""
    del items[: bisect.bisect_left(items, horizon, key=lambda item: item[at])]


def hold_dark(store: SeaStore, dark: Record, rules: SeaRules, w1: float | None) -> bool:
    """A dark sighting is weighed once every watched fix up to its wait's end is here (the
    watermark is past it); True: now, else it is held until `release`."""
    if w1 is not None and dark["t"] + rules.sighting_wait_s <= w1:
        return True
    held.hold(store, DARK_KEY, dark, _sighting_id)
    return False


def _sighting_id(rec: Record) -> str:
    return str(rec["sighting_id"])


def release(store: SeaStore, w1: float, rules: SeaRules) -> list[Record]:
    """The held dark sightings whose wait the watermark has passed, in time order."""
    return held.release(store, DARK_KEY, w1, rules.sighting_wait_s)


def due_at(store: SeaStore, rules: SeaRules) -> float | None:
    """When the first held dark sighting's wait ends."""
    return held.due_at(store, DARK_KEY, rules.sighting_wait_s)


def candidates(state: Mapping[str, Record], sighting: Record, rules: SeaRules) -> list[Record]:
    """Silent watched vessels of `state` (the store's `vessels`) that could be the sighting,
    nearest last fix first.

    Only fixes up to the sighting's time count, and silent means what `note_fix` records (no
    fix for longer than `max_interp_s`): so the answer does not depend on whether the
    vessel's next fix arrived before the decision."""
    t, lat, lon = sighting["t"], sighting["lat"], sighting["lon"]
    metres_per_s = rules.candidate_speed_kn * METRES_PER_NM / 3600
    found = []
    for mmsi, vessel in state.items():
        before = last_fix_before(vessel, t)
        if before is None or t - before[0] <= rules.max_interp_s:
            continue
        t0, lat0, lon0 = before
        if t - t0 > rules.candidate_lookback_s:
            continue
        d0 = distance_m(lat0, lon0, lat, lon)
        if d0 > (t - t0) * metres_per_s + rules.sighting_match_m:
            continue
        found.append(
            {"mmsi": int(mmsi), "last_seen_at": iso_of(t0), "last_seen_km": round(d0 / 1000, 1)}
        )
    return sorted(found, key=lambda c: (c["last_seen_km"], c["mmsi"]))


def last_fix_before(vessel: Record, t: float) -> tuple[float, float, float] | None:
    """A watched vessel's last fix at or before `t` if a silence spans `t` or it is its latest."""
    for t0, lat0, lon0, t1, _, _ in vessel["silences"]:
        if t0 <= t < t1:
            return t0, lat0, lon0
    last = vessel["last"]
    if last is not None and last[0] <= t:
        return last[0], last[1], last[2]
    return None
