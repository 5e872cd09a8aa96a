"""The track stage over batches: the in-place fast path, batching and the write-back cache."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from geofences import tracker
from geofences.index import FenceIndex
from geofences.track_state import fences_of
from shipwatch.ais.json_form import as_json
from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.ais.timefmt import epoch_of, iso_of
from shipwatch.pipeline.track_stage import track_batch
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.scenarios.reference import SCENARIO_PATH
from tests.fixtures.timeline import VOSTOCHNY_BERTH, loading_then_delivery

T0 = 1_709_769_600.0
MMSI = 445_123_456


def fresh() -> WriteBack[VesselState]:
    """A cache with nothing stored behind it."""
    return WriteBack(lambda _mmsi: None, VesselState)


def position(t: float, lat: float, lon: float, sog: float | None = 10.0) -> dict[str, Any]:
    """A position in its published JSON form."""
    return {
        "mmsi": MMSI, "ts": iso_of(t), "kind": "position", "lat": lat, "lon": lon, "sog": sog,
        "cog": None, "heading": None, "nav_status": None,
    }  # fmt: skip


def by_step(records: list[dict[str, Any]], index: FenceIndex) -> tuple[VesselState, list[Any]]:
    """The reference: `tracker.step` on every fix, copying state, as before the fast path."""
    state, events = VesselState(), []
    for r in records:
        fix = tracker.Fix(MMSI, epoch_of(r["ts"]), r["lat"], r["lon"], r["sog"])
        new_state, made = tracker.step(state, fix, index)
        if new_state is not state:
            state, made = tracker.numbered(new_state, made)
            events += made
    return state, events


# Moves that exercise the fast path and every way out of it: late and repeated fixes, gaps,
# glitches (jumps no ship makes), and fixes near and inside Vostochny's fence.
moves = st.lists(
    st.tuples(
        st.sampled_from([-700.0, 0.0, 60.0, 600.0, 7 * 3600.0]),  # seconds after the last
        st.sampled_from(["sea", "sea", "sea", "jump", "near", "berth"]),
    ),
    min_size=1,
    max_size=40,
)
PLACES = {"sea": (40.0, 135.0), "jump": (37.0, 131.0), "near": (42.6, 133.05)}


@settings(max_examples=150, deadline=None)
@given(moves)
def test_the_fast_path_decides_as_step_does(core: Any, steps: list[tuple[float, str]]) -> None:
    index = core[0]
    t, records = T0, []
    for i, (dt, where) in enumerate(steps):
        t += dt
        lat, lon = VOSTOCHNY_BERTH if where == "berth" else PLACES[where]
        records.append(position(t, lat + i * 1e-4, lon, 0.0 if where == "berth" else 10.0))
    expected_state, expected_events = by_step(records, index)
    states = fresh()
    batch = track_batch(states, records, index)
    assert batch.events == expected_events
    assert states.get(MMSI).to_dict() == expected_state.to_dict()
    assert batch.positions + batch.stale == len(records)


def reference_records() -> list[dict[str, Any]]:
    """The reference scenario's records in their published JSON form, in file order."""
    out = []
    for item in decode_files([SCENARIO_PATH], "auto", Tally()):
        if isinstance(item, Decoded):
            out += [as_json(r) for r in item.records]
    return out


def test_frames_of_any_size_make_the_same_events_as_one_record_at_a_time(core: Any) -> None:
    records = reference_records()
    one_by_one = fresh()
    expected = [ev for r in records for ev in track_batch(one_by_one, [r], core[0]).events]
    for size in (7, 500):
        states = fresh()
        events = []
        for start in range(0, len(records), size):
            events += track_batch(states, records[start : start + size], core[0]).events
        assert events == expected
    assert len(expected) > 100  # the scenario is a real test: enters, stops, exits, gaps


def test_a_record_that_fails_costs_only_itself(core: Any) -> None:
    good = position(T0, 40.0, 135.0)
    bad = {**position(T0 + 60, 40.0, 135.0), "lat": None}
    later = position(T0 + 120, 40.01, 135.0)
    states = fresh()
    batch = track_batch(states, [good, bad, later], core[0])
    assert [i for i, _, _ in batch.failed] == [1]
    assert "TypeError" in batch.failed[0][2]
    assert batch.positions == 2
    assert states.get(MMSI).last_t == T0 + 120


