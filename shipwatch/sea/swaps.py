"""Identity swaps: a watched vessel falls silent at sea, and a new identity of its type and size
starts transmitting within its reach.

A new identity (an MMSI unseen for `new_after_days`, with its type, length and beam known)
is held beside the watched vessels (`watched~new`) until the watermark is `swap_confirm_s`
(and a dark sighting's wait) past its first fix: then every watched fix up to that time is
here. Its candidates are the watched vessels silent at its first fix that could have reached
it (the dark candidates' test), fell silent at sea (clear of every fence, as encounters
are), match its size, and stayed silent `swap_confirm_s` on. A
vessel of that size already transmitting elsewhere is not new, so never a candidate. Pure.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shipwatch.ais.timefmt import iso_of
from shipwatch.integrity.thresholds import IntegrityRules
from shipwatch.sea import held, watched
from shipwatch.sea.store import SeaStore
from shipwatch.sea.thresholds import SeaRules
from shipwatch.sea.zones import SeaZones

Record = dict[str, Any]
KEY = "watched~new"  # beside the watched vessels (the records are routed by `watched.KEY`)
MAX_HELD = 10_000  # new identities waiting: a bound on state (a day of the world's is fewer)


def _wait(rules: SeaRules) -> float:
    """How far past a new identity's first fix the watermark must be to decide it."""
    return rules.sighting_wait_s + rules.integrity.swap_confirm_s


def hold(store: SeaStore, rec: Record, rules: SeaRules, w1: float | None) -> bool:
    """Hold a new identity until the watermark has passed its wait; True: decide it now."""
    if w1 is not None and rec["t"] + _wait(rules) <= w1:
        return True
    held.hold(store, KEY, rec, _mmsi, MAX_HELD)
    return False


def _mmsi(rec: Record) -> int:
    return int(rec["mmsi"])


def release(store: SeaStore, w1: float, rules: SeaRules) -> list[Record]:
    """The held new identities whose wait the watermark has passed, in time order."""
    return held.release(store, KEY, w1, _wait(rules))


def due_at(store: SeaStore, rules: SeaRules) -> float | None:
    """When the first held new identity's wait ends."""
    return held.due_at(store, KEY, _wait(rules))


def decide(store: SeaStore, new: Record, rules: SeaRules, zones: SeaZones) -> list[Record]:
    """The `identity_swap` events of a new identity: one per silent watched vessel it could be."""
    checks = rules.integrity
    lookback = min(rules.candidate_lookback_s, checks.swap_window_s)
    reach_rules = _with_speed(rules, checks, lookback)
    state = watched.vessels(store)
    events = []
    for found in watched.candidates(state, new, reach_rules):
        vessel = state.get(str(found["mmsi"])) or {}
        size = vessel.get("size")
        if found["mmsi"] == new["mmsi"] or not _same_size(size, new, checks):
            continue
        assert size is not None
        t0 = watched.last_fix_before(vessel, new["t"])
        if t0 is None or not zones.clear(t0[1], t0[2]):
            continue  # silent in or near a port: a re-flag there is paperwork, not a swap
        if t0 != watched.last_fix_before(vessel, new["t"] + checks.swap_confirm_s):
            continue  # it spoke again while the new identity transmitted: two ships
        events.append(
            {
                "kind": "identity_swap",
                "mmsi": found["mmsi"],
                "name": size[3] if len(size) > 3 else None,
                "imo": size[4] if len(size) > 4 else None,
                "silent_since": found["last_seen_at"],
                "last_lat": t0[1],
                "last_lon": t0[2],
                "ship_type": size[0],
                "length": size[1],
                "beam": size[2],
                "at": iso_of(new["t"]),
                "lat": new["lat"],
                "lon": new["lon"],
                "candidates": [new["mmsi"]],
                "candidate_details": [
                    {
                        "mmsi": new["mmsi"],
                        "name": new.get("name"),
                        "imo": new.get("imo"),
                        "first_seen_at": iso_of(new["t"]),
                        "lat": new["lat"],
                        "lon": new["lon"],
                        "distance_km": found["last_seen_km"],
                        "ship_type": new["ship_type"],
                        "length": new["length"],
                        "beam": new["beam"],
                    }
                ],
                "port": new.get("port"),
            }
        )
    return events


def _with_speed(rules: SeaRules, checks: IntegrityRules, lookback: float) -> SeaRules:
    return replace(rules, candidate_speed_kn=checks.swap_speed_kn, candidate_lookback_s=lookback)


def _same_size(size: list[Any] | None, new: Record, checks: IntegrityRules) -> bool:
    """Same ship type, and length and beam each within the tolerance."""
    if size is None or None in size[:3] or size[0] != new["ship_type"]:
        return False
    tol = checks.swap_size_tolerance
    return all(
        abs(mine - theirs) <= tol * max(mine, theirs)
        for mine, theirs in ((size[1], new["length"]), (size[2], new["beam"]))
    )
