"""bench.variants' paired figures: what a part costs, from pairs drained side by side."""

from __future__ import annotations

import pytest

from bench.variants import paired_cost


def test_a_parts_cost_is_the_median_of_its_pairs_shares() -> None:
    # Pairs in a fast, a slow and a middling minute: each pair's own share counts, not the
    # minute's speed.
    cost = paired_cost([10.0, 20.0, 30.0], [9.0, 18.0, 24.0])
    assert cost == pytest.approx({"median": 0.1, "low": 0.1, "high": 0.2})


def test_a_variant_dearer_than_the_base_has_a_negative_cost() -> None:
    cost = paired_cost([30.0, 32.0], [33.0, 32.0])
    assert cost["low"] == pytest.approx(-0.1)
    assert cost["high"] == pytest.approx(0.0)
    assert cost["median"] == pytest.approx(-0.05)


def test_pairs_must_match() -> None:
    with pytest.raises(ValueError):
        paired_cost([30.0, 32.0], [33.0])
