"""Is a source's clock right? Its tag-block times against our receive times.

A bare TCP feed has no time of its own: the receive time dates its lines. A feed with tag
blocks (`c:`) dates them itself, and a receiver's clock can be hours off (US Coast Guard
receivers were seen 48 h off). The median difference over the last lines is the source's
offset; past the tolerance the source is reported (metric, log line, Prometheus rule).

The line keeps its own time all the same: `detect` on a recording of the feed reads that time,
and the stream must give the same alerts as `detect` on the same input. Fix or drop a source
whose clock is off; its positions are late or early by that much.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

SAMPLES = 101  # lines in the median
_C_FIELD = b"c:"


def tag_time(line: bytes) -> float | None:
    """The `c:` time (Unix seconds, or milliseconds as some receivers write it) of a line's
    tag block; None without one."""
    if line[:1] != b"\\":
        return None
    end = line.find(b"\\", 1)
    if end < 0:
        return None
    block = line[1:end].split(b"*", 1)[0]
    for field in block.split(b","):
        if field.startswith(_C_FIELD):
            try:
                value = float(field[2:])
            except ValueError:
                return None
            if not math.isfinite(value):
                return None  # "nan" and "inf" read as floats: no time, and no clock sample
            return value / 1000 if value > 1e11 else value
    return None


class ClockWatch:
    """The running offset of one source's clock from ours, and whether it is off."""

    def __init__(self, tolerance_s: float) -> None:
        self.tolerance_s = tolerance_s
        self._offsets: deque[float] = deque(maxlen=SAMPLES)
        self.offset: float | None = None
        self.off = False

    def observe(self, line: bytes, received_at: float) -> bool | None:
        """Note one line; the new verdict when it changed (True: off, False: back), else None."""
        own = tag_time(line)
        if own is None:
            return None
        self._offsets.append(own - received_at)
        self.offset = statistics.median(self._offsets)
        off = abs(self.offset) > self.tolerance_s
        if off == self.off:
            return None
        self.off = off
        return off
