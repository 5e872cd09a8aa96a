"""Kafka's default partitioner for MMSI keys, cached: the same choice as every Kafka client.

Frames and the tracks changelog must land in the partition Faust's tables and the default
partitioner pick for the same key bytes, murmur2(key) mod n. The hash is Kafka's own
(`org.apache.kafka.common.utils.Utils.murmur2`), written here so that the pure pipeline (the
partitioned runner) places keys as the stream does without importing a Kafka client; a test
checks it against aiokafka's. It is pure Python (a few µs), and the hot path asks once per
position and topic, so each vessel's hash and key bytes are kept, once for every topic.
"""

from __future__ import annotations

MAX_CACHED = 1_000_000  # vessels remembered (the world has about 300,000 active MMSIs)
# Other keys (cells, pairs) are remembered while in use: a key looked up within the last
# GENERATION lookups stays, one not looked up for two generations is forgotten. Cells and pairs
# come and go (a pair's key never comes back once it has parted), so a cache bounded only by its
# size grew with every key ever seen until the bound: a week soak's worker gained about 600
# keys (~60 KB) a simulated day. Two generations hold at most 2 x GENERATION keys (~10 MB).
GENERATION = 50_000


_SEED = 0x9747B28C
_M = 0x5BD1E995  # Kafka's murmur2 multiplier
_MASK = 0xFFFFFFFF  # Java's int arithmetic wraps at 32 bits


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of `data` as an unsigned 32-bit number (Kafka keeps its low 31 bits)."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    body = length & ~3
    for i in range(0, body, 4):
        k = (int.from_bytes(data[i : i + 4], "little") * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    extra = length - body
    if extra == 3:
        h ^= data[body + 2] << 16
    if extra >= 2:
        h ^= data[body + 1] << 8
    if extra >= 1:
        h = ((h ^ data[body]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def key_of(mmsi: int) -> bytes:
    """The key bytes of a vessel on every MMSI-keyed topic and table."""
    return str(mmsi).encode()


_keyed: dict[int, tuple[int, bytes]] = {}  # MMSI -> (murmur2 of its key, key): every topic's


def hash_and_key(mmsi: int) -> tuple[int, bytes]:
    """murmur2 of the vessel's key bytes (positive) and the key bytes, made once per vessel."""
    found = _keyed.get(mmsi)
    if found is None:
        if len(_keyed) >= MAX_CACHED:
            _keyed.clear()
        key = key_of(mmsi)
        hashed: int = murmur2(key)
        found = _keyed[mmsi] = (hashed & 0x7FFFFFFF, key)
    return found


class MmsiPartitioner:
    """The partition of each vessel's key among `partitions`."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def __call__(self, mmsi: int) -> int:
        """The partition of the vessel's key."""
        return hash_and_key(mmsi)[0] % self.partitions

    def keyed(self, mmsi: int) -> tuple[int, bytes]:
        """The partition and the key bytes of a vessel's record."""
        hashed, key = hash_and_key(mmsi)
        return hashed % self.partitions, key


class KeyPartitioner:
    """The partition of other keys (the sea stage's cells, pairs, `watched`; the feed's
    vessels and senders), remembered while they are in use."""

    def __init__(self, partitions: int, generation: int = GENERATION) -> None:
        self.partitions = partitions
        self.generation = generation  # lookups before the young keys become the old ones
        self._young: dict[str | bytes, int] = {}
        self._old: dict[str | bytes, int] = {}
        self._lookups = 0

    def __call__(self, key: str | bytes) -> int:
        """murmur2 of the key's bytes (a str's UTF-8) mod the partition count, as any Kafka
        client picks."""
        found = self._young.get(key)
        if found is None:
            found = self._old.get(key)
            if found is None:
                raw = key.encode() if isinstance(key, str) else key
                found = (murmur2(raw) & 0x7FFFFFFF) % self.partitions
            self._young[key] = found
        self._lookups += 1
        if self._lookups >= self.generation:
            # Keys not looked up since the last turn go with the old generation.
            self._old, self._young, self._lookups = self._young, {}, 0
        return found

    def __len__(self) -> int:
        """Keys remembered now (both generations; a key in both counts twice)."""
        return len(self._young) + len(self._old)
