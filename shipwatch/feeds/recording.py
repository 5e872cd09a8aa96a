"""`shipwatch feed --record FILE`: what a feed publishes, as a file `replay` and `detect` read.

JSON messages are written one per line, as received (they carry their own time). An NMEA line
without a time of its own is preceded by a tag block alone, `\\s:<source>,c:<receive time>*hh\\`,
which dates exactly the next sentence (as `decode` reads a recording), so that the file gives the
times the stream gave: the stream dates such a line by its Kafka timestamp, the receive time.
A line with its own tag-block time, and a sentence after a `$PGHP` time line, keep theirs.
"""

from __future__ import annotations

import re
from functools import reduce
from pathlib import Path
from typing import BinaryIO

from shipwatch.feeds.clock import tag_time
from shipwatch.feeds.received import Received

_TAG_VALUE_UNSAFE = re.compile(rb"[,*\\!$\s]")


def _checksum(body: bytes) -> str:
    return f"{reduce(lambda a, b: a ^ b, body, 0):02X}"


def time_line(source: str, received_at: float) -> bytes:
    """A tag block alone that dates the next sentence: `\\s:<source>,c:<time>*hh\\`."""
    name = _TAG_VALUE_UNSAFE.sub(b"_", source.encode("ascii", "replace"))[:40]
    body = b"s:" + name + b",c:" + f"{received_at:.3f}".encode()
    return b"\\" + body + b"*" + _checksum(body).encode() + b"\\"


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

    def write(self, items: list[Received]) -> None:
        """One published batch."""
        out: list[bytes] = []
        for item in items:
            line = item.payload
            if line[:1] in (b"{", b"["):
                out.append(line)
                continue
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

    def close(self) -> None:
        """Close the file."""
        self.file.close()