def test_stale_and_duplicate_records_are_counted_and_change_nothing(core: Any) -> None:
    states = fresh()
    track_batch(states, [position(T0, 40.0, 135.0)], core[0])
    before = states.get(MMSI).to_dict()
    batch = track_batch(states, [position(T0, 40.0, 135.0), position(T0 - 60, 40, 135)], core[0])
    assert (batch.stale, batch.positions) == (2, 0)
    assert states.get(MMSI).to_dict() == before


def test_a_state_changed_during_a_flush_is_kept_until_its_own_flush(core: Any) -> None:
    stored: dict[int, bytes] = {}
    loads: list[int] = []

    def load(mmsi: int) -> VesselState | None:
        loads.append(mmsi)
        return VesselState.from_json(stored[mmsi]) if mmsi in stored else None

    states = WriteBack(load, VesselState)
    track_batch(states, [position(T0, 40.0, 135.0)], core[0])
    taken = states.take()  # a flush begins: these are being written
    values = {m: s.to_json() for m, s in taken.items()}
    track_batch(states, [position(T0 + 60, 40.01, 135.0)], core[0])  # meanwhile, more input
    stored.update(values)  # the first flush is durable
    assert states.get(MMSI).last_t == T0 + 60  # the newer object, not the stored value
    again = states.take()
    assert again[MMSI].last_t == T0 + 60
    stored.update({m: s.to_json() for m, s in again.items()})
    assert states.get(MMSI).last_t == T0 + 60 and loads == [MMSI]  # kept: not parsed again
    assert states.take() == {}  # unchanged: the table has it
    assert states.take() == {} and states.states == {}  # two flushes unheard: forgotten
    assert states.get(MMSI).last_t == T0 + 60  # and loads from the table
    assert loads == [MMSI, MMSI]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.sampled_from(["sea", "near", "berth"]), st.integers(0, 3)),
            st.just(("flush", 0)),
        ),
        max_size=40,
    )
)
def test_the_cache_always_reads_what_a_cache_free_stage_would(
    core: Any, steps: list[tuple[str, int]]
) -> None:
    """However fixes and flushes interleave, what the stage reads is the newest state, and
    what it writes brings the table to it: the cache never serves a stale object."""
    index = core[0]
    stored: dict[int, bytes] = {}
    states = WriteBack(
        lambda m: VesselState.from_json(stored[m]) if m in stored else None, VesselState
    )
    plain: dict[int, VesselState] = {}  # the states without any cache: each fix applied
    clock = {m: T0 for m in range(4)}
    for kind, vessel in steps:
        if kind == "flush":
            stored.update({m: s.to_json() for m, s in states.take().items()})
            continue
        mmsi = MMSI + vessel
        clock[vessel] += 600
        lat, lon = VOSTOCHNY_BERTH if kind == "berth" else PLACES[kind]
        sog = 0.0 if kind == "berth" else 10.0
        record = {**position(clock[vessel], lat + clock[vessel] / 1e7, lon, sog), "mmsi": mmsi}
        plain_states = WriteBack(lambda m: plain.get(m), VesselState)
        track_batch(plain_states, [record], index)
        plain.update(plain_states.take())
        track_batch(states, [record], index)
        assert states.get(mmsi).to_dict() == plain[mmsi].to_dict()
    stored.update({m: s.to_json() for m, s in states.take().items()})
    for mmsi, state in plain.items():
        assert VesselState.from_json(stored[mmsi]).to_dict() == state.to_dict()


def test_dropping_the_cache_forgets_what_was_not_flushed(core: Any) -> None:
    states = fresh()
    track_batch(states, [position(T0, 40.0, 135.0)], core[0])
    states.drop()
    assert states.take() == {}
    assert states.get(MMSI).last_t is None


def test_stored_states_name_their_fences_cheaply(core: Any) -> None:
    states = fresh()
    track_batch(states, [as_json(p) for p in loading_then_delivery()[:12]], core[0])
    inside = states.get(MMSI)
    assert inside.visits  # at the berth by then
    assert fences_of(inside.to_json()) == sorted(inside.visits)
    assert fences_of(VesselState().to_json()) == []
    assert VesselState.from_json(inside.to_json()).to_dict() == inside.to_dict()
