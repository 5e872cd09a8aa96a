"""Lines out of a byte stream: split on CR or LF across reads and datagrams.

A connection that is cut leaves a partial line: `reset` discards it, so it is never glued to
the first line of the next connection. A line longer than `max_line` is cut to `max_line + 1`
bytes and sent on (ingest dead-letters it as too large), and the rest of it is skipped.
"""

from __future__ import annotations

import re

MAX_LINE_BYTES = 4096  # an NMEA line with a tag block is under 200 bytes; ingest refuses 1,024+
_COMPLETE_SENTENCE = re.compile(rb"^(\\[^\\]*\\)?[!$][^*]*\*[0-9A-Fa-f]{2}$")
_TAG_BLOCK = re.compile(rb"^\\[^\\]*\\$")  # a tag block alone, closed


class LineFramer:
    """Turns the bytes of one sender into its lines, in order."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self.max_line = max_line
        self._partial = b""
        self._skipping = False  # inside the rest of an over-long line
        self.too_long = 0  # lines cut, for the source's counter
        self.discarded = 0  # partial lines dropped by `reset`

    def feed(self, data: bytes) -> list[bytes]:
        """The complete lines `data` finishes (empty lines left out)."""
        if not data:
            return []
        buffer = self._partial + data if self._partial else data
        parts = buffer.replace(b"\r", b"\n").split(b"\n")
        rest = parts.pop()
        lines: list[bytes] = []
        for part in parts:
            if self._skipping:
                self._skipping = False  # the over-long line ends here
                continue
            if not part:
                continue
            if len(part) > self.max_line:
                self.too_long += 1
                part = part[: self.max_line + 1]
            lines.append(part)
        if len(rest) > self.max_line:
            if not self._skipping:
                self.too_long += 1
                lines.append(rest[: self.max_line + 1])
            self._skipping, rest = True, b""
        self._partial = rest
        return lines

    def complete_sentence(self) -> list[bytes]:
        """The pending partial, if it is already a whole NMEA sentence (a datagram that ended
        without a line ending); else nothing, and it waits for the rest."""
        if self._partial and not self._skipping and _COMPLETE_SENTENCE.match(self._partial):
            line, self._partial = self._partial, b""
            return [line]
        return []

    def cut_at_new_sentence(self, data: bytes) -> list[bytes]:
        """Before a datagram that begins a sentence or a tag block: the pending partial, sent on
        as it is (ingest refuses it) unless it is a whole tag block whose sentence this is. A
        datagram the sender truncated must not swallow the good sentence after it."""
        partial, head = self._partial, data[:1]
        if not partial or self._skipping or head not in (b"!", b"$", b"\\"):
            return []
        if head == b"\\" and partial[:1] == b"\\" and partial.count(b"\\") == 1:
            return []  # the tag block's closing backslash
        if head != b"\\" and _TAG_BLOCK.match(partial):
            return []  # a tag block, then its sentence in the next datagram
        self._partial = b""
        return [partial]

    def reset(self) -> None:
        """The sender is gone: forget its partial line."""
        if self._partial and not self._skipping:  # (the rest of a line sent on as too long)
            self.discarded += 1
        self._partial, self._skipping = b"", False
