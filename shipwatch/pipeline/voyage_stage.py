"""The voyage stage over a batch: fence events in, voyage events out, per-vessel voyage states."""

from __future__ import annotations

from collections.abc import Iterable

from shipwatch.pipeline.track_stage import Event
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.voyages import machine


def voyage_batch(
    states: WriteBack[machine.VoyageState], fence_events: Iterable[Event]
) -> list[Event]:
    """Apply fence events in order; a repeat (at-least-once input) changes and makes nothing."""
    out: list[Event] = []
    for ev in fence_events:
        mmsi = int(ev["mmsi"])
        state = states.get(mmsi)
        new_state, voyage_events = machine.step(state, ev)
        if new_state is not state:
            states.put(mmsi, new_state)
            out.extend(voyage_events)
    return out
