"""A stream partition is handed on without holes: a record past the next expected offset makes the
partition read again from that offset, so an offset is never committed unread.

Answers faust-streaming 0.15.3: when a message's offset jumps past the last one read, Faust's
fetch loop (`Consumer._drain_messages`) records the offsets between as a gap, and its commit
(`Consumer._new_offset`) counts a gap as acknowledged. Gaps are meant for compacted and
transactional topics; but `getmany` also drops fetched records when the flow stops, the
generation changes mid-batch or their partition is not active at that moment, and only a seek
to the committed offsets brings them back. Whenever the consumer's position had moved past
dropped records and no such seek followed, Faust read on after them, called them a gap and
committed past records no agent ever saw. And a partition never committed is left where the
fetch had got to, not read from its start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from faust.transport.consumer import Consumer, ensure_TP
from faust.types import TP

from streams.faust_patches.changelog_rewind import dropped_streams

log = logging.getLogger(__name__)

# Why: a broker outage long enough to crash the worker, then a restart, came back with three
# days of two vessels' positions unseen and 8 of 35 alerts missing (tests/integration/
# test_faults_broker.py, once on CI). Our stream topics are neither compacted nor transactional,
# so their offsets have no gaps: a jump is records that were fetched and dropped.
#
# The patch keeps, per stream partition, the next offset to hand on: set by every seek (Faust's
# `seek` and `perform_seek`), moved on by every record handed on. A record past it is held back
# with the rest of its partition's batch, and the partition is sought back to it. A seek and a
# `perform_seek` run one at a time, so a rewind never lands after the seek to the committed
# offsets that follows a rebalance. A partition whose log really has a gap there (compacted, or
# written in transactions) is rewound a few times, then read on as Faust would.

_PATCHED = "_shipwatch_no_stream_holes"
GetMany = Callable[[Any, float], AsyncIterator[tuple[Any, Any]]]


REWINDS_BEFORE_GAP = 3  # a hole still there after this many rewinds is a gap in the log
START_WAIT_S = 30.0  # for the start offsets of partitions never committed, at each assignment


class Expected:
    """The next offset of each stream partition to hand on, and the lock its seeks share."""

    def __init__(self) -> None:
        self.next: dict[Any, int] = {}
        # partition -> (offset it was last sought back to, how many times in a row)
        self.rewound: dict[Any, tuple[int, int]] = {}
        self.seeking = asyncio.Lock()
        self.checks: dict[Any, bool] = {}  # partition -> whether it is checked, once each

    def hole(self, tp: Any, offset: int) -> bool:
        """Whether a record at `offset` comes after records not handed on (and moves on if not)."""
        want = self.next.get(tp)
        if want is not None and offset > want:
            at, times = self.rewound.get(tp, (None, 0))
            if at != want or times < REWINDS_BEFORE_GAP:
                return True
            log.warning("%s: offsets %d-%d are not in the log; read on", tp, want, offset - 1)
        if want is None or offset >= want:
            self.next[tp] = offset + 1
            self.rewound.pop(tp, None)
        return False

    def rewinding(self, tp: Any, offset: int, dropped: bool) -> None:
        """Note a seek back to `offset`; after a known drop, a hole is no sign of a gap."""
        at, times = self.rewound.get(tp, (None, 0))
        self.rewound[tp] = (offset, 0 if dropped else (times + 1 if at == offset else 1))

    def sought(self, tp: Any, offset: int | None) -> None:
        """The partition was sought to `offset` (None: to a position not known here)."""
        if offset is None or offset < 0:
            self.next.pop(tp, None)
        else:
            self.next[tp] = offset


def expected_of(consumer: Any) -> Expected:
    """The consumer's expected offsets, made on first use."""
    found: Expected | None = getattr(consumer, "_shipwatch_expected", None)
    if found is None:
        found = consumer._shipwatch_expected = Expected()
    return found


def _checked(consumer: Any, tp: Any) -> bool:
    """Whether the partition is a stream one whose offsets are committed (asked once each)."""
    checks = expected_of(consumer).checks
    found = checks.get(tp)
    if found is None:
        # Changelogs are compacted and read by the recovery (see changelog_rewind.py); a topic
        # without acknowledgements commits nothing, so it has no gap to commit past.
        found = checks[tp] = not consumer._is_changelog_tp(tp) and bool(
            consumer.app.topics.acks_enabled_for(tp.topic)
        )
    return found


