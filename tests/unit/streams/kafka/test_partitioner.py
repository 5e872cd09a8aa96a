"""Frames and the tracks changelog go where any Kafka client's default partitioner sends a key."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from streams.kafka.partitioner import MmsiPartitioner, key_of


@given(st.integers(min_value=200_000_000, max_value=799_999_999), st.integers(1, 64))
def test_the_cached_partition_is_the_default_partitioners(mmsi: int, partitions: int) -> None:
    every = list(range(partitions))
    expected = DefaultPartitioner()(key_of(mmsi), every, every)
    assert MmsiPartitioner(partitions)(mmsi) == expected
    assert MmsiPartitioner(partitions).keyed(mmsi) == (expected, key_of(mmsi))  # cached
