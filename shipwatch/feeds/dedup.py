"""Many receivers, one sea: the same AIS message heard twice within a window passes once.

Keyed on the message's payload (which holds the MMSI, so the key is per vessel), as
AIS-catcher's `unique` filter does. Two copies are the same message when their times are within
the window: each copy's own time (its tag block's `c:`) where it has one, else its receive
time. A moored vessel repeats its position report word for word minutes apart, and a recorded
day can arrive within a second: the message's own time tells those apart. A multi-sentence
message is judged whole: its fragments are held until the last one comes, then all pass or all
are dropped, so that a fragment one receiver missed cannot cost the message. A time line
(`$PGHP`, a tag block alone) goes with the sentence after it, because it dates only that one.
Other lines pass untouched: ingest judges them. JSON messages (aisstream.io) are keyed on their
bytes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from shipwatch.feeds.clock import tag_time
from shipwatch.feeds.received import Received

GROUP_WAIT_S = 5.0  # a multipart still incomplete after this passes as it is (ingest judges it)
MAX_KEYS = 2_000_000  # payloads remembered at most, whatever the window
TIMES_KEPT = 256  # message times kept per payload: a moored vessel repeats itself word for word,
# and a receiver catching up after a cut replays many of its repeats within the window


class Window:
    """Keys seen lately, each with the times of its copies that passed."""

    def __init__(self, window_s: float, max_keys: int = MAX_KEYS) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        # key -> (receive time of the last copy passed, message times of the last few passed),
        # in receive order
        self._seen: OrderedDict[bytes, tuple[float, tuple[float, ...]]] = OrderedDict()

    def first(self, key: bytes, received_at: float, at: float | None = None) -> bool:
        """False for a copy of a message passed with a time (`at`, else the receive time)
        within the window of this one's; keys are forgotten `window_s` after they were heard."""
        seen = self._seen
        horizon = received_at - self.window_s
        while seen:
            oldest, (heard, _) = next(iter(seen.items()))
            if heard >= horizon and len(seen) < self.max_keys:
                break
            del seen[oldest]
        when = received_at if at is None else at
        passed = seen.pop(key, None)
        times = passed[1] if passed is not None else ()
        if any(abs(when - t) <= self.window_s for t in times):
            seen[key] = (received_at, times)
            return False
        seen[key] = (received_at, (*times[-(TIMES_KEPT - 1) :], when))
        return True

    def __len__(self) -> int:
        return len(self._seen)


@dataclass
class _Stream:
    """One sender's lines not yet passed: a time line, or a multipart's fragments."""

    held: list[Received] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    group: tuple[bytes, bytes] | None = None  # (sequence id, fragment count) being collected
    since: float = 0.0


# AIS 6-bit armour: "0".."W" are 0..39, "`".."w" are 40..63; anything else is not a payload.
_SIX_BIT = [c - 48 if 48 <= c <= 87 else c - 56 if 96 <= c <= 119 else -1 for c in range(256)]
_JSON_MMSI = re.compile(rb'"(?:MMSI|mmsi)"\s*:\s*"?(\d{1,9})')


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


def _json_vessel(payload: bytes) -> bytes | None:
    found = _JSON_MMSI.search(payload)
    return found.group(1) if found else None


def _keyed(items: list[Received], vessel: bytes | None) -> list[Received]:
    for item in items:  # the deduplicator's own items, released once: set in place
        item.vessel = vessel
    return items


def _first_time(items: list[Received]) -> float | None:
    # The first tag-block time among the lines of a message (a time line held for it included).
    return next((t for t in map(tag_time, (i.payload for i in items)) if t), None)


def _time_of(stream: _Stream | None, line: bytes) -> float | None:
    # The line's own time, else that of the time line held for it.
    own = tag_time(line)
    if own is None and stream is not None:
        own = _first_time(stream.held)
    return own


