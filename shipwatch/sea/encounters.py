"""Pairs of vessels close together at sea: runs of close ticks become `encounter` events.

A pair's observations come from the one cell that owns it at each tick (the home cell of the
lower MMSI), generated when the later of the two samples arrives. The owning cell changes as
the pair drifts, and cells sit on partitions that run unevenly: so observations are held until
every sea partition's progress (the level-2 watermark) passes them, and applied in time order.
A run goes on while close ticks follow each other (`max_gap_ticks` may be missing); it ends
when the pair is seen apart, or a close tick comes after a longer gap, or the watermark passes
the last close tick by more than that gap with nothing more seen of the pair (a vessel fell
silent, or the two drifted apart beyond the distance that says so). It counts as an
encounter once it lasts `encounter_min_s` with both vessels' median speed below `slow_kn`: then
one event per vessel, and again when it ends. A repeated or late observation changes nothing.
A pair's state is deleted `retention_s` after its run ended: nothing is kept of a pair for
longer than that once its vessels are no longer close.
"""

from __future__ import annotations

from typing import Any

from shipwatch.ais.timefmt import iso_of
from shipwatch.sea.store import SeaStore
from shipwatch.sea.thresholds import SPEED_BIN_KN, SeaRules, empty_histogram, median_of, speed_bin

Record = dict[str, Any]


def pair_key(a: int, b: int) -> str:
    """The key of a pair's run state: the lower MMSI first."""
    lo, hi = sorted((a, b))
    return f"p:{lo}:{hi}"


def observe_pair(
    store: SeaStore, obs: Record, rules: SeaRules, w2: float | None
) -> tuple[list[Record], str | None]:
    """Take one observation (`close` or apart) of a pair: held until the watermark `w2` (every
    sea partition's progress) passes it, then applied in time order with the others (`release`).
    Returns the events it made at once, and why it was not kept, if it was not."""
    key = obs["key"]
    state: Record = store.get(key) or {}
    if w2 is not None and obs["t"] <= w2:
        # Behind the watermark: everything before it was applied, so it is applied at once,
        # after what the run holds. A silent vessel's `left` comes this late by design (sent
        # when the vessel's next fix comes) and ends what it ends; a vessel whose AIS comes
        # later than the allowed lateness (satellite AIS, a slow receiver) makes all its
        # observations late, in order, and its encounters still count. A repeat changes
        # nothing: it is not newer than what its run (or its end marker) holds.
        events = _apply_behind(state, obs, rules, w2)
        _put(store, key, state)
        return events, None
    buffered: list[Record] = state.setdefault("buf", [])
    if any(b["t"] == obs["t"] for b in buffered):
        return [], "repeat"
    buffered.append(obs)
    buffered.sort(key=lambda b: b["t"])
    store.put(key, state)
    return [], None


def release(store: SeaStore, key: str, w2: float, rules: SeaRules) -> list[Record]:
    """The watermark moved on: apply the held observations up to it, in time order; end a
    run that can no longer go on (`stale_at`); forget a run that ended longer than
    `retention_s` ago."""
    state: Record | None = store.get(key)
    if state is None:
        return []
    events: list[Record] = []
    held = state.pop("buf", [])
    for obs in held:
        if obs["t"] <= w2:
            events += _apply_behind(state, obs, rules, w2)
        else:
            state.setdefault("buf", []).append(obs)
    run: Record | None = state.get("run")
    if run is not None and stale_at(run, rules) < w2:
        # Every observation up to the watermark is applied and none was close in time: a
        # close tick after this would start a new run, so this one is over. Ended here, it
        # is ended even when no observation ever comes again (a vessel gone silent, two
        # vessels drifted apart beyond `apart_distance_m` while slow), as the next close tick
        # would have ended it; and its state is forgotten with its end marker.
        del state["run"]
        state["ended"] = run["last"]
        events += _ended(run)
    ended = state.get("ended")
    if "buf" not in state and ended is not None and ended + rules.retention_s < w2:
        store.delete(key)  # no repeat can be that old: the marker has done its work
    else:
        _put(store, key, state)
    return events


def due_at(store: SeaStore, key: str, rules: SeaRules) -> float | None:
    """When the pair next has work: its first held observation, its run can no longer go on,
    or its end marker expires."""
    state: Record | None = store.get(key)
    if state is None:
        return None
    times = []
    if state.get("buf"):
        times.append(float(state["buf"][0]["t"]))
    if state.get("run") is not None:
        times.append(stale_at(state["run"], rules))
    elif state.get("ended") is not None:
        times.append(state["ended"] + rules.retention_s)
    return min(times) if times else None


def _apply_behind(state: Record, obs: Record, rules: SeaRules, w2: float) -> list[Record]:
    """`_apply` an observation the watermark `w2` has passed, noting how far behind it an
    observation that carried the run on came: the next one is likely as late (a vessel whose
    AIS comes late, partitions catching up unevenly). A repeat, which changed nothing, says
    nothing of it."""
    run: Record | None = state.get("run")
    before = None if run is None else run["last"]
    events = _apply(state, obs, rules)
    run = state.get("run")
    if run is not None and run["last"] == obs["t"] != before:
        run["lag"] = max(0.0, w2 - obs["t"])
    return events


def stale_at(run: Record, rules: SeaRules) -> float:
    """When a run can no longer go on: a close tick after this starts a new one (`_apply`).
    A run goes on as much longer as its last observation was applied behind the watermark:
    for a vessel whose AIS comes later than the allowed lateness, each late observation would
    otherwise end the run and start another, and no encounter of it would count."""
    return float(run["last"] + (rules.max_gap_ticks + 1) * rules.tick_s + run.get("lag", 0.0))


def _put(store: SeaStore, key: str, state: Record) -> None:
    if state:
        store.put(key, state)
    else:
        store.delete(key)


def _apply(state: Record, obs: Record, rules: SeaRules) -> list[Record]:
    """One observation in time order: start, extend or end the pair's run."""
    run: Record | None = state.get("run")
    if run is None:
        if obs["t"] <= state.get("ended", -1):
            return []  # a repeat from a run already over
        if not obs["close"]:
            return []  # apart, and never close: nothing to end
        state.pop("ended", None)
        state["run"] = _start(obs, rules)
        return []
    if obs["t"] <= run["last"]:
        return []  # a repeat, or older than what the run already holds
    if not obs["close"]:
        run["after"] = [obs["lo_draught"], obs["hi_draught"]]
        del state["run"]
        state["ended"] = obs["t"]  # so that a repeat of its past cannot restart it
        return _ended(run)
    if obs["t"] > run["last"] + (rules.max_gap_ticks + 1) * rules.tick_s:
        state["run"] = _start(obs, rules)
        return _ended(run)
    _extend(run, obs, rules)
    if not run["reported"] and _counts(run, rules):
        run["reported"] = True
        return _events(run, None)
    return []


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
