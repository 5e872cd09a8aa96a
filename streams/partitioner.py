"""Kafka's default partitioner for MMSI keys, cached: the same choice as every Kafka client.

Frames and the tracks changelog must land in the partition Faust's tables and the default
partitioner pick for the same key bytes, murmur2(key) mod n. aiokafka's murmur2 is pure Python
(about 4 µs), and the hot path asks once per position, so each vessel's answer is kept.
"""

from __future__ import annotations

from aiokafka.partitioner import murmur2

MAX_CACHED = 1_000_000  # vessels remembered (the world has about 300,000 active MMSIs)


def key_of(mmsi: int) -> bytes:
    """The key bytes of a vessel on every MMSI-keyed topic and table."""
    return str(mmsi).encode()


def partition_for_key(key: bytes, partitions: int) -> int:
    """murmur2(key) mod n, exactly as aiokafka's and the Java client's default partitioner."""
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % partitions


class MmsiPartitioner:
    """The partition of each vessel's key among `partitions`, computed once per vessel."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self._cache: dict[int, int] = {}

    def __call__(self, mmsi: int) -> int:
        """The partition of the vessel's key."""
        partition = self._cache.get(mmsi)
        if partition is None:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            partition = self._cache[mmsi] = partition_for_key(key_of(mmsi), self.partitions)
        return partition
