"""Running a real `Feed` in a test: small settings, a publish that keeps what it is given, the
feed's metrics read by source name, and a clean stop that must come within a few seconds."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from shipwatch.feeds.metrics import REGISTRY
from shipwatch.feeds.received import Received
from shipwatch.feeds.runner import Feed, Summary
from shipwatch.feeds.sources import parse_sources
from shipwatch.settings import Settings

STOP_WITHIN_S = 5.0
_names = itertools.count()


def unique(prefix: str) -> str:
    """A source name no other test uses (the metrics are process-global)."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def feed_settings(**overrides: Any) -> Settings:
    """Settings for a quick test: short backoff, no metrics server, no .env or environment."""
    values: dict[str, Any] = {
        "feed_metrics_port": 0,
        "feed_backoff_cap_s": 0.5,
        "feed_quiet_s": 30.0,
        "feed_buffer_max": 1000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def sample(name: str, **labels: str) -> float:
    """A sample of the feed's registry; 0 when it does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def reconnects(source: str) -> float:
    return sample("shipwatch_feed_reconnects_total", source=source)


def connected(source: str) -> float:
    return sample("shipwatch_feed_connected", source=source)


def cut(source: str) -> float:
    return sample("shipwatch_feed_dropped_total", source=source, reason="cut")


def heard(source: str) -> float:
    return sample("shipwatch_feed_messages_total", source=source)


def duplicates(source: str | None = None) -> float:
    """Duplicates dropped: of one source's copies, or of every source's."""
    if source is not None:
        return sample("shipwatch_duplicate_positions_total", source=source)
    return sum(
        s.value
        for family in REGISTRY.collect()
        for s in family.samples
        if s.name == "shipwatch_duplicate_positions_total"
    )


class Published:
    """The publish function: keeps every batch, in order."""

    def __init__(self) -> None:
        self.batches: list[list[Received]] = []

    async def __call__(self, items: Sequence[Received]) -> None:
        self.batches.append(list(items))

    @property
    def items(self) -> list[Received]:
        return [item for batch in self.batches for item in batch]

    @property
    def payloads(self) -> list[bytes]:
        return [item.payload for item in self.items]

    def __len__(self) -> int:
        return sum(map(len, self.batches))


class RunningFeed:
    """`async with RunningFeed({url: name}, settings) as running:` runs `Feed` in a task;
    leaving stops it and checks that it stopped in time and without an error."""

    def __init__(
        self,
        sources: dict[str, str],
        settings: Settings | None = None,
        record: Path | None = None,
        **overrides: Any,
    ) -> None:
        names = {url: name for url, name in sources.items()}
        self.settings = settings or feed_settings(feed_names=names, **overrides)
        self.specs = parse_sources(list(sources), self.settings.feed_names)
        self.record = record
        self.published = Published()
        self.stop = asyncio.Event()
        self.feed: Feed | None = None
        self.task: asyncio.Task[Summary] | None = None
        self.summary: Summary | None = None

    @property
    def connections(self) -> list[Any]:
        assert self.feed is not None
        return self.feed.connections

    async def __aenter__(self) -> RunningFeed:
        self.feed = Feed(self.specs, self.settings, self.published, self.record)
        self.task = asyncio.create_task(self.feed.run(self.stop))
        return self

    async def stopped(self, within_s: float = STOP_WITHIN_S) -> Summary:
        """Set stop; the feed must drain and return within `within_s`."""
        assert self.task is not None
        self.stop.set()
        done, _ = await asyncio.wait([self.task], timeout=within_s)
        if not done:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            raise AssertionError(f"the feed did not stop within {within_s} s of stop")
        self.summary = self.task.result()
        return self.summary

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.task is not None
        if self.task.done():
            if exc is None:
                self.task.result()  # raises what the feed raised
            return
        if exc is None:
            await self.stopped()
        else:  # the test failed already: stop without hiding its error
            self.stop.set()
            try:
                await asyncio.wait_for(self.task, STOP_WITHIN_S)
            except BaseException:  # the test's own error is the one to see
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
