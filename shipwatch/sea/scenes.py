"""Satellite scenes against the watched vessels: AIS says "I am here", the image saw no one.

A scene (what an image covered) waits beside the watched vessels (`watched~scenes`) with the
sightings of it, which the area cells send on once they have matched them. It is decided on the
level-2 watermark (the sea partitions' own progress, as pairs are): by then every cell has
decided the scene's sightings and sent them on, and every watched fix up to the scene's wait
is here. The decision itself is `shipwatch.integrity.imagery`. Pure.
"""

from __future__ import annotations

from typing import Any

from shipwatch.integrity import imagery
from shipwatch.sea import watched
from shipwatch.sea.store import SeaStore
from shipwatch.sea.thresholds import SeaRules

Record = dict[str, Any]
KEY = "watched~scenes"  # beside the watched vessels (the records are routed by `watched.KEY`)
MAX_SEEN = 20_000  # sightings kept waiting for their scene: a bound on state


def _held(store: SeaStore) -> Record:
    value: Record | None = store.get(KEY)
    return value if value is not None else {"scenes": [], "seen": {}}


def too_old(scene: Record, rules: SeaRules, w1: float | None) -> bool:
    """Older than the watched fixes are kept for: nothing could be compared."""
    return w1 is not None and scene["t"] < w1 - rules.retention_s + rules.tick_s


def _due(scene: Record, rules: SeaRules) -> float:
    """When the level-2 watermark lets the scene be decided: its wait after its own time, or
    after the watermark it came at, if later (its sightings come as late as it did)."""
    due: float = scene.get("due", scene["t"] + rules.sighting_wait_s)
    return due


def hold(store: SeaStore, scene: Record, rules: SeaRules, w2: float | None) -> None:
    """Keep a scene until the level-2 watermark has passed its wait (a repeat: once, even
    after it was decided). A scene that comes late waits as long from the watermark it came
    at: decided at once, it was decided before its sightings came (a false `not_in_imagery`)."""
    held = _held(store)
    if scene["scene_id"] in held.get("decided", ()):
        return
    if any(s["scene_id"] == scene["scene_id"] for s in held["scenes"]):
        return
    if w2 is not None and w2 > scene["t"]:
        scene = {**scene, "due": w2 + rules.sighting_wait_s}
    held["scenes"] = sorted([*held["scenes"], scene], key=lambda s: (s["t"], s["scene_id"]))
    store.put(KEY, held)


def seen(store: SeaStore, sighting: Record) -> None:
    """Keep a sighting of a scene (matched or not), as its cell decided it."""
    held = _held(store)
    found = held["seen"].setdefault(sighting["scene_id"], [])
    if any(s["sighting_id"] == sighting["sighting_id"] for s in found):
        return
    found.append({k: v for k, v in sighting.items() if k not in ("kind", "key")})
    if sum(len(v) for v in held["seen"].values()) > MAX_SEEN:
        oldest = min(held["seen"], key=lambda sid: min(s["t"] for s in held["seen"][sid]))
        del held["seen"][oldest]
    store.put(KEY, held)


def due_at(store: SeaStore, rules: SeaRules) -> float | None:
    """When the first scene's wait ends, or the oldest sighting of no scene is forgotten."""
    held: Record | None = store.get(KEY)
    if held is None:
        return None
    times = [_due(s, rules) for s in held["scenes"]]
    times += [s["t"] + rules.retention_s for found in held["seen"].values() for s in found]
    times += [t + rules.retention_s for t in held.get("decided", {}).values()]
    return min(times) if times else None


def release(store: SeaStore, w2: float, rules: SeaRules) -> list[Record]:
    """Decide the scenes whose wait the watermark has passed: the `position_tampering` events."""
    held: Record | None = store.get(KEY)
    if held is None:
        return []
    events: list[Record] = []
    due = [s for s in held["scenes"] if _due(s, rules) <= w2]
    # The scenes decided, by id, with their times: a repeat of one (a replay after a restart,
    # the same scene sent twice) is not decided again without its sightings, which went with
    # the first. Kept until too old to be held anyway (`too_old`); absent from older values.
    decided: dict[str, float] = held.pop("decided", {})
    for scene in due:
        events += decide(store, scene, held["seen"].pop(scene["scene_id"], []), rules)
        decided[scene["scene_id"]] = scene["t"]
    held["scenes"] = [s for s in held["scenes"] if _due(s, rules) > w2]
    held["seen"] = {
        sid: found
        for sid, found in held["seen"].items()
        if any(s["t"] + rules.retention_s > w2 for s in found)
    }
    kept = {sid: t for sid, t in decided.items() if t + rules.retention_s > w2}
    if kept:
        held["decided"] = kept
    if held["scenes"] or held["seen"] or kept:
        store.put(KEY, held)
    else:
        store.delete(KEY)
    return events


def decide(
    store: SeaStore, scene: Record, sightings: list[Record], rules: SeaRules
) -> list[Record]:
    """One scene against every watched vessel with fixes around its time."""
    vessels = []
    for mmsi, vessel in sorted(watched.vessels(store).items(), key=lambda kv: int(kv[0])):
        size = vessel.get("size") or [None, None, None, None, None]
        vessels.append(
            {
                "mmsi": int(mmsi),
                "length": size[1],
                "name": size[3] if len(size) > 3 else None,
                "imo": size[4] if len(size) > 4 else None,
                "fixes": vessel.get("fixes") or [],
            }
        )
    return imagery.not_seen(scene, vessels, sightings, rules.integrity, rules.sighting_match_m)
