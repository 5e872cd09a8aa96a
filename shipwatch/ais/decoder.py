"""The one stateful decoder of raw AIS: bytes in, records, rejections or skips out.

`decode`, `detect` and `replay` use one per file, the ingest agent one per raw-topic partition.
NMEA needs state: multi-sentence messages, the time of a preceding `$PGHP` line, the last
known time of a file and the type 24 parts of each vessel. JSON and CSV rows are stateless
and go through `decode_message`. Pure: no I/O, no clock but the times it is given.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyais.exceptions import UnknownMessageException
from pyais.messages import AISSentence

from shipwatch.ais.errors import Rejected
from shipwatch.ais.multipart import Group, Reassembler
from shipwatch.ais.nmea import NMEA_STARTS, Fragment, OtherSentence, TimeLine, parse_line
from shipwatch.ais.nmea_records import HANDLED_TYPES, MIN_BITS, PartMerger, records_of
from shipwatch.ais.outputs import Accepted, Input, Output, Refused, Skipped, Source
from shipwatch.ais.raw_message import decode_message, is_vessel_mmsi

__all__ = ["Accepted", "Input", "Output", "Refused", "Skipped", "Source", "StreamDecoder"]

AIS_TYPES = range(1, 29)  # ITU-R M.1371-6 defines 1..28; other ids are corrupt payloads


@dataclass(frozen=True, slots=True)
class _Part:
    fragment: Fragment
    input: Input
    time: float | None  # from the sentence's tag block or a preceding time line
    fallback: float | None  # receive time, or in a file the last time it gave


class StreamDecoder:
    """Decodes one ordered input (a file, a partition); incomplete multiparts time out."""

    def __init__(self, timeout: float = 60.0, max_open: int = 1000) -> None:
        self._groups: Reassembler[_Part] = Reassembler(timeout, max_open)
        self._merger = PartMerger()
        self._next_time: float | None = None  # from a time line, for the next sentence only
        self._clock: float | None = None  # latest receive or event time, for timeouts
        self.known_time: float | None = None  # the most recent time the input itself gave

    def feed(
        self, payload: bytes, received_at: float | None = None, source: Source | None = None
    ) -> list[Output]:
        """Decode one unit (NMEA line, JSON record, wrapped CSV row); never raises."""
        item = Input(payload, source or {})
        try:
            head = payload.lstrip()[:1]
            out = self._nmea(item, received_at) if head in NMEA_STARTS else [self._plain(item)]
        except Exception as exc:  # a decoder bug must cost one input, never the stream
            detail = "".join(traceback.format_exception_only(exc)).strip()
            out = [Refused(Rejected("internal_error", detail), (item,))]
        now = received_at if received_at is not None else self.known_time
        return out + (self.expire(now) if now is not None else [])

    def expire(self, now: float) -> list[Output]:
        """Reject the multi-sentence messages still incomplete `timeout` s before `now`."""
        self._clock = now if self._clock is None else max(self._clock, now)
        return [self._incomplete(g) for g in self._groups.expire(self._clock)]

    def finish(self) -> list[Output]:
        """Reject every incomplete message: the input has ended."""
        return [self._incomplete(g) for g in self._groups.drain()]

    def _plain(self, item: Input) -> Output:
        nulled: list[str] = []
        try:
            records = decode_message(item.raw, nulled)
        except Rejected as exc:
            return Refused(exc, (item,))
        self.known_time = records[0].ts.timestamp()
        return Accepted(records, (item,), tuple(nulled))

    def _nmea(self, item: Input, received_at: float | None) -> list[Output]:
        try:
            line = parse_line(item.raw)
        except Rejected as exc:
            self._next_time = None  # a time line dates the line after it, even a refused one
            return [Refused(exc, (item,))]
        if isinstance(line, TimeLine):
            self._next_time = self.known_time = line.time
            return []
        if isinstance(line, OtherSentence):
            self._next_time = None
            return [Skipped(line.label, (item,))]
        explicit = line.time if line.time is not None else self._next_time
        self._next_time = None
        if explicit is not None:
            self.known_time = explicit
        fallback = received_at if received_at is not None else self.known_time
        part = _Part(line, item, explicit, fallback)
        sentence = line.sentence
        if sentence.frag_cnt == 1:
            return [self._message([part])]
        slot = (sentence.seq_id, sentence.channel)
        done, abandoned = self._groups.add(
            slot, sentence.frag_cnt, sentence.frag_num, part, fallback
        )
        out = [self._incomplete(g) for g in abandoned]
        return out + ([self._message(done)] if done else [])

    def _message(self, parts: list[_Part]) -> Output:
        inputs = tuple(p.input for p in parts)
        sentences = [p.fragment.sentence for p in parts]
        try:
            data = _decoded(AISSentence.assemble_from_iterable(sentences))
            kind = data["msg_type"]
            if kind not in HANDLED_TYPES:
                return Skipped(f"type_{kind}", inputs)
            mmsi = data.get("mmsi")
            if not isinstance(mmsi, int):
                raise Rejected("bad_payload", f"type {kind} payload too short for an MMSI")
            if not is_vessel_mmsi(mmsi):
                raise Rejected("not_a_vessel", f"MMSI {mmsi} is not a ship station")
            ts = datetime.fromtimestamp(_event_time(parts), UTC)
            nulled: list[str] = []
            records = records_of(data, ts, self._merger, nulled)
        except Rejected as exc:
            return Refused(exc, inputs)
        if not records:
            return Skipped(f"type_{kind}_empty", inputs)
        return Accepted(records, inputs, tuple(nulled))

    def _incomplete(self, group: Group[_Part]) -> Output:
        parts = group.in_order()
        first = parts[0].fragment.sentence
        detail = (
            f"{len(parts)} of {group.count} parts of message {first.seq_id} "
            f"on channel {first.channel!r} arrived"
        )
        return Refused(Rejected("incomplete_multipart", detail), tuple(p.input for p in parts))


def _decoded(sentence: AISSentence) -> dict[str, Any]:
    if not sentence.payload:
        raise Rejected("bad_payload", "empty payload")
    try:
        kind, bits = sentence.ais_id, len(sentence.bv)
    except ValueError as exc:  # pyais builds a negative-length bit vector from some fill bits
        raise Rejected("bad_payload", f"{type(exc).__name__}: {str(exc)[:120]}") from exc
    if kind not in AIS_TYPES:
        raise Rejected("unknown_type", f"AIS message type {kind} does not exist")
    if bits < MIN_BITS.get(kind, 0):
        raise Rejected("bad_payload", f"type {kind} has {bits} bits, needs {MIN_BITS[kind]}")
    try:
        return dict(sentence.decode().asdict(enum_as_int=True))
    except UnknownMessageException as exc:
        raise Rejected("unknown_type", str(exc)[:120]) from exc
    except Exception as exc:  # pyais signals corrupt payloads with many exception types
        raise Rejected("bad_payload", f"{type(exc).__name__}: {str(exc)[:120]}") from exc


def _event_time(parts: list[_Part]) -> float:
    for t in [p.time for p in parts] + [p.fallback for p in parts]:
        if t is not None:
            return t
    raise Rejected("no_time", "no tag block time, timestamp line or receive time before it")
