"""The bench report's ratio: the median of the rounds, not one pair measured minutes apart."""

from __future__ import annotations

from bench.report import rounds_ratio


def test_the_ratio_is_the_median_of_the_rounds() -> None:
    results = {
        "throughput": {"per_s": 20_000.0},
        "baseline": {"per_s": 80_000.0},
        "rounds": [{"ratio": 0.25}, {"ratio": 0.52}, {"ratio": 0.44}],
    }
    assert rounds_ratio(results) == 0.44


def test_results_from_before_the_rounds_give_their_one_ratio() -> None:
    assert rounds_ratio({"throughput": {"per_s": 20_000.0}, "baseline": {"per_s": 50_000.0}}) == 0.4
