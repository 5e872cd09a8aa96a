"""Frames and the tracks changelog go where any Kafka client's default partitioner sends a key."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as kafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from shipwatch.pipeline.partitioner import KeyPartitioner, MmsiPartitioner, key_of, murmur2


@given(st.integers(min_value=200_000_000, max_value=799_999_999), st.integers(1, 64))
def test_the_cached_partition_is_the_default_partitioners(mmsi: int, partitions: int) -> None:
    every = list(range(partitions))
    expected = DefaultPartitioner()(key_of(mmsi), every, every)
    assert MmsiPartitioner(partitions)(mmsi) == expected
    assert MmsiPartitioner(partitions).keyed(mmsi) == (expected, key_of(mmsi))  # cached


@given(st.binary(max_size=64))
def test_murmur2_is_kafkas(data: bytes) -> None:
    """Our hash keeps the bits Kafka keeps, for keys of every length (tails of 0-3 bytes)."""
    assert murmur2(data) & 0x7FFFFFFF == kafka_murmur2(data) & 0x7FFFFFFF
    assert 0 <= murmur2(data) <= 0xFFFFFFFF


@given(st.text(max_size=40), st.integers(1, 64))
def test_string_keys_go_where_kafka_sends_them(key: str, partitions: int) -> None:
    every = list(range(partitions))
    assert KeyPartitioner(partitions)(key) == DefaultPartitioner()(key.encode(), every, every)


def test_a_full_key_cache_starts_again_and_answers_the_same():
    partition = KeyPartitioner(6, max_cached=3)
    keys = [f"p:{i}:{i + 1}" for i in range(10)]
    first = [partition(k) for k in keys]
    assert len(partition._seen) <= 3  # bounded: pair keys never come back once a pair parts
    assert [partition(k) for k in keys] == first
    every = list(range(6))
    assert first == [DefaultPartitioner()(k.encode(), every, every) for k in keys]