def without_holes(getmany: GetMany) -> GetMany:
    """Faust's `getmany` (or a patched one), holding back records after a hole."""

    async def checked(self: Any, timeout: float) -> AsyncIterator[tuple[Any, Any]]:
        expected = expected_of(self)
        holed: dict[Any, int] = {}  # partition -> an offset the fetch passed unhanded
        async for tp, message in getmany(self, timeout):
            if tp in holed:
                continue
            if _checked(self, tp) and expected.hole(tp, message.offset):
                holed[tp] = message.offset
                continue
            yield tp, message
        # Records the fetch dropped: their partitions are read again from the next record not
        # handed on, now, rather than when a later record shows the hole.
        drops = dropped_streams(self)
        for tp, first in drops.items():
            if _checked(self, tp):
                holed[tp] = min(first, holed.get(tp, first))
        if holed:
            await rewind(self, holed, set(drops))
        drops.clear()

    setattr(checked, _PATCHED, True)
    checked.__name__ = getattr(getmany, "__name__", "getmany")
    return checked


async def rewind(consumer: Any, holed: dict[Any, int], dropped: set[Any]) -> None:
    """Seek each partition back to its next expected offset, if it is still ours and that is
    not after `holed[tp]`, an offset the fetch position has passed unhanded."""
    expected = expected_of(consumer)
    async with expected.seeking:
        assigned = consumer.assignment()
        for tp, seen in holed.items():
            want = expected.next.get(tp)  # read again under the lock: a seek may have moved it
            if tp not in assigned or want is None or want > seen:
                continue
            log.warning("%s: records from %d on were not handed on: reading them again", tp, want)
            expected.rewinding(tp, want, tp in dropped)
            try:
                await consumer.seek(tp, want)
            except Exception as exc:  # a rebalance took it: its next owner seeks it anyway
                log.warning("could not seek %s back to %d: %r", tp, want, exc)


_seek = Consumer.seek


async def seek(self: Any, partition: TP, offset: int) -> None:
    """Faust's `Consumer.seek`, noting where the partition reads from next."""
    await _seek(self, partition, offset)
    expected_of(self).sought(partition, offset)


async def perform_seek(self: Any) -> None:
    """Faust's `Consumer.perform_seek`, one seek at a time, noting where each partition reads;
    a stream partition nothing was ever committed for is read from its start (changelogs are
    the recovery's to seek)."""
    expected = expected_of(self)
    async with expected.seeking:
        committed = await self.seek_to_committed()
        self._read_offset.update(
            {tp: o if o is not None and o >= 0 else None for tp, o in committed.items()}
        )
        self._committed_offset.update(
            {ensure_TP(tp): o or None for tp, o in committed.items() if o is not None}
        )
        never = []
        for tp, offset in committed.items():
            if offset is not None and offset >= 0:
                expected.sought(ensure_TP(tp), offset)
            elif _checked(self, ensure_TP(tp)):
                never.append(ensure_TP(tp))
        if never:
            await _from_the_start(self, never)


async def _from_the_start(consumer: Any, tps: list[Any]) -> None:
    # Why: aiokafka's seek to the committed offsets leaves a partition without one where it
    # is, and records fetched there before the rebalance or the recovery ended (then cleared
    # from the agents' queues by Faust's flow control) are past its position: a worker
    # restarted before its first commit went on after a partition's first records, and 2 of 35
    # alerts were never made. The worker's reset policy is `earliest`, so this is where a
    # partition without a commit is read from anyway.
    try:
        starts = await asyncio.wait_for(consumer.earliest_offsets(*tps), START_WAIT_S)
    except Exception as exc:  # unknown here: the first record handed on will tell
        log.warning("no start offsets for %s: %r", tps, exc)
        starts = {}
    for tp in tps:
        start = starts.get(tp)
        if start is None or start < 0:
            expected_of(consumer).sought(tp, None)
        else:
            await seek(consumer, tp, start)


def no_stream_holes() -> None:
    """Make Faust's consumer hand on every stream record or read it again; idempotent."""
    consumer_class: Any = Consumer
    if not getattr(consumer_class.getmany, _PATCHED, False):
        consumer_class.getmany = without_holes(consumer_class.getmany)
        consumer_class.seek = seek
        consumer_class.perform_seek = perform_seek
