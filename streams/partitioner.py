"""Kafka's default partitioner for MMSI keys, cached: the same choice as every Kafka client.

Frames and the tracks changelog must land in the partition Faust's tables and the default
partitioner pick for the same key bytes, murmur2(key) mod n. aiokafka's murmur2 is pure Python
(about 4 µs), and the hot path asks once per position and topic, so each vessel's hash is
kept, once for every topic.
"""

from __future__ import annotations

from aiokafka.partitioner import murmur2

MAX_CACHED = 1_000_000  # vessels remembered (the world has about 300,000 active MMSIs)


def key_of(mmsi: int) -> bytes:
    """The key bytes of a vessel on every MMSI-keyed topic and table."""
    return str(mmsi).encode()


_hashes: dict[int, int] = {}  # MMSI -> murmur2 of its key, shared by every topic


def key_hash(mmsi: int) -> int:
    """murmur2 of the vessel's key bytes, positive, computed once per vessel."""
    hashed = _hashes.get(mmsi)
    if hashed is None:
        if len(_hashes) >= MAX_CACHED:
            _hashes.clear()
        raw: int = murmur2(key_of(mmsi))
        hashed = _hashes[mmsi] = raw & 0x7FFFFFFF
    return hashed


class MmsiPartitioner:
    """The partition of each vessel's key among `partitions`."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def __call__(self, mmsi: int) -> int:
        """The partition of the vessel's key."""
        return key_hash(mmsi) % self.partitions
