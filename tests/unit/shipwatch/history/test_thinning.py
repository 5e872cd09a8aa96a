"""Which fixes the vessel pages keep: all on the map areas, one per 5 min and turns elsewhere."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import orjson
from hypothesis import given
from hypothesis import strategies as st

from shipwatch.history.thinning import Thinner, evenly, turned
from shipwatch.pipeline.frames import records_of_frame
from shipwatch.pipeline.ingest_stage import IngestStage, Routing


def test_a_steady_vessel_at_sea_keeps_one_fix_per_five_minutes() -> None:
    thinner = Thinner(every_s=300)
    kept = [t for t in range(0, 3600, 10) if thinner.keep(1, float(t), 90.0, on_map=False)]
    assert kept == list(range(0, 3600, 300))


def test_every_fix_on_a_map_area_is_kept() -> None:
    thinner = Thinner(every_s=300)
    assert all(thinner.keep(1, float(t), 90.0, on_map=True) for t in range(0, 600, 10))


def test_a_turn_is_kept_where_it_happens() -> None:
    thinner = Thinner(every_s=300, turn_deg=30)
    assert thinner.keep(1, 0.0, 350.0, on_map=False)
    assert not thinner.keep(1, 10.0, 10.0, on_map=False)  # 20 degrees across north
    assert thinner.keep(1, 20.0, 30.0, on_map=False)  # 40 degrees: a turn


def test_vessels_are_thinned_apart() -> None:
    thinner = Thinner(every_s=300)
    assert thinner.keep(1, 0.0, None, on_map=False)
    assert thinner.keep(2, 10.0, None, on_map=False)
    assert not thinner.keep(1, 20.0, None, on_map=False)


def test_memory_is_bounded_and_a_forgotten_vessels_next_fix_is_kept() -> None:
    thinner = Thinner(every_s=300, keep=2)
    for mmsi in (1, 2, 3):
        thinner.keep(mmsi, 0.0, None, on_map=False)
    assert len(thinner.kept) <= 2
    assert thinner.keep(1, 1.0, None, on_map=False)  # forgotten: kept again


@given(st.floats(0, 360), st.floats(0, 360))
def test_a_turn_is_the_same_either_way_round(a: float, b: float) -> None:
    assert turned(a, b, 30.0) == turned(b, a, 30.0)


@given(st.lists(st.floats(0, 86_400), min_size=1, max_size=200))
def test_no_two_kept_fixes_of_a_straight_course_are_closer_than_the_interval_in_order(
    times: list[float],
) -> None:
    thinner = Thinner(every_s=300)
    kept = [t for t in sorted(times) if thinner.keep(1, t, 45.0, on_map=False)]
    assert kept[0] == min(times)
    assert all(b - a >= 300 for a, b in itertools.pairwise(kept))


@given(st.integers(0, 500), st.integers(2, 50))
def test_a_long_track_is_drawn_from_evenly_spread_fixes_with_both_ends(n: int, most: int) -> None:
    items = list(range(n))
    picked = evenly(items, most)
    assert len(picked) == min(n, most) and picked == sorted(set(picked))
    if n:
        assert picked[0] == 0 and picked[-1] == n - 1


def test_ingest_frames_every_fix_on_the_map_and_one_per_interval_elsewhere() -> None:
    """The history's fixes as ingest routes them: framed, thinned only off the map."""

    def fix(mmsi: int, lat: float, minute: int) -> bytes:
        return orjson.dumps(
            {"kind": "position", "mmsi": mmsi, "ts": f"2024-03-07T00:{minute:02d}:00Z",
             "lat": lat, "lon": 135.0, "sog": 10.0, "cog": 90.0}
        )  # fmt: skip

    on_map, at_sea = 273_000_001, 273_000_002  # the test's map: every latitude above 0
    values = [fix(on_map, 40.0, m) for m in range(20)] + [fix(at_sea, -10.0, m) for m in range(20)]
    messages = [Raw(i, v) for i, v in enumerate(values)]
    stage = IngestStage("ns.ais-raw", Routing(lambda m: m % 3, lambda la, lo: la > 0, Thinner()))
    out = stage.batch(0, messages)
    kept = [(r["mmsi"], r["ts"][14:16]) for _, f in out.history for r in records_of_frame(f)]
    assert [m for m, _ in kept].count(on_map) == 20
    assert [t for m, t in kept if m == at_sea] == ["00", "05", "10", "15"]
    assert len(out.history) == 1  # one frame for the batch's 24 kept fixes
    assert stage.batch(0, []).history == []  # nothing carried over to the next batch


@dataclass(frozen=True)
class Raw:
    offset: int
    value: bytes
    partition: int = 0
    key: bytes | None = None
    timestamp: int = 1_709_769_600_000
