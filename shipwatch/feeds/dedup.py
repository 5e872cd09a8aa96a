"""Many receivers, one sea: the same AIS message heard twice within a window passes once.

Keyed on the message's payload (which holds the MMSI, so the key is per vessel), as
AIS-catcher's `unique` filter does. Two copies are the same message when their times are within
the window: each copy's own time (its tag block's `c:`, or the `$PGHP` line before it) where it
has one, else its receive time. A moored vessel repeats its position report word for word
minutes apart, and a recorded day can arrive within a second: the message's own time tells
those apart. A multi-sentence message is judged whole: its fragments are held in their slot
(sequence id and channel, as the decoder joins them: a feed merging many stations interleaves
messages) until the last one comes, then all pass or all are dropped, so that a fragment one
receiver missed cannot cost the message; an unfinished one passes as it is. A time line
(`$PGHP`, a tag block alone) goes with the sentence after it, because it dates only that one.
A copy whose checksums do not hold passes untouched and takes no message's place: ingest
refuses it, and another receiver's good copy must still pass. Other lines pass untouched:
ingest judges them. JSON messages (aisstream.io) are keyed on their bytes.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shipwatch.ais.nmea import sound_time
from shipwatch.ais.vessel_keys import is_time_line, sentence_of, vessel_of
from shipwatch.feeds.received import Received

log = logging.getLogger(__name__)
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
class _Group:
    """A multipart being collected: its lines so far (time lines included), its payloads."""

    count: bytes
    since: float
    at: float | None  # the message's own time: its first fragment's that has one
    held: list[Received] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)


@dataclass
class _Stream:
    """One sender's lines not yet passed: time lines waiting for the sentence they date, and
    the multiparts being collected, by slot (sequence id, channel) as the decoder joins them:
    a feed that merges many stations interleaves their messages' fragments."""

    times: list[Received] = field(default_factory=list)
    since: float = 0.0  # when the first waiting time line came
    groups: dict[tuple[bytes, bytes], _Group] = field(default_factory=dict)


_JSON_MMSI = re.compile(rb'"(?:MMSI|mmsi)"\s*:\s*"?(\d{1,9})')


def _json_vessel(payload: bytes) -> bytes | None:
    found = _JSON_MMSI.search(payload)
    return found.group(1) if found else None


def _keyed(items: list[Received], vessel: bytes | None) -> list[Received]:
    for item in items:  # the deduplicator's own items, released once: set in place
        item.vessel = vessel
    return items


def _pghp_time(line: bytes) -> float | None:
    # `$PGHP,1,<year>,<month>,<day>,<hour>,<minute>,<second>,<centiseconds>,...`: a Gatehouse
    # time line's UTC time, None when it is not one or does not read.
    fields = line.split(b",", 9)
    if len(fields) < 9 or fields[1] != b"1":
        return None
    try:
        year, month, day, hour, minute, second, centi = (int(f) for f in fields[2:9])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() + (
            centi / 100
        )
    except (ValueError, OverflowError):  # a year of eleven digits
        return None


def _line_time(line: bytes) -> float | None:
    # A time line's time: its tag block's `c:`, else a `$PGHP` line's.
    own = sound_time(line)[1]
    if own is None:
        sentence = sentence_of(line)
        if sentence[:5] == b"$PGHP":
            own = _pghp_time(sentence)
    return own


def _part_time(own: float | None, times: list[Received]) -> float | None:
    # A sentence's time as the decoder reads it: its own tag block's (`own`), else the last
    # time line before it that reads.
    if own is None and times:
        found = (_line_time(i.payload) for i in reversed(times))
        own = next((t for t in found if t is not None), None)
    return own


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
        try:
            return self._take(item)
        except Exception:  # a bug must cost no line: this one passes as it is, ingest judges
            log.exception("dedup: a line passed as it is after an error")
            return [item]

    def _take(self, item: Received) -> list[Received]:
        payload = item.payload
        if payload[:1] == b"{":
            if not self._first(b"J" + payload, item.received_at, None):
                return []
            return _keyed([item], _json_vessel(payload))
        sentence = sentence_of(payload)
        stream = self.streams.get(item.key)
        sound, own = sound_time(payload)
        if not sound:
            # A corrupt copy must not take the place of a good one another receiver sends:
            # it passes untouched (ingest refuses it), with the time lines that dated it.
            return [*_take_times(stream), item]
        if is_time_line(sentence):  # it dates the next sentence
            if stream is None:
                stream = self.streams[item.key] = _Stream()
            if not stream.times:
                stream.since = item.received_at
            stream.times.append(item)
            return []
        fields = sentence.split(b",", 6)
        if sentence[:1] != b"!" or len(fields) < 7:
            return [*_take_times(stream), item]  # other lines pass untouched: ingest judges
        count, number, body = fields[1], fields[2], fields[5]
        if not (count.isdigit() and number.isdigit()):
            return [*_take_times(stream), item]
        times = _take_times(stream)
        at = _part_time(own, times)
        if count == b"1":
            if self._first(body, item.received_at, at):
                return _keyed([*times, item], vessel_of(body))
            return []  # a copy: dropped with the time lines that dated it
        if stream is None:
            stream = self.streams[item.key] = _Stream()
        slot = (fields[3], fields[4])
        group = stream.groups.get(slot)
        out: list[Received] = []
        if number == b"1" or group is None or group.count != count:
            if group is not None:  # the slot's message lost a fragment: it passes as it is
                out += stream.groups.pop(slot).held
            if number != b"1":  # continues nothing held: passes as it is
                return [*out, *times, item]
            group = stream.groups[slot] = _Group(count, item.received_at, at)
        elif int(number) != len(group.payloads) + 1:  # a fragment missing between: as they are
            return [*out, *stream.groups.pop(slot).held, *times, item]
        group.held += times
        group.held.append(item)
        group.payloads.append(body)
        if group.at is None:
            group.at = at
        if number == count:
            del stream.groups[slot]
            if self._first(b"|".join(group.payloads), item.received_at, group.at):
                out += _keyed(group.held, vessel_of(group.payloads[0]))
        return out

    def expire(self, now: float) -> list[Received]:
        """Held lines of senders that stopped mid-message, passed on as they are."""
        out: list[Received] = []
        for key, stream in list(self.streams.items()):
            for slot, group in list(stream.groups.items()):
                if now - group.since >= GROUP_WAIT_S:
                    out += stream.groups.pop(slot).held
            if stream.times and now - stream.since >= GROUP_WAIT_S:
                out += _take_times(stream)
            if not stream.times and not stream.groups:
                del self.streams[key]
        return out

    def flush(self) -> list[Received]:
        """Everything held, for a clean stop."""
        out = [line for stream in self.streams.values() for line in _release(stream)]
        self.streams.clear()
        return out

    def forget(self, key: bytes) -> list[Received]:
        """A sender disconnected: what it left held passes on as it is."""
        stream = self.streams.pop(key, None)
        return _release(stream) if stream else []

    def _first(self, key: bytes, received_at: float, at: float | None) -> bool:
        if self.window.first(key, received_at, at):
            return True
        self.duplicates += 1
        return False


def _take_times(stream: _Stream | None) -> list[Received]:
    if stream is None or not stream.times:
        return []
    out, stream.times = stream.times, []
    return out


def _release(stream: _Stream) -> list[Received]:
    """Everything a sender left held, as it is: its multiparts in the order they began."""
    groups = sorted(stream.groups.values(), key=lambda g: g.since)
    stream.groups = {}
    return [line for group in groups for line in group.held] + _take_times(stream)
