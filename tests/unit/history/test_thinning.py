"""Which fixes the vessel pages keep: all on the map areas, one per 5 min and turns elsewhere."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from history.thinning import Thinner, evenly, turned


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
    assert len(thinner.kept) == 2
    assert thinner.keep(1, 1.0, None, on_map=False)


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
