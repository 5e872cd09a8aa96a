"""Observing many amounts at once leaves a histogram as observing each one would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram

from shipwatch.metrics import observe_all

BUCKETS = (0.1, 1, 10, 3600)


def samples(histogram: Histogram) -> dict[str, float]:
    """The histogram's exported samples by name and bucket."""
    return {
        f"{s.name}{s.labels.get('le', '')}": s.value
        for metric in histogram.collect()
        for s in metric.samples
        if not s.name.endswith("_created")
    }


@given(st.lists(st.floats(min_value=-10, max_value=1e6, allow_nan=False), max_size=50))
def test_bulk_observation_equals_one_at_a_time(amounts: list[float]) -> None:
    one = Histogram("lag", "x", buckets=BUCKETS, registry=CollectorRegistry())
    bulk = Histogram("lag", "x", buckets=BUCKETS, registry=CollectorRegistry())
    for amount in amounts:
        one.observe(amount)
    observe_all(bulk, amounts)
    got, expected = samples(bulk), samples(one)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert abs(got[name] - value) <= 1e-6 * max(1.0, abs(value)), name
