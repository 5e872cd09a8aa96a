"""The sea stage over a batch: samples, sightings and pair observations in, events out.

Keyed by area cell, by pair, or `watched`; a record may make records for other keys (a pair
observation, a dark sighting to weigh against the watched vessels), which the binding sends
on (the stream: the same topic, by key; `detect`: straight back in). Pure.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ais.json_form import JsonRecord
from ais.timefmt import epoch_of
from sea import cells, encounters, watched
from sea.grid import cell_of
from sea.rules import SeaRules
from sea.store import SeaStore
from sea.zones import SeaZones

Record = dict[str, Any]


@dataclass(slots=True)
class SeaBatch:
    """What a batch made: records for other keys, events, and records refused (why)."""

    forward: list[Record] = field(default_factory=list)
    events: list[Record] = field(default_factory=list)
    refused: list[tuple[Record, str, str]] = field(default_factory=list)  # record, reason, why
    dropped: dict[str, int] = field(default_factory=dict)  # samples not kept, by reason


def sighting_input(record: JsonRecord, rules: SeaRules) -> Record:
    """A decoded sighting as the sea stage takes it: keyed by its cell, with epoch time."""
    return {
        **record,
        "key": cell_of(record["lat"], record["lon"], rules.cell_deg),
        "t": epoch_of(record["ts"]),
    }


def sea_batch(
    store: SeaStore, records: Iterable[Record], rules: SeaRules, zones: SeaZones
) -> SeaBatch:
    """Apply records in order; one record's failure costs only that record."""
    out = SeaBatch()
    for record in records:
        try:
            _one(store, record, rules, zones, out)
        except Exception as exc:  # a bug must cost one record, never the batch
            detail = "".join(traceback.format_exception_only(exc)).strip()
            out.refused.append((record, "internal_error", detail))
    return out


def _one(store: SeaStore, rec: Record, rules: SeaRules, zones: SeaZones, out: SeaBatch) -> None:
    kind = rec["kind"]
    if kind == "sample":
        observations, dropped, due = cells.add_sample(store, rec, rules)
        if dropped is not None:
            out.dropped[dropped] = out.dropped.get(dropped, 0) + 1
        out.forward.extend(observations)
        for sighting in due:
            _decide(store, sighting, rules, zones, out)
    elif kind == "pair":
        out.events.extend(encounters.observe_pair(store, rec, rules))
    elif kind == "sighting":
        now, refused = cells.wait_or_decide(store, rec, rules)
        if refused is not None:
            out.refused.append((rec, refused, "older than the AIS kept for its area"))
        elif now:
            _decide(store, rec, rules, zones, out)
    elif kind == "watch":
        watched.note_fix(store, rec, rules)
    elif kind == "dark":
        found = watched.candidates(store, rec, rules)
        event = cells.sighting_event(rec, None, None)
        event.update(
            port=rec["port"],
            port_role=rec["port_role"],
            port_distance_m=rec["port_distance_m"],
            candidates=[c["mmsi"] for c in found],
            candidate_details=found,
        )
        out.events.append(event)
    else:
        raise ValueError(f"unknown sea record kind {kind!r}")


def _decide(
    store: SeaStore, sighting: Record, rules: SeaRules, zones: SeaZones, out: SeaBatch
) -> None:
    mmsi, metres = cells.match(store, sighting, rules)
    port = None if mmsi is not None else cells.near_watched_port(zones, sighting)
    if port is None:
        out.events.append(cells.sighting_event(sighting, mmsi, metres))
    else:  # the watched vessels' fixes decide the candidates: one more hop
        out.forward.append({**sighting, **port, "kind": "dark", "key": watched.KEY})


def decide_waiting(
    store: SeaStore, cell_keys: Iterable[str], rules: SeaRules, zones: SeaZones
) -> SeaBatch:
    """End of a finite input, when no more AIS can come: decide every waiting sighting."""
    out = SeaBatch()
    for key in cell_keys:
        head: Record | None = store.get(key)
        if head and head["pending"]:
            waiting, head["pending"] = head["pending"], []
            store.put(key, head)
            for sighting in waiting:
                _decide(store, sighting, rules, zones, out)
    return out
