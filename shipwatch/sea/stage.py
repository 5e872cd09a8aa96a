"""The sea stage over a batch: samples, sightings and pair observations in, events out.

Keyed by area cell, by pair, or `watched`; a record may make records for other keys (a pair
observation, a dark sighting to weigh against the watched vessels), which the binding sends
on (the stream: the same topic, by key; `detect`: straight back in). Pure.

Event time: each partition of the stage keeps the progress of the partitions that feed it
(`shipwatch.watermarks`) in its state, under `wm:<partition>`, with the keys that wait for the
watermark and when (`due`). Level 1 (the track stage's partitions, less the allowed lateness)
runs the cells and the watched vessels; level 2 (the sea partitions' own level-1 watermarks,
announced with what they send on) runs the pairs, whose observations come from many cells.
Nothing is decided on a partition's own newest record, so partitions running unevenly decide
the same things as one ordered file.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from geofences.grid import cell_of
from shipwatch.ais.json_form import JsonRecord
from shipwatch.ais.timefmt import epoch_of
from shipwatch.integrity import identity_groups, interference
from shipwatch.sea import cells, encounters, scenes, swaps, watched
from shipwatch.sea.store import SeaStore
from shipwatch.sea.thresholds import SeaRules
from shipwatch.sea.zones import SeaZones
from shipwatch.watermarks import SEA_LEVEL, TRACK_LEVEL, Progress, low_watermark, note

Record = dict[str, Any]


@dataclass(slots=True)
class SeaBatch:
    """What a batch made: records for other keys, events, and records refused (why)."""

    forward: list[Record] = field(default_factory=list)
    events: list[Record] = field(default_factory=list)
    refused: list[tuple[Record, str, str]] = field(default_factory=list)  # record, reason, why
    dropped: dict[str, int] = field(default_factory=dict)  # samples not kept, by reason
    # This partition's level-1 watermark after the batch: what it announces at level 2.
    watermark: float | None = None


@dataclass(slots=True)
class _Clock:
    """A partition's watermarks and the keys waiting for them (its `wm:<p>` value)."""

    key: str
    value: Record
    changed: bool = False

    @property
    def due(self) -> dict[str, float]:
        due: dict[str, float] = self.value["due"]
        return due

    def set_due(self, key: str, at: float | None) -> None:
        if at is None:
            if self.due.pop(key, None) is None:
                return
        elif self.due.get(key) != at:
            self.due[key] = at
        else:
            return
        self.changed = True
        level = str(_level_of(key))
        soonest = self.value["next"].get(level)
        if soonest is None:
            return  # not known: `earliest` finds it again from every key (never this one's alone)
        if at is not None and at < soonest:
            self.value["next"][level] = at
        elif at is None or at != soonest:
            self.value["next"].pop(level, None)  # not known any more: found again when needed

    def earliest(self, level: int, w: float | None) -> bool:
        """Whether a key of the level waits for a watermark at or before `w` (cheap: the
        soonest due time is kept, and found again only after it changed)."""
        if w is None:
            return False
        soonest = self.value["next"].get(str(level))
        if soonest is None:
            times = [at for key, at in self.due.items() if _level_of(key) == level]
            if not times:
                return False
            soonest = self.value["next"][str(level)] = min(times)
        return bool(soonest <= w)


def _level_of(key: str) -> int:
    """Pairs and scenes run on the sea partitions' progress (what they wait for is sent on by
    other sea partitions); cells, the watched vessels and the identity groups on the track's."""
    return SEA_LEVEL if key.startswith("p:") or key == scenes.KEY else TRACK_LEVEL


def clock_key(partition: int) -> str:
    """The key of a partition's watermarks in the stage's state."""
    return f"wm:{partition}"


def _shape(marks: Record) -> list[tuple[str, int, list[tuple[str, bool]]]]:
    """Which sources each level has heard of, and which are idle."""
    return [
        (level, found["n"], sorted((s, bool(p[1])) for s, p in found["p"].items()))
        for level, found in sorted(marks.items())
    ]


def _levels(value: Record, rules: SeaRules) -> tuple[float | None, float | None]:
    w1 = low_watermark(value["marks"], TRACK_LEVEL)
    return (None if w1 is None else w1 - rules.lateness_s), low_watermark(value["marks"], SEA_LEVEL)


def sighting_input(record: JsonRecord, rules: SeaRules) -> Record:
    """A decoded sighting as the sea stage takes it: keyed by its cell, with epoch time."""
    return {
        **record,
        "key": cell_of(record["lat"], record["lon"], rules.cell_deg),
        "t": epoch_of(record["ts"]),
    }


