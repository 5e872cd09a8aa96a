"""`shipwatch feed --record FILE`: what a feed publishes, as a file `replay` and `detect` read.

JSON messages are written one per line, as received (they carry their own time). An NMEA line
without a time of its own is preceded by a tag block alone, `\\s:<source>,c:<receive time>*hh\\`,
which dates exactly the next sentence (as `decode` reads a recording), so that the file gives the
times the stream gave: the stream dates such a line by its Kafka timestamp, the receive time.
A line with its own tag-block time, and a sentence after a `$PGHP` time line, keep theirs. A
multipart message is written whole, once its last fragment came: dated by a time line before its
first fragment only if none of its fragments has a time of its own (the decoder dates a message
by the first time among its parts, and a time line between fragments would move its clock).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

from pyais.util import checksum

from shipwatch.ais.vessel_keys import sentence_of
from shipwatch.feeds.clock import tag_time
from shipwatch.feeds.received import Received

_TAG_VALUE_UNSAFE = re.compile(rb"[,*\\!$\s]")


def time_line(source: str, received_at: float) -> bytes:
    """A tag block alone that dates the next sentence: `\\s:<source>,c:<time>*hh\\`."""
    name = _TAG_VALUE_UNSAFE.sub(b"_", source.encode("ascii", "replace"))[:40]
    # Milliseconds cut, not rounded: the Kafka timestamp the stream dates it by is int(t * 1000).
    millis = int(received_at * 1000)
    body = b"s:" + name + b",c:" + f"{millis // 1000}.{millis % 1000:03d}".encode()
    return b"\\" + body + b"*" + f"{checksum(body):02X}".encode() + b"\\"


def _fragment(line: bytes) -> tuple[bytes, bytes] | None:
    """(count, number) of a multi-sentence AIS line's fragment; None for anything else."""
    sentence = sentence_of(line)
    if sentence[:1] != b"!":
        return None
    fields = sentence.split(b",", 3)
    if len(fields) < 3 or fields[1] in (b"1", b""):
        return None
    return fields[1], fields[2]


def _is_time_line(line: bytes) -> bool:
    if line[:1] == b"\\":
        end = line.find(b"\\", 1)
        return end > 0 and not line[end + 1 :].strip()
    return line[:5] == b"$PGHP"


class Recorder:
    """Appends what is published to a file, flushed after every batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO = path.open("ab")
        self.dated: set[bytes] = set()  # senders whose next sentence a time line already dates
        self.parts: dict[bytes, list[Received]] = {}  # a sender's multipart, until complete

    def write(self, items: list[Received]) -> None:
        """One published batch."""
        out: list[bytes] = []
        for item in items:
            line = item.payload
            if line[:1] in (b"{", b"["):
                out.append(line)
                continue
            fragment = _fragment(line)
            held = self.parts.pop(item.key, [])
            if fragment is not None:
                count, number = fragment
                if number != b"1" and held:
                    held.append(item)
                    if number == count:
                        out += self._message(item.key, held)
                    else:
                        self.parts[item.key] = held
                    continue
                out += self._message(item.key, held)  # an unfinished one, as it came
                self.parts[item.key] = [item]
                continue
            out += self._message(item.key, held)
            if _is_time_line(line):
                self.dated.add(item.key)
            elif item.key in self.dated:
                self.dated.discard(item.key)
            elif tag_time(line) is None:
                out.append(time_line(item.source, item.received_at))
            out.append(line)
        if out:
            self.file.write(b"\n".join(out) + b"\n")
            self.file.flush()

    def _message(self, key: bytes, parts: list[Received]) -> list[bytes]:
        if not parts:
            return []
        lines = [p.payload for p in parts]
        if key in self.dated:
            self.dated.discard(key)
        elif all(tag_time(line) is None for line in lines):
            lines.insert(0, time_line(parts[0].source, parts[0].received_at))
        return lines

    def close(self) -> None:
        """Write what is held and close the file."""
        rest = [line for key, parts in self.parts.items() for line in self._message(key, parts)]
        if rest:
            self.file.write(b"\n".join(rest) + b"\n")
        self.parts.clear()
        self.file.close()
