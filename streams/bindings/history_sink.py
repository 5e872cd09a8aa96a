"""The history sink: every partition of the history topics into a SQLite store.

It runs in every worker (`SHIPWATCH_HISTORY_SINK=worker`), or in `shipwatch history` processes
of their own (`separate`, shipwatch/cli/history.py), which take its thread and its fetches off
the workers. Each keeps a whole copy, so that any worker's (or history process's) vessel pages
show every vessel: it reads all partitions with no consumer group, and stores the offsets it
reached in the same transaction as the rows, so a restart resumes exactly there. The topics are
light: positions come thinned by ingest (`history`), the rest are statics, events and alerts.
SQLite runs in one thread of its own, which the pages' reads share, so the event loop never
waits on a disk.

Polls are gathered into one transaction until `FLUSH_ROWS` rows or `FLUSH_S` seconds: the fixes'
table is keyed by vessel and time, so each row lands on its vessel's own page of the B-tree, and
a transaction writes every page it touched to the log. A transaction of a poll's few hundred rows
cost 15 µs a row; one of 20,000 rows, 4 µs (bench: 3,000 vessels). The offsets still go in with
the rows they cover. A page's read writes what is gathered first (`ready`), so a vessel on the
live map has its page at once; otherwise the store trails what was fetched by at most `FLUSH_S`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from shipwatch import metrics
from shipwatch.history.records import Batch
from shipwatch.history.store import DAY_S, HistoryStore
from shipwatch.settings import Settings
from streams.kafka.config import client_options
from streams.kafka.topics import ensure_topics

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_RECORDS = 5000  # messages per poll
FLUSH_ROWS = 20_000  # rows gathered over polls before a transaction writes them...
FLUSH_S = 2.0  # ...or seconds since the first of them was fetched, whichever comes first
PRUNE_EVERY_S = 600.0  # wall clock between retention passes
Messages = dict[TopicPartition, list[Any]]


def store_path(settings: Settings) -> Path:
    """Where this worker's history database lives."""
    return settings.data_dir / settings.namespace / "history.sqlite3"


class HistorySink:
    """The store, its thread, and the loop that fills it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = store_path(settings)
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="history")
        self.store: HistoryStore | None = None
        self.opened = asyncio.Event()
        self.taken = {t: metrics.HISTORY_RECORDS.labels(topic=t) for t in metrics.HISTORY_TOPICS}
        # Rows parsed and not yet written, since `since` (monotonic); one writer at a time.
        self.pending, self.since = Batch(), 0.0
        self.writing = asyncio.Lock()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store method in the store's thread."""
        return await asyncio.get_running_loop().run_in_executor(self.thread, fn, *args)

    def _open(self) -> HistoryStore:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return HistoryStore(self.path, self.settings.history_retention_days * DAY_S)

    async def close(self) -> None:
        """Close the store (after `run` has stopped) and its thread."""
        if self.store is not None:
            store, self.store = self.store, None
            self.opened.clear()
            await self.call(store.close)
        self.thread.shutdown(wait=True)

    async def ready(self) -> HistoryStore:
        """The store, once open, with every row fetched so far written (a page reads next)."""
        await self.opened.wait()
        assert self.store is not None
        await self.write_pending(self.store)
        return self.store

    async def write_pending(self, store: HistoryStore) -> None:
        """Write the gathered rows and the offsets they reach in one transaction, if any.

        The store's one thread runs jobs in order, so a parse submitted before this write has
        filled the batch by the time the write runs."""
        async with self.writing:
            if not self.pending.offsets:
                return
            batch, self.pending = self.pending, Batch()
            await self._write(store, batch)

    async def run(self) -> None:
        """Follow the topics into the store, forever."""
        if self.store is None:
            self.store = await self.call(self._open)
            self.opened.set()
        store = self.store
        prefix = len(self.settings.namespace) + 1
        consumer = AIOKafkaConsumer(
            **client_options(self.settings), enable_auto_commit=False, fetch_max_wait_ms=200
        )
        try:
            await consumer.start()
            counts = await ensure_topics(self.settings)
            names = [self.settings.topic(t) for t in metrics.HISTORY_TOPICS]
            tps = [TopicPartition(n, p) for n in names for p in range(counts[n])]
            consumer.assign(tps)
            stored = await self.call(store.offsets)
            for tp in tps:
                offset = stored.get((tp.topic[prefix:], tp.partition))
                if offset is None:
                    await consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, offset)
            pruned = time.monotonic()
            behind: dict[TopicPartition, int] = {}
            self.pending = Batch()
            try:
                while True:
                    polled = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
                    if polled:
                        if not self.pending.offsets:
                            self.since = time.monotonic()
                        await self.call(self._parse, self.pending, polled, prefix)
                        for tp, messages in polled.items():
                            end = consumer.highwater(tp)
                            behind[tp] = max(0, end - messages[-1].offset - 1) if end else 0
                        metrics.HISTORY_LAG.set(sum(behind.values()))
                    pending = self.pending
                    if pending.offsets and (
                        pending.rows() >= FLUSH_ROWS or time.monotonic() - self.since >= FLUSH_S
                    ):
                        await self.write_pending(store)
                    if time.monotonic() - pruned >= PRUNE_EVERY_S:
                        pruned = time.monotonic()
                        deleted = await self.call(store.prune)
                        log.info("history: %d rows past the retention deleted", deleted)
            finally:
                try:  # stopping: store what was read, rather than read it again
                    await self.write_pending(store)
                except Exception:  # the stored offsets still say where to resume
                    log.exception("history: the last rows read were not stored")
        finally:
            await consumer.stop()

    async def _write(self, store: HistoryStore, batch: Batch) -> None:
        """Write the gathered rows and the offsets they reach in one transaction."""
        started = time.perf_counter()
        await self.call(store.write, batch)
        metrics.HISTORY_WRITE_SECONDS.observe(time.perf_counter() - started)

    def _parse(self, batch: Batch, polled: Messages, prefix: int) -> None:
        # Parsed in the store's thread: the event loop only hands the bytes over.
        skipped = batch.skipped
        for tp, messages in polled.items():
            topic = tp.topic[prefix:]
            for message in messages:
                batch.add(topic, message.value)
            batch.offsets[(topic, tp.partition)] = messages[-1].offset + 1
            self.taken[topic].inc(len(messages))
        if batch.skipped > skipped:
            log.warning(
                "history: %d values were not records of their topic", batch.skipped - skipped
            )