def scene_input(record: JsonRecord) -> Record:
    """A decoded scene as the sea stage takes it: beside the watched vessels, with epoch time."""
    return {**record, "key": watched.KEY, "t": epoch_of(record["ts"])}


def sea_batch(
    store: SeaStore,
    records: Iterable[Record],
    rules: SeaRules,
    zones: SeaZones,
    partition: int = 0,
    progress: Progress | None = None,
) -> SeaBatch:
    """Apply one frame of a partition: its progress first, then its records in order (one
    record's failure costs only that record), then whatever the watermarks now release."""
    out = SeaBatch()
    key = clock_key(partition)
    clock = _Clock(key, store.get(key) or {"marks": {}, "due": {}, "next": {}})
    w1, w2 = _levels(clock.value, rules)
    for record in records:
        try:
            _one(store, record, rules, zones, out, clock, w1, w2)
        except Exception as exc:  # a bug must cost one record, never the batch
            detail = "".join(traceback.format_exception_only(exc)).strip()
            out.refused.append((record, "internal_error", detail))
    # A frame's progress covers the records it carries: they were applied first, behind it.
    if progress is not None:
        marks = clock.value["marks"]
        before = (w1, w2, _shape(marks))
        if note(marks, progress):
            w1, w2 = _levels(clock.value, rules)
            # Written (a changelog message) only when a watermark moved or a source was heard
            # of, or fell idle or woke: a source's progress above the slowest may be behind
            # after a recovery, and the heartbeats bring it back.
            clock.changed |= (w1, w2, _shape(marks)) != before
    if clock.earliest(TRACK_LEVEL, w1) or clock.earliest(SEA_LEVEL, w2):
        _release(store, clock, rules, zones, out, w1, w2)
    if clock.changed:
        store.put(key, clock.value)
    out.watermark = w1
    return out


def _release(
    store: SeaStore,
    clock: _Clock,
    rules: SeaRules,
    zones: SeaZones,
    out: SeaBatch,
    w1: float | None,
    w2: float | None,
) -> None:
    """Everything the watermarks have passed: sightings decided, pairs' observations applied,
    dark sightings weighed, expired state forgotten."""
    for key, at in sorted(clock.due.items(), key=lambda kv: (kv[1], kv[0])):
        w = w2 if _level_of(key) == SEA_LEVEL else w1
        if w is None or at > w:
            continue
        try:
            if key.startswith("p:"):
                out.events.extend(encounters.release(store, key, w, rules))
                clock.set_due(key, encounters.due_at(store, key, rules))
            elif key == watched.DARK_KEY:
                for dark in watched.release(store, w, rules):
                    _weigh(store, dark, rules, out)
                clock.set_due(key, watched.due_at(store, rules))
            elif key == swaps.KEY:
                for new in swaps.release(store, w, rules):
                    out.events.extend(swaps.decide(store, new, rules, zones))
                clock.set_due(key, swaps.due_at(store, rules))
            elif key == scenes.KEY:
                out.events.extend(scenes.release(store, w, rules))
                clock.set_due(key, scenes.due_at(store, rules))
            elif key.startswith(("i:", "n:")):
                out.events.extend(identity_groups.release(store, key, w, rules.integrity))
                clock.set_due(key, identity_groups.due_at(store, key, rules.integrity))
            elif key.startswith("j:"):
                out.events.extend(interference.release(store, key, w, rules.integrity))
                clock.set_due(key, interference.due_at(store, key, rules.integrity))
            else:
                for sighting in cells.take_due(store, key, w, rules):
                    _decide(store, sighting, rules, zones, out)
                cells.expire(store, key, w, rules)
                clock.set_due(key, cells.due_at(store, key, rules))
        except Exception as exc:  # a bug must cost one key's release, never the partition
            detail = "".join(traceback.format_exception_only(exc)).strip()
            clock.set_due(key, None)
            out.refused.append(({"kind": "release", "key": key}, "internal_error", detail))


