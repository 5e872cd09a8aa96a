"""Changelog records that Faust fetches and then drops are read again, never skipped.

Answers faust-streaming 0.15.3: `Consumer.getmany` (faust/transport/consumer.py) drops fetched
records when the flow stops or the generation changes mid-batch, or when their partition is not
in the active set, and only `perform_seek()` moves partitions back, to their committed offsets.
Changelog partitions have none, so their position stays past the dropped records.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from faust.transport.consumer import Consumer

log = logging.getLogger(__name__)

# Why (faust-streaming 0.15.3): a fetch started before a rebalance can return after it, with
# records of a changelog partition just moved here and already sought by the table recovery.
# Handed to `getmany` while the flow is stopped, they are dropped; aiokafka's position has moved
# past them, and only this worker writes that changelog now, so no record ever comes: the
# recovery waits forever ("No event received for active tp ... since recovery start"). With a
# longer backlog the recovery would finish with a hole in the table instead.
#
# The getmany below is Faust's with one change: it notes the first dropped offset of each
# changelog partition and, before it returns, seeks the partition back there (never past what
# the table has applied). At worst a record is read twice; the recovery skips offsets it has
# applied (faust/tables/recovery.py `_slurp_changelogs`). Dropped stream records are noted for
# `stream_holes.py`, which seeks those partitions back to the next record not handed on.

_PATCHED = "_shipwatch_rewinds_changelogs"


async def getmany(self: Any, timeout: float) -> AsyncIterator[tuple[Any, Any]]:
    """Faust's `Consumer.getmany`, reading dropped changelog records again."""
    records, active_partitions = await self._wait_next_records(timeout)
    generation_id = self.app.consumer_generation_id
    if records is None or self.should_stop:
        return
    dropped: dict[Any, int] = {}  # changelog partition -> its first offset not handed on

    streams = dropped_streams(self)  # for the stream partitions' own rewind (stream_holes.py)

    def drop(tp: Any, record: Any) -> None:
        held = dropped if self._is_changelog_tp(tp) else streams
        if tp not in held:
            held[tp] = record.offset

    records_it = self.scheduler.iterate(records)
    try:
        if self.flow_active:
            for tp, record in records_it:
                if not self.flow_active or self.app.consumer_generation_id != generation_id:
                    drop(tp, record)
                    break
                if (
                    active_partitions is None
                    or tp in active_partitions
                    or tp in self._buffered_partitions
                ):
                    self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                    yield tp, self._to_message(tp, record)
                else:
                    drop(tp, record)
            for tp, record in records_it:  # what the break left
                drop(tp, record)
        else:
            for tp, record in records_it:
                drop(tp, record)
            try:
                await self.perform_seek()
            except Exception as exc:
                self.log.warning("exception performing seek when flow not active %r", exc)
    finally:
        if dropped:
            await rewind(self, dropped)


def dropped_streams(consumer: Any) -> dict[Any, int]:
    """Stream partitions whose fetched records were dropped since last asked: the first dropped
    offset of each (the consumer's own dict, emptied by whoever reads it)."""
    found: dict[Any, int] | None = getattr(consumer, "_shipwatch_dropped_streams", None)
    if found is None:
        found = consumer._shipwatch_dropped_streams = {}
    return found


def read_from(applied: int | None) -> int:
    """Where a changelog partition is read again: just after the last record its table applied
    (None or -1: none yet, so from the start)."""
    return max(0, (applied if applied is not None else -1) + 1)


def rewind_targets(
    dropped: dict[Any, int], assigned: set[Any], applied: dict[Any, int | None]
) -> dict[Any, int]:
    """Where each dropped changelog partition must be read from again: its first dropped
    offset, or just after the last record its table applied if that is earlier."""
    targets = {}
    for tp, first in dropped.items():
        if tp not in assigned:
            continue  # moved away: its next owner's recovery seeks it
        targets[tp] = max(0, min(first, read_from(applied.get(tp))))
    return targets


async def rewind(consumer: Any, dropped: dict[Any, int]) -> None:
    """Seek the dropped changelog partitions back to where they are read again."""
    try:
        recovery = consumer.app.tables.recovery
        targets = rewind_targets(dropped, consumer.assignment(), recovery.active_offsets)
        if targets:
            log.info("reading dropped changelog records again from %r", targets)
            await consumer.seek_wait(targets)
    except Exception as exc:  # a rebalance took them away: the next recovery seeks anyway
        log.warning("could not seek dropped changelog records back: %r", exc)


def rewind_dropped_changelog_records() -> None:
    """Make Faust's consumer read dropped changelog records again; idempotent."""
    consumer_class: Any = Consumer
    if not getattr(consumer_class.getmany, _PATCHED, False):
        setattr(getmany, _PATCHED, True)
        consumer_class.getmany = getmany
