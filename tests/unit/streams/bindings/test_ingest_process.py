"""The worker's side of the ingest process: metrics relayed, an exit reported, a stop that ends it.

The child here is a small Python script in place of `shipwatch ingest` (the real one needs a
broker: tests/integration/test_ingest_on_kafka.py runs it with the worker): it writes snapshot
lines as the real one does, and then exits, or waits for SIGTERM, or ignores it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from streams.bindings import ingest_process
from streams.bindings.ingest_process import IngestExited, IngestProcess
from streams.metrics_relay import Relay

CHILD = """
import signal, sys, time
import orjson

def line(n):
    sample = ["counter", "t_rejected", {{"reason": "bad_nmea"}}, n]
    sys.stdout.buffer.write(orjson.dumps({{"source": 7, "samples": [sample]}}) + b"\\n")
    sys.stdout.buffer.flush()

def on_term(*_):
    line(5)  # its last counts, on the way out
    sys.exit(0)

signal.signal(signal.SIGTERM, {on_term})
open({ready!r}, "w").close()
line(2)
{then}
"""


class Scripted(IngestProcess):
    """An IngestProcess whose child is a script, relaying into a registry of the test's own."""

    def __init__(self, tmp_path: Path, then: str, on_term: str = "on_term") -> None:
        super().__init__()
        self.script = tmp_path / "child.py"
        self.ready = tmp_path / "ready"
        self.script.write_text(CHILD.format(ready=str(self.ready), then=then, on_term=on_term))
        self.registry = CollectorRegistry()
        self.rejected = Counter("t_rejected", "", ["reason"], registry=self.registry)
        self.relay = Relay([self.rejected])

    def command(self) -> list[str]:
        return [sys.executable, str(self.script)]

    def count(self) -> float:
        return self.rejected.labels(reason="bad_nmea")._value.get()


async def started(p: Scripted) -> asyncio.Task[None]:
    task = asyncio.create_task(p.run())
    for _ in range(200):
        if p.ready.exists() and p.count() == 2:
            return task
        await asyncio.sleep(0.05)
    raise AssertionError("the child never wrote its first counts")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_child_that_exits_by_itself_is_reported_for_its_supervisor(tmp_path: Path) -> None:
    p = Scripted(tmp_path, then="sys.exit(3)")
    with pytest.raises(IngestExited, match="exited with 3"):
        asyncio.run(asyncio.wait_for(p.run(), 30))
    assert p.count() == 2
    assert p.child is None


def stop_while_running(p: Scripted) -> subprocess.Popen[bytes]:
    """Start `run`, wait for the child's first counts, cancel it (the worker stopping)."""

    async def scenario() -> subprocess.Popen[bytes]:
        task = await started(p)
        child = p.child
        assert child is not None
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return child

    return asyncio.run(scenario())


def test_stopping_the_worker_stops_the_child_and_takes_its_last_counts(tmp_path: Path) -> None:
    child = stop_while_running(Scripted(tmp_path, then="time.sleep(60)"))
    assert child.returncode == 0  # it ended on SIGTERM, cleanly
    assert gone(child.pid)


def test_the_last_counts_are_taken_on_the_way_out(tmp_path: Path) -> None:
    p = Scripted(tmp_path, then="time.sleep(60)")
    stop_while_running(p)
    assert p.count() == 5


def test_a_child_that_ignores_sigterm_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_process, "STOP_WAIT_S", 0.5)
    child = stop_while_running(Scripted(tmp_path, then="time.sleep(60)", on_term="signal.SIG_IGN"))
    assert child.returncode == -9
    assert gone(child.pid)


def test_the_child_is_told_to_die_with_this_process() -> None:
    command = IngestProcess("info").command()
    assert command[:4] == [sys.executable, "-m", "shipwatch", "ingest"]
    assert command[command.index("--parent") + 1] == str(os.getpid())
    assert "--relay-metrics" in command


def test_a_child_down_or_exiting_again_and_again_is_trouble_for_readyz(tmp_path: Path) -> None:
    p = Scripted(tmp_path, then="sys.exit(3)")
    assert p.trouble() is None  # never exited
    with pytest.raises(IngestExited):
        asyncio.run(asyncio.wait_for(p.run(), 30))
    at = p.exits[-1][0]
    # Down until its supervisor starts the next one.
    assert p.trouble(at + 4) == "ingest process down: exited with 3 4 s ago, restarting"
    p.start()  # the supervisor's restart: one exit alone is no longer trouble
    try:
        assert p.trouble(at + 11) is None
        p.exits.append((at + 40, 1))  # a second exit, 40 s later, and the next child at 50 s
        p.started_at = at + 50
        said = p.trouble(at + 60)
        assert said is not None and said.startswith("ingest process restarting again and again")
        assert "2 exits in 60 s, the last with 1" in said
        # The child running for a minute is steady again, though both exits are in the window.
        assert p.trouble(at + 50 + ingest_process.STEADY_S) is None
        # Two exits further apart than the window are not a loop.
        p.started_at = at + ingest_process.CRASH_LOOP_WINDOW_S
        assert p.trouble(at + ingest_process.CRASH_LOOP_WINDOW_S + 1) is None
    finally:
        assert p.child is not None and p.child.stdout is not None
        p.child.kill()
        p.child.wait()
        p.child.stdout.close()
