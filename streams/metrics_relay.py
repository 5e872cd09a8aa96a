"""Metrics counted in a child process, added into the worker's own so /metrics shows one total.

The ingest process (`shipwatch ingest`, started by the worker) counts in its own registry. Every
second it writes a snapshot of its counters and histograms as one JSON line on its standard
output (`snapshot_line`); the worker adds what changed since that process's last line to the very
metric objects it exports (`Relay.apply`). Prometheus sees one series per name and labels, as with
the ingest loop inside the worker, and a restarted child's counts go on from the total so far.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from prometheus_client import Counter, Histogram

from shipwatch import metrics

log = logging.getLogger(__name__)

# What the ingest loop counts (streams/bindings/ingest.py); nothing else reaches it.
RELAYED: tuple[Counter | Histogram, ...] = (
    metrics.REJECTED,
    metrics.INVALID_FIELDS,
    metrics.STAGE_MESSAGES,
    metrics.STAGE_RECORDS,
    metrics.STAGE_SECONDS,
)
# (kind, metric name, labels): a counter's value, or a histogram's per-bucket counts and sum.
Key = tuple[str, str, tuple[tuple[str, str], ...]]


def snapshot(relayed: Sequence[Counter | Histogram] = RELAYED) -> list[list[Any]]:
    """This process's values of the relayed metrics: `["counter", name, labels, value]` and
    `["histogram", name, labels, [count per bucket], sum]`, the buckets in ascending order."""
    out: list[list[Any]] = []
    for metric in relayed:
        for family in metric.collect():
            if family.type == "counter":
                for s in family.samples:
                    if s.name.endswith("_total") and s.value:
                        out.append(["counter", family.name, s.labels, s.value])
                continue
            buckets: dict[tuple[tuple[str, str], ...], list[float]] = {}
            sums: dict[tuple[tuple[str, str], ...], float] = {}
            for s in family.samples:  # cumulative buckets, in ascending order of `le`
                labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                if s.name.endswith("_bucket"):
                    buckets.setdefault(labels, []).append(s.value)
                elif s.name.endswith("_sum"):
                    sums[labels] = s.value
            for labels, cumulative in buckets.items():
                if not cumulative[-1]:
                    continue  # nothing observed
                counts = [b - a for a, b in zip([0.0, *cumulative[:-1]], cumulative, strict=True)]
                out.append(["histogram", family.name, dict(labels), counts, sums.get(labels, 0.0)])
    return out


def snapshot_line(relayed: Sequence[Counter | Histogram] = RELAYED) -> bytes:
    """One line for the worker: this process's id (a new id is a new process) and its values."""
    return orjson.dumps({"source": os.getpid(), "samples": snapshot(relayed)}) + b"\n"


class Relay:
    """The worker's side: adds each child's increments to the metrics the worker exports."""

    def __init__(self, relayed: Iterable[Counter | Histogram] = RELAYED) -> None:
        # prometheus_client names a counter without its `_total`, as its families are named.
        self.metrics = {m._name: m for m in relayed}
        self.source: object = None
        self.last: dict[Key, list[float]] = {}

    def apply_line(self, line: bytes) -> None:
        """Apply one line a child wrote; a line that is not a snapshot is logged and skipped."""
        try:
            found = orjson.loads(line)
            self.apply(found["source"], found["samples"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.warning("metrics relay: not a snapshot (%r): %r", exc, line[:200])

    def apply(self, source: object, samples: Sequence[Sequence[Any]]) -> None:
        """Add what changed since this source's last snapshot (a new source starts from 0)."""
        if source != self.source:
            self.source, self.last = source, {}
        for kind, name, labels, *values in samples:
            metric = self.metrics.get(name)
            if metric is None:
                continue
            key: Key = (kind, name, tuple(sorted(labels.items())))
            now = [float(v) for v in (values[0] if kind == "histogram" else values)]
            if kind == "histogram":
                if len(now) != len(getattr(metric, "_upper_bounds", ())):
                    continue  # buckets that are not ours: never guess
                now.append(float(values[1]))
            before = self.last.get(key, [0.0] * len(now))
            if len(before) != len(now):
                continue
            self.last[key] = now
            deltas = [b - a for a, b in zip(before, now, strict=True)]
            if any(d < 0 for d in deltas) or not any(deltas):
                continue
            child: Any = metric.labels(**labels) if labels else metric
            if kind == "counter":
                child.inc(deltas[0])
            else:
                _add_to_histogram(child, deltas[:-1], deltas[-1])


def _add_to_histogram(child: Any, counts: list[float], total: float) -> None:
    # prometheus_client has no public way to add observations by bucket: its per-bucket values
    # and sum are what `observe` changes (pinned version; tests/unit/streams/test_metrics_relay.py).
    for bucket, count in zip(child._buckets, counts, strict=True):
        if count:
            bucket.inc(count)
    child._sum.inc(total)
