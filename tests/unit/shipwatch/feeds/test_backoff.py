"""Backoff: full jitter under a doubling, capped ceiling; a floor after "too many requests";
a connection that held starts it over."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipwatch.feeds.backoff import STABLE_S, THROTTLED_S, Backoff


def test_the_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(cap_s=10.0)
    assert [backoff.next_delay(lambda: 1.0) for _ in range(7)] == [1, 2, 4, 8, 10, 10, 10]
    assert backoff.attempt == 7


def test_a_draw_of_zero_waits_nothing_unless_there_is_a_floor() -> None:
    backoff = Backoff(cap_s=10.0)
    assert backoff.next_delay(lambda: 0.0) == 0.0
    backoff.throttled()
    assert backoff.next_delay(lambda: 0.0) == THROTTLED_S == 1800.0


@given(
    st.floats(min_value=0.01, max_value=600),
    st.floats(min_value=0.01, max_value=10),
    st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), min_size=1, max_size=60),
)
def test_every_wait_is_uniform_between_zero_and_the_capped_ceiling(
    cap: float, base: float, draws: list[float]
) -> None:
    backoff = Backoff(cap_s=cap, base_s=base)
    for n, draw in enumerate(draws):
        ceiling = min(cap, base * 2.0**n)
        delay = backoff.next_delay(lambda d=draw: d)
        assert delay == pytest.approx(draw * ceiling)
        assert 0 <= delay <= ceiling <= cap


def test_random_waits_stay_within_their_bounds() -> None:
    backoff = Backoff(cap_s=5.0)
    for n in range(200):
        assert 0 <= backoff.next_delay() <= min(5.0, 2.0**n)


def test_a_huge_attempt_count_does_not_overflow() -> None:
    backoff = Backoff(cap_s=300.0, attempt=10**9)
    assert backoff.next_delay(lambda: 1.0) == 300.0


def test_the_floor_after_too_many_requests_holds_until_a_stable_connection() -> None:
    backoff = Backoff(cap_s=60.0)
    backoff.throttled()
    assert backoff.floor_s == THROTTLED_S
    backoff.throttled(10.0)  # a smaller floor does not lower it
    assert backoff.floor_s == THROTTLED_S
    assert all(backoff.next_delay() >= THROTTLED_S for _ in range(20))
    backoff.held(STABLE_S - 0.1)  # too short to count
    assert backoff.floor_s == THROTTLED_S and backoff.attempt == 20
    backoff.held(STABLE_S)
    assert backoff.floor_s == 0 and backoff.attempt == 0
    assert backoff.next_delay(lambda: 1.0) == 1.0  # the first wait again


def test_a_long_connection_ended_by_too_many_requests_keeps_the_floor() -> None:
    """aisstream.io says so in the session; the session's length must not clear the wait."""
    backoff = Backoff(cap_s=60.0)
    backoff.throttled()  # said during a session that then ended
    backoff.held(STABLE_S * 10)
    assert backoff.floor_s == THROTTLED_S
    assert backoff.next_delay(lambda: 0.0) == THROTTLED_S
    backoff.held(STABLE_S)  # the next one held with no refusal: start over
    assert backoff.floor_s == 0 and backoff.attempt == 0