def _one(
    store: SeaStore,
    rec: Record,
    rules: SeaRules,
    zones: SeaZones,
    out: SeaBatch,
    clock: _Clock,
    w1: float | None,
    w2: float | None,
) -> None:
    kind = rec["kind"]
    if kind == "sample":
        observations, dropped, new_tick = cells.add_sample(store, rec, rules, w1)
        if dropped is not None:
            # Counted, not dead-lettered: a sample is derived, its position was applied to its
            # vessel and published; and most that come this late are repeats, a restarted
            # track stage reading its frames again from the last committed offset.
            out.dropped[dropped] = out.dropped.get(dropped, 0) + 1
        out.forward.extend(observations)
        if new_tick:
            clock.set_due(rec["key"], cells.due_at(store, rec["key"], rules))
    elif kind == "pair":
        events, dropped = encounters.observe_pair(store, rec, rules, w2)
        out.events.extend(events)
        if dropped is not None:
            out.dropped[dropped] = out.dropped.get(dropped, 0) + 1
        clock.set_due(rec["key"], encounters.due_at(store, rec["key"], rules))
    elif kind == "sighting":
        now, refused = cells.wait_or_decide(store, rec, rules, w1)
        if refused is not None:
            out.refused.append((rec, refused, "older than the AIS kept for its area"))
        elif now:
            _decide(store, rec, rules, zones, out)
        else:
            clock.set_due(rec["key"], cells.due_at(store, rec["key"], rules))
    elif kind == "watch":
        watched.note_fix(store, rec, rules, w1, w2)
    elif kind == "dark":
        if watched.hold_dark(store, rec, rules, w1):
            _weigh(store, rec, rules, out)
        else:
            clock.set_due(watched.DARK_KEY, watched.due_at(store, rules))
    elif kind in ("ident", "jump", "jumps"):
        group = identity_groups if kind == "ident" else interference
        dropped = group.add(store, rec, rules.integrity, w1)
        if dropped is not None:
            out.dropped[dropped] = out.dropped.get(dropped, 0) + 1
        clock.set_due(rec["key"], group.due_at(store, rec["key"], rules.integrity))
    elif kind == "newcomer":
        if swaps.hold(store, rec, rules, w1):
            out.events.extend(swaps.decide(store, rec, rules, zones))
        else:
            clock.set_due(swaps.KEY, swaps.due_at(store, rules))
    elif kind == "scene":
        if scenes.too_old(rec, rules, w1):
            out.refused.append((rec, "scene_too_old", "older than the watched fixes kept"))
        else:
            scenes.hold(store, rec, rules, w2)
            clock.set_due(scenes.KEY, scenes.due_at(store, rules))
    elif kind == "scene_seen":
        scenes.seen(store, rec)
        clock.set_due(scenes.KEY, scenes.due_at(store, rules))
    else:
        raise ValueError(f"unknown sea record kind {kind!r}")


def _weigh(store: SeaStore, rec: Record, rules: SeaRules, out: SeaBatch) -> None:
    """A dark sighting against the silent watched vessels: the `sighting` event."""
    found = watched.candidates(watched.vessels(store), rec, rules)
    event = cells.sighting_event(rec, None, None)
    event.update(
        port=rec["port"],
        port_role=rec["port_role"],
        port_distance_m=rec["port_distance_m"],
        candidates=[c["mmsi"] for c in found],
        candidate_details=found,
    )
    out.events.append(event)


def _decide(
    store: SeaStore, sighting: Record, rules: SeaRules, zones: SeaZones, out: SeaBatch
) -> None:
    mmsi, metres = cells.match(store, sighting, rules)
    if sighting.get("scene_id"):  # its scene is weighed beside the watched vessels: one hop
        out.forward.append(_scene_seen(sighting, mmsi))
    port = None if mmsi is not None else cells.near_watched_port(zones, sighting)
    if port is None:
        out.events.append(cells.sighting_event(sighting, mmsi, metres))
    else:  # the watched vessels' fixes decide the candidates: one more hop
        out.forward.append({**sighting, **port, "kind": "dark", "key": watched.KEY})


def _scene_seen(sighting: Record, mmsi: int | None) -> Record:
    """A sighting of a scene, as its cell decided it, for the scene's decision."""
    return {
        "kind": "scene_seen",
        "key": watched.KEY,
        "scene_id": sighting["scene_id"],
        "sighting_id": sighting["sighting_id"],
        "t": sighting["t"],
        "lat": sighting["lat"],
        "lon": sighting["lon"],
        "length_m": sighting.get("length_m"),
        "matched_mmsi": mmsi,
    }


def end_of_input(
    store: SeaStore, partition: int, rules: SeaRules, zones: SeaZones, sources: int = 1
) -> SeaBatch:
    """A finite input has ended and no more records are coming: move every level of this
    partition's watermarks past everything, so that all that waits is decided."""
    out = SeaBatch()
    end = float("inf")
    for level in (TRACK_LEVEL, SEA_LEVEL):
        for source in range(sources):
            step = sea_batch(
                store, [], rules, zones, partition, Progress(level, source, sources, end)
            )
            out.forward += step.forward
            out.events += step.events
            out.refused += step.refused
    return out
