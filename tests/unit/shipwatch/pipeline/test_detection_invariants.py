"""Properties of the whole detection: duplicates, restarts and reordering within limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from geofences import tracker
from shipwatch.pipeline.detector import Detector
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.voyages import machine
from tests.fixtures.timeline import loading_then_delivery

STORY = loading_then_delivery()


def alerts_of(core, records):
    detector = Detector(*core)
    return [o.record for r in records for o in detector.process(r) if o.stream == "alerts"]


CLEAN = None


def clean_alerts(core):
    global CLEAN
    if CLEAN is None:
        CLEAN = alerts_of(core, STORY)
    return CLEAN


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STORY) - 1), max_size=40))
def test_duplicating_messages_changes_no_alert(core, duplicated):
    records = list(STORY)
    for i in sorted(duplicated, reverse=True):
        records.insert(i + 1, STORY[i])
    assert alerts_of(core, records) == clean_alerts(core)


@settings(max_examples=80, deadline=None)
@given(
    # One delay per message: a list could draw a message twice, and the delays added up past
    # the allowed lateness (CI's Hypothesis drew 1 + 599 + 599 s for one message).
    st.dictionaries(
        st.integers(0, len(STORY) - 1),
        # Arriving `delay + 0.5` s late: at most half a second inside the allowed lateness
        # (600 s drawn made it 600.5 s, beyond it: a falsifying example of the test itself).
        st.integers(0, tracker.ALLOWED_LATENESS_S - 1),
        max_size=15,
    )
)
def test_messages_up_to_the_allowed_lateness_late_change_no_alert(core, delays):
    # Each chosen message arrives `delay` seconds of event time late: after every message
    # whose time is at most its own time plus the delay.
    arrival = [(p.ts.timestamp(), i, p) for i, p in enumerate(STORY)]
    for index, delay in delays.items():
        t, i, p = arrival[index]
        arrival[index] = (t + delay + 0.5, i, p)
    records = [p for _, _, p in sorted(arrival, key=lambda a: (a[0], a[1]))]
    assert alerts_of(core, records) == clean_alerts(core)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=len(STORY) - 1))
def test_a_restart_from_stored_state_gives_the_same_outputs(core, cut):
    whole = Detector(*core)
    expected = [o.record for r in STORY for o in whole.process(r)]
    first = Detector(*core)
    outputs = [o.record for r in STORY[:cut] for o in first.process(r)]
    second = Detector(*core)  # a new worker, state restored from the table form
    second.tracks = {k: VesselState.from_dict(v.to_dict()) for k, v in first.tracks.items()}
    second.voyages = {
        k: machine.VoyageState.from_dict(v.to_dict()) for k, v in first.voyages.items()
    }
    outputs += [o.record for r in STORY[cut:] for o in second.process(r)]
    assert outputs == expected
