"""One NMEA 0183 line: its tag block, its checksum, and what kind of sentence it is.

pyais parses; this module decides what each line means to us and turns every failure into a
bounded rejection reason, because pyais raises many kinds of errors on corrupt input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from typing import TypeVar

from pyais.messages import AISSentence, GatehouseSentence, NMEASentenceFactory, TagBlock
from pyais.util import checksum

from shipwatch.ais.errors import Rejected
from shipwatch.ais.records import LATEST_T

NMEA_STARTS = (b"!", b"\\", b"$")
MAX_LINE_BYTES = 1024  # a sentence is at most 82 characters; tag blocks add a few dozen
LATEST_TIME = LATEST_T  # 2100-01-01: a receiver time past this is garbled
_CHECKSUM = re.compile(rb"[0-9A-Fa-f]{2}")
_SENTENCE_TYPE = re.compile(rb"[A-Z0-9]{2}[A-Z]{3}")
_S = TypeVar("_S", AISSentence, GatehouseSentence)


@dataclass(frozen=True, slots=True)
class Fragment:
    """An AIS sentence (one part of a message, or all of it) and its tag block time."""

    sentence: AISSentence
    time: float | None


@dataclass(frozen=True, slots=True)
class TimeLine:
    """A line that only says what time it is (a `$PGHP` line, a tag block alone)."""

    time: float


@dataclass(frozen=True, slots=True)
class OtherSentence:
    """A well-formed sentence that carries no AIS message (`proprietary`, `nmea_GGA`, ...)."""

    label: str


Line = Fragment | TimeLine | OtherSentence


def _tag_block_time(block: bytes) -> float | None:
    tag = TagBlock(block)
    tag.init()
    if not tag.is_valid:
        raise Rejected("bad_checksum", f"tag block checksum: {block[:60]!r}")
    stamp = tag.receiver_timestamp
    if stamp is None:
        return None
    try:
        t = float(stamp)
    except ValueError as exc:
        raise Rejected("bad_time", f"tag block c:{stamp[:20]!r} is not a Unix time") from exc
    if t > 1e11:  # some receivers write milliseconds
        t /= 1000.0
    return _in_range(t, f"tag block c:{stamp[:20]!r}")


def _verify_checksum(sentence: bytes) -> None:
    star = sentence.rfind(b"*")
    if star < 0 or not _CHECKSUM.fullmatch(sentence[star + 1 :]):
        raise Rejected("bad_checksum", f"no *hh checksum at the end: {sentence[-12:]!r}")
    expected, actual = int(sentence[star + 1 :], 16), checksum(sentence[1:star])
    if expected != actual:
        raise Rejected("bad_checksum", f"checksum {expected:02X}, computed {actual:02X}")


def _produce(sentence: bytes, kind: type[_S]) -> _S:
    try:
        produced = NMEASentenceFactory.produce(sentence)
    except Exception as exc:  # pyais signals corrupt input with many exception types
        raise Rejected("bad_nmea", f"{type(exc).__name__}: {str(exc)[:120]}") from exc
    if not isinstance(produced, kind):
        raise Rejected("bad_nmea", f"not a {kind.__name__}: {sentence[:40]!r}")
    return produced


def _in_range(t: float, what: str) -> float:
    if not 0 <= t < LATEST_TIME:
        raise Rejected("bad_time", f"{what} is out of range")
    return t


def _split_tag_block(line: bytes) -> tuple[float | None, bytes]:
    """The tag block's time (None without one) and the sentence after it."""
    if line[:1] != b"\\":
        return None, line
    end = line.find(b"\\", 1)
    if end < 0:
        raise Rejected("bad_nmea", "tag block is not closed")
    return _tag_block_time(line[1:end]), line[end + 1 :]


def sound_time(raw: bytes) -> tuple[bool, float | None]:
    """Whether the line's checksums hold and its tag block's time reads (what `parse_line`
    checks before it looks at the message: a copy that fails cannot stand for a message), and
    that time (None without one).

    Runs for every line a feed receives, so the tag block is read here by hand (pyais builds a
    `TagBlock` in about 3 µs); tested against `parse_line`'s own reading."""
    line = raw.strip()
    if not line.isascii():
        return False, None
    tag_time = None
    if line[:1] == b"\\":
        end = line.find(b"\\", 1)
        if end < 0:
            return False, None
        readable, tag_time = _tag_block_reads(line[1:end])
        line = line[end + 1 :]
        if not readable:
            return False, None
        if not line:
            return tag_time is not None, tag_time  # a time line
    try:
        _verify_checksum(line)
    except Rejected:
        return False, None
    return True, tag_time


def _tag_block_reads(block: bytes) -> tuple[bool, float | None]:
    # (False, None) when its checksum fails or its `c:` does not read (as `_tag_block_time`
    # says); else (True, its time or None).
    payload, star, check = block.partition(b"*")
    if not star or b"*" in check:
        return False, None
    try:
        expected = int(check, 16)
    except ValueError:
        return False, None
    if checksum(payload) != expected:
        return False, None
    stamp = None
    for field in payload.split(b","):
        spec, colon, value = field.partition(b":")
        if colon and spec == b"c":
            stamp = value  # the last one, as pyais reads them
    if stamp is None:
        return True, None
    try:
        t = float(stamp)
    except ValueError:
        return False, None
    if t > 1e11:
        t /= 1000.0
    return (True, t) if 0 <= t < LATEST_TIME else (False, None)


def parse_line(raw: bytes) -> Line:
    """Classify one NMEA line; raises Rejected (`bad_nmea`, `bad_checksum`, `bad_time`, ...)."""
    line = raw.strip()
    if len(line) > MAX_LINE_BYTES:
        raise Rejected("too_large", f"{len(line)} bytes for one NMEA line")
    if not line.isascii():
        raise Rejected("bad_nmea", "non-ASCII bytes")
    tag_time, line = _split_tag_block(line)
    if not line and tag_time is not None:
        return TimeLine(tag_time)
    if line[:1] not in (b"!", b"$"):
        raise Rejected("bad_nmea", f"not an NMEA sentence: {line[:40]!r}")
    _verify_checksum(line)
    address = line[1:].split(b",", 1)[0].upper()
    if line[:1] == b"!" and len(address) == 5 and address[2:] in (b"VDM", b"VDO"):
        return Fragment(_produce(line, AISSentence), tag_time)
    if line[:1] == b"$" and address == b"PGHP":
        stamp = _produce(line, GatehouseSentence).timestamp.replace(tzinfo=UTC)
        return TimeLine(_in_range(stamp.timestamp(), f"$PGHP time {stamp.isoformat()}"))
    if line[:2] == b"$P":
        return OtherSentence("proprietary")
    if _SENTENCE_TYPE.fullmatch(address):
        return OtherSentence(f"nmea_{address[2:].decode()}")
    raise Rejected("bad_nmea", f"unknown sentence {address[:12]!r}")
