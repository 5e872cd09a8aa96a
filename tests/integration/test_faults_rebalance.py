"""Scaling the consumer group mid-stream: 2 -> 3 -> 2 workers while input keeps arriving.

A third worker joins two that are draining a stream, then one of the first two leaves, stopped
cleanly (SIGTERM) or killed (SIGKILL). Partitions move twice under live input; the stream must
still publish exactly the alert ids `detect` finds, no fewer and no others.
`scripts/scale_test_loop.sh N` runs these N times in a row and counts the clean runs.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from bench.harness import Worker, start_worker
from shipwatch.broker.ports import free_port
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import Settings
from tests.fixtures.kafka import alert_id, cli, read_topic, scenario_alert_ids, settle

pytestmark = [pytest.mark.integration, pytest.mark.faults]

# Rows of the scenario replayed before the third worker starts; the rest follows in chunks,
# one after another while the group grows and shrinks, so input is in flight at each rebalance.
FIRST_ROWS = 3000
CHUNKS = 12
READY = "[^Worker]: Ready"


@pytest.fixture
def namespace_settings(namespace_settings: Settings) -> Settings:
    """Three partitions: with three workers each owns one of each topic, so partitions really
    move to the newcomer, and back when one leaves."""
    return namespace_settings.model_copy(update={"partitions": 3})


def scenario_chunks(tmp_path: Path) -> list[Path]:
    """The reference scenario as files, each with the header: the first rows, then CHUNKS
    pieces of the rest (each vessel's rows stay in order across them)."""
    header, *rows = SCENARIO_PATH.read_text().splitlines(keepends=True)
    rest = rows[FIRST_ROWS:]
    size = -(-len(rest) // CHUNKS)
    pieces = [rows[:FIRST_ROWS]] + [rest[i : i + size] for i in range(0, len(rest), size)]
    paths = [tmp_path / f"part-{i:02d}.csv" for i in range(len(pieces))]
    for path, piece in zip(paths, pieces, strict=True):
        path.write_text(header + "".join(piece))
    return paths


def replay(settings: Settings, chunk: Path) -> None:
    done = cli(settings, "replay", "--max", str(chunk))
    assert done.returncode == 0, done.stderr


@pytest.mark.timeout(420)
@pytest.mark.parametrize(
    "leaving",
    [
        # CI runs the kill; `make test-scale` and `make scale-loop` run both.
        pytest.param(signal.SIGTERM, id="stopped", marks=pytest.mark.scale),
        pytest.param(signal.SIGKILL, id="killed"),
    ],
)
def test_two_three_two_workers_mid_stream_publish_exactly_detects_alerts(
    namespace_settings: Settings, worker_factory, tmp_path: Path, leaving: signal.Signals
):
    expected = scenario_alert_ids()
    first, *chunks = scenario_chunks(tmp_path)
    pair = [worker_factory(), worker_factory()]
    replay(namespace_settings, first)
    # The two are draining the stream: alerts are coming out and most of the work is ahead.
    read_topic(namespace_settings, "alerts", wait=60, enough=lambda v: len(v) >= 3)

    # 2 -> 3: keep input coming while the third starts, joins and the group rebalances.
    settings = namespace_settings.model_copy(update={"web_port": free_port()})
    third = start_worker(settings, tmp_path / "worker-third.log")
    workers: list[Worker] = [*pair, third]
    try:
        during_join = 0
        while len(chunks) > CHUNKS // 2 and READY not in third.log.read_text(errors="replace"):
            replay(namespace_settings, chunks.pop(0))
            during_join += 1
        third.wait_ready()
        assert during_join > 0, "the third worker was ready before any more input: not mid-stream"
        replay(namespace_settings, chunks.pop(0))

        # 3 -> 2: one of the first two leaves while input is still arriving.
        leaver = pair[0]
        leaver.stop(leaving)
        for chunk in chunks:
            replay(namespace_settings, chunk)

        alerts = settle(
            namespace_settings, "alerts", at_least=len(expected), quiet=6, wait=180, key=alert_id
        )
        got = Counter(alert_id(v) for v in alerts)
        missing, invented = expected - set(got), set(got) - expected
        logs = "\n".join(w.tail(3000) for w in workers)
        assert not missing and not invented, f"missing {missing}, invented {invented}\n{logs}"
        # At-least-once: a rebalance may repeat an alert, always with the same id.
        assert sum(got.values()) >= len(expected)
        # The newcomer took partitions and did part of the work; the two that stay are up.
        assert third.metrics()["shipwatch_positions_total"] > 0
        assert all(w.process.poll() is None for w in (pair[1], third))
        for w in (pair[1], third):
            assert w.ready() == (True, None), w.tail()
    finally:
        third.stop()