def sentence_of(line: bytes) -> bytes:
    """The line without its tag block (empty for a tag block alone, or one never closed)."""
    if line[:1] == b"\\":
        end = line.find(b"\\", 1)
        return line[end + 1 :] if end > 0 else b""
    return line


class Deduplicator:
    """Passes each AIS message once per window across every source of the process."""

    def __init__(self, window_s: float) -> None:
        self.window = Window(window_s)
        self.streams: dict[bytes, _Stream] = {}
        self.duplicates = 0  # messages dropped

    def take(self, item: Received) -> list[Received]:
        """What passes on after `item`, in order (possibly nothing yet, possibly held lines)."""
        if self.window.window_s <= 0:
            return [item]
        payload = item.payload
        if payload[:1] == b"{":
            if not self._first(b"J" + payload, item.received_at, None):
                return []
            return _keyed([item], _json_vessel(payload))
        sentence = sentence_of(payload)
        stream = self.streams.get(item.key)
        if not sentence or sentence[:5] == b"$PGHP":  # a time line: it dates the next sentence
            if stream is None:
                stream = self.streams[item.key] = _Stream()
            unfinished = self._release_group(stream)
            stream.held.append(item)
            stream.since = item.received_at
            return unfinished
        fields = sentence.split(b",", 6)
        if sentence[:1] != b"!" or len(fields) < 7:
            return [*self._release(stream), item] if stream else [item]
        count, number, sequence, body = fields[1], fields[2], fields[3], fields[5]
        if count == b"1":
            held = self._release_group(stream) if stream else []
            if self._first(body, item.received_at, _time_of(stream, payload)):
                return [*held, *_keyed([*self._take_held(stream), item], vessel_of(body))]
            self._drop_held(stream)
            return held
        if stream is None:
            stream = self.streams[item.key] = _Stream()
        out: list[Received] = []
        if stream.group != (sequence, count) or number == b"1":
            out = self._release_group(stream)
            stream.group, stream.since = (sequence, count), item.received_at
        stream.held.append(item)
        stream.payloads.append(body)
        if number == count:
            stream_first = stream.payloads[0]
            key = b"|".join(stream.payloads)
            at = _first_time(stream.held)
            complete = self._take_held(stream)
            stream.group, stream.payloads = None, []
            if self._first(key, item.received_at, at):
                out += _keyed(complete, vessel_of(stream_first))
        return out

    def expire(self, now: float) -> list[Received]:
        """Held lines of senders that stopped mid-message, passed on as they are."""
        out: list[Received] = []
        for key, stream in list(self.streams.items()):
            if stream.held and now - stream.since >= GROUP_WAIT_S:
                out += self._release(stream)
            if not stream.held:
                del self.streams[key]
        return out

    def flush(self) -> list[Received]:
        """Everything held, for a clean stop."""
        out = [line for stream in self.streams.values() for line in self._release(stream)]
        self.streams.clear()
        return out

    def forget(self, key: bytes) -> list[Received]:
        """A sender disconnected: what it left held passes on as it is."""
        stream = self.streams.pop(key, None)
        return self._release(stream) if stream else []

    def _first(self, key: bytes, received_at: float, at: float | None) -> bool:
        if self.window.first(key, received_at, at):
            return True
        self.duplicates += 1
        return False

    def _release(self, stream: _Stream | None) -> list[Received]:
        if stream is None:
            return []
        out, stream.held, stream.payloads, stream.group = stream.held, [], [], None
        return out

    def _release_group(self, stream: _Stream | None) -> list[Received]:
        # An unfinished multipart (a fragment lost): pass it as it is, with its time line.
        if stream is None or stream.group is None:
            return []
        return self._release(stream)

    @staticmethod
    def _take_held(stream: _Stream | None) -> list[Received]:
        if stream is None:
            return []
        out, stream.held, stream.payloads = stream.held, [], []
        return out

    @staticmethod
    def _drop_held(stream: _Stream | None) -> None:
        if stream is not None:
            stream.held, stream.payloads = [], []
