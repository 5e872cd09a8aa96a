"""The memory phase's bytes per vessel: a slope when there are points, else the growth, and why."""

from __future__ import annotations

import math

import pytest

from bench.memory_phase import per_vessel

MB = 2**20


def test_a_steady_climb_gives_its_slope() -> None:
    # 1,000 B a vessel on top of a start-up step of 5 MB in the first fifth.
    samples = [(0, 100.0), (1000, 105.0)]
    samples += [(n, 105.0 + (n - 1000) * 1000 / MB) for n in range(2000, 10_001, 1000)]
    found = per_vessel(samples, 10_000)
    assert found.method == "slope" and found.why == ""
    assert found.bytes_per_vessel == pytest.approx(1000, rel=1e-6)


def test_a_worker_that_did_everything_between_two_samples_still_gives_a_figure() -> None:
    # The case that printed "n/a": the sender finished before the worker had done much, and the
    # worker then did every vessel between two samples.
    samples = [(0, 100.0), (0, 100.5), (0, 101.0), (10_000, 112.0), (10_000, 112.0)]
    found = per_vessel(samples, 10_000)
    assert found.method == "overall"
    assert found.bytes_per_vessel == pytest.approx(12 * MB / 10_000)
    assert "1 distinct" in found.why and "10,000 of 10,000" in found.why
    assert math.isfinite(found.bytes_per_vessel)


def test_no_samples_is_a_mistake_of_the_caller() -> None:
    with pytest.raises(ValueError):
        per_vessel([], 10)
