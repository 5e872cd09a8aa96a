"""Pairs of vessels close together at sea: runs of close ticks become `encounter` events.

A pair's observations come from the one cell that owns it at each tick (the home cell of the
lower MMSI), generated when the later of the two samples arrives; as each vessel's samples
arrive in event-time order, so do the pair's observations. A run goes on while close ticks
follow each other (`max_gap_ticks` may be missing); it ends when the pair is seen apart, or a
close tick comes after a longer gap. It counts as an encounter once it lasts
`encounter_min_s` with both vessels' median speed below `slow_kn`: then one event per vessel,
and again when it ends. A repeated or late observation changes nothing.
"""

from __future__ import annotations

from typing import Any

from ais.timefmt import iso_of
from sea.rules import SPEED_BIN_KN, SeaRules, empty_histogram, median_of, speed_bin
from sea.store import SeaStore

Record = dict[str, Any]


def pair_key(a: int, b: int) -> str:
    """The key of a pair's run state: the lower MMSI first."""
    lo, hi = sorted((a, b))
    return f"p:{lo}:{hi}"


def observe_pair(store: SeaStore, obs: Record, rules: SeaRules) -> list[Record]:
    """Apply one observation (`close` or apart) of a pair; the encounter events it makes."""
    key = obs["key"]
    run: Record | None = store.get(key)
    if run is not None and "ended" in run:
        if obs["t"] <= run["ended"]:
            return []  # a repeat from a run already over
        run = None
    if run is None:
        if not obs["close"]:
            return []  # apart, and never close: nothing to end
        store.put(key, _start(obs, rules))
        return []
    if obs["t"] <= run["last"]:
        return []  # a repeat, or older than what the run already holds
    events: list[Record] = []
    if not obs["close"]:
        run["after"] = [obs["lo_draught"], obs["hi_draught"]]
        events = _ended(run)
        store.put(key, {"ended": obs["t"]})  # so that a repeat of its past cannot restart it
        return events
    if obs["t"] > run["last"] + (rules.max_gap_ticks + 1) * rules.tick_s:
        events = _ended(run)
        store.put(key, _start(obs, rules))
        return events
    _extend(run, obs, rules)
    if not run["reported"] and _counts(run, rules):
        run["reported"] = True
        events = _events(run, None)
    store.put(key, run)
    return events


def _start(obs: Record, rules: SeaRules) -> Record:
    run: Record = {
        "lo": obs["lo"],
        "hi": obs["hi"],
        "first": obs["t"],
        "last": obs["t"],
        "n": 0,
        "min_d": None,
        "at": None,
        "lo_speeds": empty_histogram(rules),
        "hi_speeds": empty_histogram(rules),
        "before": [obs["lo_draught"], obs["hi_draught"]],
        "after": [obs["lo_draught"], obs["hi_draught"]],
        "names": [obs["lo_name"], obs["hi_name"]],
        "imos": [obs["lo_imo"], obs["hi_imo"]],
        "reported": False,
    }
    _extend(run, obs, rules)
    return run


def _extend(run: Record, obs: Record, rules: SeaRules) -> None:
    run["last"], run["n"] = obs["t"], run["n"] + 1
    if run["min_d"] is None or obs["d"] < run["min_d"]:
        run["min_d"], run["at"] = obs["d"], [obs["lat"], obs["lon"]]
    for side in ("lo", "hi"):
        if obs[f"{side}_sog"] is not None:
            run[f"{side}_speeds"][speed_bin(obs[f"{side}_sog"], rules)] += 1
    run["after"] = [obs["lo_draught"], obs["hi_draught"]]
    run["names"] = [obs["lo_name"] or run["names"][0], obs["hi_name"] or run["names"][1]]
    run["imos"] = [obs["lo_imo"] or run["imos"][0], obs["hi_imo"] or run["imos"][1]]


def _counts(run: Record, rules: SeaRules) -> bool:
    return (
        run["last"] - run["first"] >= rules.encounter_min_s
        and median_of(run["lo_speeds"], SPEED_BIN_KN) < rules.slow_kn
        and median_of(run["hi_speeds"], SPEED_BIN_KN) < rules.slow_kn
    )


def _ended(run: Record) -> list[Record]:
    return _events(run, iso_of(run["last"])) if run["reported"] else []


def _events(run: Record, ended_at: str | None) -> list[Record]:
    out = []
    for me, other in ((0, 1), (1, 0)):
        side, other_side = ("lo", "hi")[me], ("lo", "hi")[other]
        out.append(
            {
                "kind": "encounter",
                "mmsi": run[side],
                "other_mmsi": run[other_side],
                "started_at": iso_of(run["first"]),
                "ended_at": ended_at,
                "lat": round(run["at"][0], 5),
                "lon": round(run["at"][1], 5),
                "min_distance_m": round(run["min_d"]),
                "median_sog": median_of(run[f"{side}_speeds"], SPEED_BIN_KN),
                "other_median_sog": median_of(run[f"{other_side}_speeds"], SPEED_BIN_KN),
                "duration_s": round(run["last"] - run["first"]),
                "name": run["names"][me],
                "imo": run["imos"][me],
                "draught_before": run["before"][me],
                "draught_after": run["after"][me],
                "other_name": run["names"][other],
                "other_imo": run["imos"][other],
                "other_flag_mid": str(run[other_side]).zfill(9)[:3],
            }
        )
    return out
