"""The track stage over a batch: records in, fence events out, vessel states changed in place.

One call takes the records of one frame (or of one file row, in `shipwatch detect`) in arrival
order and applies each to its vessel's state in the write-back cache: positions through the
fence tracker, static reports through `static_reports`; satellite sightings, which name no
vessel, go on to the sea stage with the samples, so that they travel behind the same progress.
The stream and `detect` both run it, so they decide alike. A record that fails is reported
with its error; the rest go on.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from geofences import static_reports, tracker
from geofences.index import FenceIndex
from shipwatch.ais.json_form import JsonRecord
from shipwatch.ais.timefmt import EventTimes
from shipwatch.integrity import vessel_checks
from shipwatch.integrity.vessel_checks import IntegrityContext
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.sea import sampler
from shipwatch.sea.sampler import SeaContext, SeaOut
from shipwatch.sea.stage import scene_input, sighting_input

Event = dict[str, Any]
_epoch = EventTimes()  # shared by every batch: a feed's times repeat across frames


@dataclass(slots=True)
class TrackBatch:
    """What one batch did: events per vessel in order, counts, and the records that failed."""

    events: list[Event] = field(default_factory=list)
    positions: int = 0  # positions applied (or waiting in order for late data)
    statics: int = 0  # static reports applied
    stale: int = 0  # records not newer than the vessel's last one: ignored
    event_times: list[float] = field(default_factory=list)  # of the applied positions
    latest: float | None = None  # the newest event time of any record: the partition's progress
    failed: list[tuple[int, JsonRecord, str]] = field(default_factory=list)  # index, why
    sea: SeaOut = field(default_factory=SeaOut)  # samples for the sea stage, loitering events


def track_record(
    states: WriteBack[VesselState],
    record: JsonRecord,
    t: float,
    index: FenceIndex,
    sea: SeaContext | None = None,
    sea_out: SeaOut | None = None,
) -> list[Event] | None:
    """Apply one record at event time `t`; None when it was stale. Events carry `seq`.

    With a sea context, an applied position also goes to the at-sea sampler (`sea_out`)."""
    mmsi = record["mmsi"]
    state = states.get(mmsi)
    before = (state.last_t, state.last_lat, state.last_lon)
    newest_t = state.newest_t
    checks = sea.integrity if sea is not None and sea_out is not None else None
    if record["kind"] == "position":
        lat, lon = record["lat"], record["lon"]
        if tracker.advance_at_sea(state, t, lat, lon, index):
            states.dirty.add(mmsi)
            if sea is not None and sea_out is not None:
                _observe_at_sea(state, record, t, sea, sea_out)
                if checks is not None and not vessel_checks.routine(
                    state.integrity, t, lat, lon, before[0], newest_t, checks
                ):
                    _check_position(state, record, t, before, newest_t, [], checks, sea_out)
            return []
        fix = tracker.Fix(mmsi, t, lat, lon, record["sog"])
        new_state, events = tracker.step(state, fix, index)
        if new_state is not state and sea is not None and sea_out is not None:
            _observe_at_sea(new_state, record, t, sea, sea_out)
            if checks is not None:
                _check_position(new_state, record, t, before, newest_t, events, checks, sea_out)
    else:
        report = {k: record.get(k) for k in static_reports.FIELDS}
        new_state, events = static_reports.apply_static(state, mmsi, t, report)
        if new_state is not state and checks is not None and sea_out is not None:
            changed_imo = new_state.vessel.get("imo") != state.vessel.get("imo")
            new_state.integrity = vessel_checks.on_static(
                new_state.integrity, mmsi, t, before, new_state.vessel, changed_imo, checks, sea_out
            )
    if new_state is state:
        return None
    numbered_state, numbered_events = tracker.numbered(new_state, events)
    states.put(mmsi, numbered_state)
    return numbered_events


def _observe_at_sea(
    state: VesselState, record: JsonRecord, t: float, sea: SeaContext, out: SeaOut
) -> None:
    # The state is the cache's own (changed in place, or new from `step`): ours to change.
    state.sea = sampler.observe(
        state.sea,
        record["mmsi"],
        t,
        record["lat"],
        record["lon"],
        record["sog"],
        state.vessel,
        sea,
        out,
    )


def _check_position(
    state: VesselState,
    record: JsonRecord,
    t: float,
    before: tuple[float | None, float, float],
    newest_t: float | None,
    events: list[Event],
    checks: IntegrityContext,
    out: SeaOut,
) -> None:
    # As `_observe_at_sea`: the state is the cache's own.
    state.integrity = vessel_checks.on_position(
        state.integrity,
        record["mmsi"],
        t,
        record["lat"],
        record["lon"],
        before,
        newest_t,
        not state.visits,
        events,
        state.vessel,
        checks,
        out,
    )


def track_batch(
    states: WriteBack[VesselState],
    records: Iterable[JsonRecord],
    index: FenceIndex,
    sea: SeaContext | None = None,
) -> TrackBatch:
    """Apply a batch of records in order; one record's failure costs only that record."""
    out = TrackBatch()
    for i, record in enumerate(records):
        try:
            t = _epoch(record["ts"])
            sighting = record["kind"] in ("sighting", "scene")
            if sighting:  # no vessel: straight on to its area cell (a scene: the watched's)
                if sea is not None:
                    if record["kind"] == "scene":
                        out.sea.records.append(scene_input(record))
                    else:
                        out.sea.records.append(sighting_input(record, sea.rules))
            else:
                events = track_record(states, record, t, index, sea, out.sea)
        except Exception as exc:  # a bug must cost one record, never the frame
            detail = "".join(traceback.format_exception_only(exc)).strip()
            out.failed.append((i, record, detail))
            continue
        if out.latest is None or t > out.latest:
            out.latest = t
        if sighting:
            continue
        if events is None:
            out.stale += 1
        elif record["kind"] == "position":
            out.positions += 1
            out.event_times.append(t)
            out.events.extend(events)
        else:
            out.statics += 1
            out.events.extend(events)
    return out
