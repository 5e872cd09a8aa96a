"""IMO check digits and MMSIs that are no country's (ITU-R M.585)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.ais.flags import FLAGS
from shipwatch.integrity.identifiers import (
    imo_check_digit,
    imo_plausible,
    imo_problem,
    imo_valid,
    mid_of,
    mmsi_problem,
)

WEIGHTS = (7, 6, 5, 4, 3, 2, 1)  # the check digit itself weighs 1 against the sum


def reference_valid(imo: int) -> bool:
    """The rule as the issue states it, on the digits as text."""
    digits = str(imo)
    if len(digits) != 7:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    return total % 10 == int(digits[6])


valid_imos = st.integers(100_000, 999_999).map(lambda body: body * 10 + imo_check_digit(body))


@pytest.mark.parametrize("imo", [9074729, 8916293, 9319466, 1000019])
def test_known_imo_numbers_pass_their_check(imo: int) -> None:
    assert imo_valid(imo)
    assert imo_problem(imo) is None


@pytest.mark.parametrize("imo", [9074728, 9074720, 8916290, 9999999, 1111111])
def test_a_wrong_seventh_digit_fails(imo: int) -> None:
    assert not imo_valid(imo)
    assert imo_problem(imo) == "imo_check_digit"


@pytest.mark.parametrize("imo", [None, 0])
def test_no_imo_is_not_an_invalid_one(imo: int | None) -> None:
    assert not imo_plausible(imo)
    assert not imo_valid(imo)
    assert imo_problem(imo) is None


@pytest.mark.parametrize("imo", [1, 999_999, 10_000_000, 445123456, -9074729])
def test_a_number_of_another_length_is_no_imo_number(imo: int) -> None:
    assert not imo_plausible(imo)
    assert not imo_valid(imo)
    assert imo_problem(imo) == "imo_not_7_digits"


@settings(max_examples=200)
@given(st.integers(-10, 20_000_000))
def test_the_check_agrees_with_the_rule_as_stated(imo: int) -> None:
    assert imo_valid(imo) == reference_valid(imo)


@settings(max_examples=200)
@given(st.integers(100_000, 999_999))
def test_exactly_one_check_digit_completes_each_six_digit_body(body: int) -> None:
    assert [d for d in range(10) if imo_valid(body * 10 + d)] == [imo_check_digit(body)]


@settings(max_examples=200)
@given(valid_imos, st.integers(0, 6), st.integers(1, 9))
def test_changing_one_digit_fails_the_check_unless_the_weight_hides_it(
    imo: int, place: int, step: int
) -> None:
    digits = [int(d) for d in str(imo)]
    digits[place] = (digits[place] + step) % 10
    changed = int("".join(map(str, digits)))
    # The sum moves by step × weight (mod 10): the check catches every change of the seventh
    # digit and of the digits weighted 7 and 3, but not a change by 5 of a digit weighted 2, 4
    # or 6, nor an even change of the digit weighted 5. Only a first digit turned 0 (a
    # six-digit number) fails regardless.
    hidden = (step * WEIGHTS[place]) % 10 == 0 and changed >= 1_000_000
    assert imo_valid(changed) == hidden
    if WEIGHTS[place] in (1, 3, 7):
        assert not imo_valid(changed)


def test_the_placeholder_1234567_passes_the_check() -> None:
    # 7+12+15+16+15+12 = 77: a number typed by installers as "some IMO" is a valid one.
    assert imo_valid(1234567)


def test_the_check_misses_some_single_digit_changes() -> None:
    # 9074729 -> 9094729: the third digit (weight 5) up by 2 moves the sum by 10.
    assert imo_valid(9074729) and imo_valid(9094729)


@pytest.mark.parametrize(
    ("mmsi", "mid"),
    [
        (445123456, "445"),  # ship station
        (27312345, "273"),  # group of ship stations, 0MIDXXXXX
        (2731234, "273"),  # coast station, 00MIDXXXX
        (111273123, "273"),  # SAR aircraft
        (982731234, "273"),  # craft associated with a parent ship
        (992731234, "273"),  # aid to navigation
        (827312345, "273"),  # handheld VHF
        (123456789, None),
        (912345678, None),
    ],
)
def test_the_mid_sits_where_m585_puts_it(mmsi: int, mid: str | None) -> None:
    assert mid_of(mmsi) == mid


@pytest.mark.parametrize(
    "mmsi",
    [
        445123456,  # DPRK
        273456789,  # Russia
        366999999,  # United States
        2731234,  # a Russian coast station
        27312345,  # a Russian group call
        111273123,  # a Russian SAR aircraft
        982731234,  # a Russian ship's tender
        992731234,  # a Russian aid to navigation
        827312345,  # a Russian handheld
        970123456,  # AIS-SART: no MID by design
        972000001,  # man overboard device
        974123456,  # EPIRB-AIS
        979123456,  # autonomous maritime radio device
    ],
)
def test_a_country_s_mid_or_a_device_without_one_is_no_problem(mmsi: int) -> None:
    assert mmsi_problem(mmsi) is None


@pytest.mark.parametrize(
    ("mmsi", "reason"),
    [
        (200123456, "unknown_mid"),  # MID 200 is nobody's
        (780123456, "unknown_mid"),  # above the last MID, 775
        (2001234, "unknown_mid"),  # a coast station under MID 200
        (111200123, "unknown_mid"),
        (992001234, "unknown_mid"),
        (800012345, "unknown_mid"),  # a handheld under MID 000
        (0, "unknown_mid"),
        (123456789, "no_mid"),  # the commonest default of all
        (100000000, "no_mid"),
        (912345678, "no_mid"),
        (960000000, "no_mid"),
        (1_000_000_000, "not_9_digits"),
        (-445123456, "not_9_digits"),
    ],
)
def test_an_mmsi_that_is_no_country_s_says_why(mmsi: int, reason: str) -> None:
    assert mmsi_problem(mmsi) == reason


@settings(max_examples=200)
@given(st.integers(200_000_000, 799_999_999))
def test_a_ship_station_is_valid_exactly_when_pyais_knows_its_mid(mmsi: int) -> None:
    assert (mmsi_problem(mmsi) is None) == (str(mmsi)[:3] in FLAGS)


@settings(max_examples=200)
@given(st.integers(-(10**10), 10**10))
def test_any_number_gets_an_answer(mmsi: int) -> None:
    assert mmsi_problem(mmsi) in (None, "not_9_digits", "no_mid", "unknown_mid")
