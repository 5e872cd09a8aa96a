"""The ingest process's counts summed into the worker's metrics: once each, across restarts."""

from __future__ import annotations

import inspect
import logging
import re

import orjson
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shipwatch import metrics
from streams import metrics_relay
from streams.bindings import ingest
from streams.metrics_relay import Relay, snapshot_line

BUCKETS = (0.01, 0.1, 1.0)


def metric_set() -> tuple[CollectorRegistry, Counter, Histogram]:
    """A registry like the worker's (or the child's) with one labelled counter and histogram."""
    registry = CollectorRegistry()
    rejected = Counter("t_rejected", "rejected", ["reason"], registry=registry)
    seconds = Histogram("t_seconds", "seconds", ["stage"], buckets=BUCKETS, registry=registry)
    return registry, rejected, seconds


def values(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the registry's exposition, as Prometheus would read it."""
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_the_childs_counts_are_added_to_the_workers_own_once() -> None:
    parent, p_rejected, p_seconds = metric_set()
    _, c_rejected, c_seconds = metric_set()
    relay = Relay([p_rejected, p_seconds])
    p_rejected.labels(reason="bad_nmea").inc(2)  # counted by the worker itself
    p_seconds.labels(stage="track").observe(0.05)

    c_rejected.labels(reason="bad_nmea").inc(3)
    c_rejected.labels(reason="bad_csv").inc()
    for took in (0.005, 0.05, 0.5, 5.0):
        c_seconds.labels(stage="ingest").observe(took)
    relay.apply_line(snapshot_line([c_rejected, c_seconds]))
    relay.apply_line(snapshot_line([c_rejected, c_seconds]))  # nothing new: nothing added

    got = values(parent)
    assert got[("t_rejected_total", (("reason", "bad_nmea"),))] == 5
    assert got[("t_rejected_total", (("reason", "bad_csv"),))] == 1
    ingest = (("le", "0.01"), ("stage", "ingest"))
    assert got[("t_seconds_bucket", ingest)] == 1
    assert got[("t_seconds_bucket", (("le", "0.1"), ("stage", "ingest")))] == 2
    assert got[("t_seconds_bucket", (("le", "1.0"), ("stage", "ingest")))] == 3
    assert got[("t_seconds_bucket", (("le", "+Inf"), ("stage", "ingest")))] == 4
    assert got[("t_seconds_count", (("stage", "ingest"),))] == 4
    assert got[("t_seconds_sum", (("stage", "ingest"),))] == pytest.approx(5.555)
    assert got[("t_seconds_count", (("stage", "track"),))] == 1  # the worker's own, untouched


def test_later_snapshots_add_only_what_changed() -> None:
    parent, p_rejected, p_seconds = metric_set()
    _, c_rejected, c_seconds = metric_set()
    relay = Relay([p_rejected, p_seconds])
    c_rejected.labels(reason="bad_nmea").inc(3)
    relay.apply_line(snapshot_line([c_rejected, c_seconds]))
    c_rejected.labels(reason="bad_nmea").inc(4)
    c_seconds.labels(stage="ingest").observe(0.2)
    relay.apply_line(snapshot_line([c_rejected, c_seconds]))
    got = values(parent)
    assert got[("t_rejected_total", (("reason", "bad_nmea"),))] == 7
    assert got[("t_seconds_count", (("stage", "ingest"),))] == 1


def test_a_restarted_child_goes_on_from_the_total_so_far() -> None:
    parent, p_rejected, p_seconds = metric_set()
    relay = Relay([p_rejected, p_seconds])
    _, first, _ = metric_set()
    first.labels(reason="bad_nmea").inc(10)
    relay.apply(111, orjson.loads(snapshot_line([first]))["samples"])
    _, second, _ = metric_set()  # a new process counts from zero again
    second.labels(reason="bad_nmea").inc(2)
    relay.apply(222, orjson.loads(snapshot_line([second]))["samples"])
    assert values(parent)[("t_rejected_total", (("reason", "bad_nmea"),))] == 12


def test_a_line_that_is_not_a_snapshot_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    parent, p_rejected, p_seconds = metric_set()
    relay = Relay([p_rejected, p_seconds])
    before = values(parent)
    with caplog.at_level(logging.WARNING):
        relay.apply_line(b"Traceback (most recent call last):\n")
        relay.apply_line(b'{"source": 1}\n')
    unknown = [["counter", "t_other", {}, 5.0], ["histogram", "t_seconds", {"stage": "x"}, [1], 1]]
    relay.apply(1, unknown)  # a metric it does not relay; buckets that are not its own
    assert values(parent) == before
    assert "not a snapshot" in caplog.text


def test_the_worker_relays_every_metric_the_ingest_loop_counts() -> None:
    # The ingest loop names each metric it counts as `metrics.NAME`; a new one must be relayed,
    # or it would vanish from /metrics with ingest in its own process.
    source = inspect.getsource(ingest)
    named = {getattr(metrics, name) for name in re.findall(r"metrics\.([A-Z_]+)", source)}
    assert named and named <= set(metrics_relay.RELAYED)
