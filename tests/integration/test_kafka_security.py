"""Kafka security, proven: a broker that asks for SASL_SSL with SCRAM-SHA-512 (issue 13).

With the right user, password and CA file the worker, `replay` and `alerts` work; a wrong
password or a CA that did not sign the broker's certificate makes each of them fail at once,
exit status 2, with one line saying which."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from bench.harness import REPO, start_worker
from shipwatch.settings import Settings, env_for
from tests.fixtures import wait_until
from tests.fixtures.kafka import fresh_namespace
from tests.fixtures.secure_broker import SecureBroker, secure_broker
from tests.fixtures.timeline import loading_then_delivery

pytestmark = pytest.mark.integration

BOUND_S = 30.0  # a refused login or certificate must fail within this, never retry for ever


COMMANDS = {
    "replay": ("replay", "{story}", "--max"),
    "alerts": ("alerts", "--from-beginning", "--idle-timeout", "5", "--json"),
    "worker": ("worker", "--loglevel", "info"),
}


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """A broker of this module's own with only SASL_SSL (SCRAM-SHA-512) open to clients."""
    with secure_broker(tmp_path_factory.mktemp("secure-broker")) as broker:
        yield broker


@pytest.fixture
def settings(secure: SecureBroker, tmp_path: Path) -> Settings:
    """A namespace of its own on the secure broker; the security settings go in `secure.env`."""
    return fresh_namespace(secure.bootstrap, tmp_path, prefix="s")


def shipwatch(
    settings: Settings, security: dict[str, str], *args: str, timeout: float = 90.0
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `shipwatch ARGS` with these settings and security variables: (result, seconds)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "shipwatch", *args],
        env=env_for(settings) | security,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done, time.monotonic() - started


def story(tmp_path: Path) -> Path:
    """A tanker that loads at Vostochny and delivers to Chongjin, as JSON lines."""
    path = tmp_path / "story.jsonl"
    rows = [orjson.dumps(p.model_dump(mode="json")) + b"\n" for p in loading_then_delivery()]
    path.write_bytes(b"".join(rows))
    return path


def test_the_worker_replay_and_alerts_work_with_the_right_credentials(
    secure: SecureBroker, settings: Settings, tmp_path: Path
) -> None:
    worker = start_worker(settings, tmp_path / "worker.log", extra_env=secure.env())
    try:
        worker.wait_ready(timeout=120)
        replayed, _ = shipwatch(settings, secure.env(), "replay", str(story(tmp_path)), "--max")
        assert replayed.returncode == 0, replayed.stderr
        assert "messages sent" in replayed.stdout

        def kinds() -> set[str]:  # `alerts --from-beginning --idle-timeout 5 --json`
            done, _ = shipwatch(settings, secure.env(), *COMMANDS["alerts"])
            assert done.returncode == 0, done.stderr
            found = {orjson.loads(line)["kind"] for line in done.stdout.splitlines()}
            return found if {"sanctioned_voyage", "watchlist_port_call"} <= found else set()

        wait_until(kinds, timeout=60, what="the tanker's alerts through `alerts` over SASL_SSL")
        assert worker.process.poll() is None, worker.tail()
    finally:
        worker.stop()


def failure_line(settings: Settings, security: dict[str, str], command: str, tmp_path: Path) -> str:
    """Run the command with bad security settings; its one stderr line, after checking that
    it failed with status 2 within the bound."""
    args = [a.format(story=story(tmp_path)) for a in COMMANDS[command]]
    done, took = shipwatch(settings, security, *args, timeout=BOUND_S + 30)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert took < BOUND_S, f"{command} took {took:.1f} s to give up"
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"shipwatch {command}: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_wrong_password_is_one_line_saying_authentication_failed(
    secure: SecureBroker, settings: Settings, command: str, tmp_path: Path
) -> None:
    wrong = "not-" + secure.password
    line = failure_line(settings, secure.env(password=wrong), command, tmp_path)
    assert "SASL authentication failed" in line
    assert repr(secure.username) in line and "SCRAM-SHA-512" in line
    assert "SHIPWATCH_KAFKA_SASL_PASSWORD" in line
    assert wrong not in line and secure.password not in line


@pytest.mark.parametrize("command", COMMANDS)
def test_an_untrusted_certificate_is_one_line_saying_so(
    secure: SecureBroker, settings: Settings, command: str, tmp_path: Path
) -> None:
    line = failure_line(settings, secure.env(ca=secure.other_ca), command, tmp_path)
    assert "certificate of Kafka at" in line and "is not trusted" in line
    assert "certificate verify failed" in line
    assert f"SHIPWATCH_KAFKA_SSL_CAFILE ({secure.other_ca})" in line
