"""Frames and the tracks changelog go where any Kafka client's default partitioner sends a key."""

from __future__ import annotations

import itertools

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as kafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from shipwatch.pipeline import partitioner as partitioner_module
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


def test_keys_out_of_use_are_forgotten_and_every_answer_is_kafkas() -> None:
    partition = KeyPartitioner(6, generation=4)
    every = list(range(6))
    kafka = DefaultPartitioner()
    # A pair that parted never comes back; a cell in use is asked for again and again.
    for i in range(40):
        for key in (f"p:{i}:{i + 1}", "c:1323:425"):
            assert partition(key) == kafka(key.encode(), every, every)
        assert len(partition) <= 2 * 4  # two generations: memory follows the keys in use
    assert "p:0:1" not in partition._young and "p:0:1" not in partition._old
    assert "c:1323:425" in partition._young or "c:1323:425" in partition._old
    assert partition("p:0:1") == kafka(b"p:0:1", every, every)  # forgotten, then hashed again


@given(st.lists(st.sampled_from([f"c:{i}:{j}" for i in range(5) for j in range(5)]), max_size=200))
def test_a_key_used_in_every_generation_is_never_hashed_again(keys: list[str]) -> None:
    partition = KeyPartitioner(6, generation=3)
    hashed: list[str] = []
    real = partitioner_module.murmur2

    def counting(data: bytes) -> int:
        hashed.append(data.decode())
        return real(data)

    partitioner_module.murmur2 = counting  # type: ignore[assignment]
    try:
        for key in keys:
            partition(key)
    finally:
        partitioner_module.murmur2 = real
    # A key is hashed again only after 3 lookups of others left it out of two turns.
    for key in set(hashed):
        places = [i for i, k in enumerate(keys) if k == key]
        rehashes = hashed.count(key) - 1
        gaps = sum(1 for a, b in itertools.pairwise(places) if b - a > 3)
        assert rehashes <= gaps
