"""Which vessel each NMEA line is about, so that a vessel's lines share one Kafka partition.

Recorded and received sentences go onto the raw topic keyed by vessel, as the positions topic
is, so that a vessel's messages stay in order in one partition whichever file or receiver
brought each (keyed by file, a vessel in two days' files reached the track stage on two
partitions, and the later day's fixes made the earlier day's stale). A single-sentence message
names its vessel in its first bits; so does a multipart's first fragment, and the rest of the
message follows it by slot (sequence id and channel, as the decoder joins them); a time line
(`$PGHP`, a tag block alone) goes with the sentence after it, which it dates. Lines that name no
vessel keep their sender's key. The lines' order is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_WAITING = 16  # time lines held for the next sentence; a time line dates only the next one
MAX_SLOTS = 1_000  # open multiparts of a sender (a slot is a sequence id 0-9 and a channel)

# AIS 6-bit armour: "0".."W" are 0..39, "`".."w" are 40..63; anything else is not a payload.
_SIX_BIT = [c - 48 if 48 <= c <= 87 else c - 56 if 96 <= c <= 119 else -1 for c in range(256)]


def vessel_of(body: bytes) -> bytes | None:
    """The MMSI in an AIS payload's first 38 bits (type 6, repeat 2, MMSI 30), as decimal text;
    None when the payload is too short or not 6-bit armoured."""
    if len(body) < 7:
        return None
    bits = 0
    for c in body[:7]:
        v = _SIX_BIT[c]
        if v < 0:
            return None
        bits = (bits << 6) | v
    return str((bits >> 4) & 0x3FFFFFFF).encode()


def sentence_of(line: bytes) -> bytes:
    """The line without its tag block (empty for a tag block alone, or one never closed)."""
    if line[:1] == b"\\":
        end = line.find(b"\\", 1)
        return line[end + 1 :] if end > 0 else b""
    return line


def is_time_line(sentence: bytes) -> bool:
    """A line that only dates the sentence after it: a tag block alone, or `$PGHP`."""
    return not sentence or sentence[:5] == b"$PGHP"


@dataclass
class _Sender(Generic[T]):
    waiting: list[T] = field(default_factory=list)  # time lines, for the next sentence
    slots: dict[tuple[bytes, bytes], bytes | None] = field(default_factory=dict)  # multiparts


class VesselKeys(Generic[T]):
    """Keys each line of each sender by the vessel its message is about, in the lines' order."""

    def __init__(self) -> None:
        self._senders: dict[bytes, _Sender[T]] = {}

    def take(self, sender: bytes, item: T, line: bytes) -> list[tuple[T, bytes]]:
        """`item` (whose text is `line`) and the time lines held for it, each with its key;
        nothing yet for a time line."""
        state = self._senders.get(sender)
        if state is None:
            state = self._senders[sender] = _Sender()
        sentence = sentence_of(line)
        if is_time_line(sentence):
            state.waiting.append(item)
            if len(state.waiting) > MAX_WAITING:  # a file of time lines alone: bounded
                return [(state.waiting.pop(0), sender)]
            return []
        key = _vessel(state, sentence) or sender
        out = [(held, key) for held in state.waiting]
        state.waiting.clear()
        out.append((item, key))
        return out

    def flush(self) -> list[tuple[T, bytes]]:
        """The time lines no sentence came after, keyed by their senders; then forget all."""
        out = [(item, sender) for sender, s in self._senders.items() for item in s.waiting]
        self._senders.clear()
        return out


def _vessel(state: _Sender[T], sentence: bytes) -> bytes | None:
    fields = sentence.split(b",", 6)
    if sentence[:1] != b"!" or len(fields) < 7:
        return None
    count, number, slot = fields[1], fields[2], (fields[3], fields[4])
    if count == b"1":
        return vessel_of(fields[5])
    if number == b"1":
        if len(state.slots) >= MAX_SLOTS:  # messages whose last fragment never came
            state.slots.clear()
        found = state.slots[slot] = vessel_of(fields[5])
    else:
        found = state.slots.get(slot)
    if number == count:
        state.slots.pop(slot, None)
    return found
