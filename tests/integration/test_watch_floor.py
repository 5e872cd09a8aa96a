"""The watch floor on a real worker: the webhook sink, its dead letters, `shipwatch alerts`."""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from bench.harness import Worker, start_worker
from shipwatch.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.fixtures.kafka import cli, settle
from tests.fixtures.waiting import wait_until_in_process

pytestmark = pytest.mark.integration

ALERT = {
    "alert_id": "sanctioned_voyage-445123456-0123456789abcdef",
    "kind": "sanctioned_voyage",
    "severity": "critical",
    "mmsi": 445123456,
    "at": "2024-03-08T03:10:00Z",
    "title": "Voyage vostochny → chongjin completed",
    "port": "chongjin",
    "route": "vostochny-chongjin",
    "evidence": {"origin": "vostochny", "destination": "chongjin", "transit_h": 17.5},
}


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that answers 503 to its first `failures` requests."""

    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures = failures
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook/secret-token"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.bodies.append(body)
            status = 503 if len(self.server.bodies) <= self.server.failures else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    """A receiver that recovers after two failures and one that never does."""
    flaky, broken = Receiver(failures=2), Receiver(failures=10**6)
    threads = [threading.Thread(target=r.serve_forever, daemon=True) for r in (flaky, broken)]
    for thread in threads:
        thread.start()
    yield flaky, broken
    for receiver in (flaky, broken):
        receiver.shutdown()
        receiver.server_close()


def wait_for_log(worker: Worker, text: str, timeout: float = 60.0) -> None:
    wait_until_in_process(
        lambda: text in worker.log.read_text(errors="replace"),
        worker.process,
        worker.log,
        timeout,
        f"{text!r} in the worker log",
        0.2,
    )


async def publish(settings: Settings, *alerts: dict[str, object]) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for alert in alerts:
            await producer.send_and_wait(
                settings.topic("alerts"), orjson.dumps(alert), key=str(alert["mmsi"]).encode()
            )
    finally:
        await producer.stop()


def webhook_counts(settings: Settings) -> dict[str, float]:
    url = f"http://127.0.0.1:{settings.web_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    family = next(
        f for f in text_string_to_metric_families(text) if f.name == "shipwatch_webhook_deliveries"
    )
    return {s.labels["result"]: s.value for s in family.samples if s.name.endswith("_total")}


def test_the_webhook_retries_delivers_and_dead_letters_what_never_gets_through(
    namespace_settings: Settings, receivers: tuple[Receiver, Receiver], tmp_path: Path
) -> None:
    flaky, broken = receivers
    worker = start_worker(
        namespace_settings,
        tmp_path / "worker.log",
        extra_env={
            "SHIPWATCH_WEBHOOK_URLS": f"{flaky.url},{broken.url}",
            "SHIPWATCH_WEBHOOK_MAX_ATTEMPTS": "3",
            "SHIPWATCH_WEBHOOK_BACKOFF_S": "0.2",
        },
    )
    try:
        worker.wait_ready()
        wait_for_log(worker, "webhook sink: assigned")
        asyncio.run(publish(namespace_settings, ALERT))
        dead = settle(namespace_settings, "dead-letters", at_least=1, quiet=2.0, wait=30)
        ((letter),) = [orjson.loads(v) for v in dead]
        assert letter["reason"] == "webhook_failed"
        assert orjson.loads(letter["raw"]) == ALERT
        assert "HTTP 503 after 3 attempts" in letter["detail"]
        assert "secret-token" not in letter["detail"]
        assert [orjson.loads(b) for b in flaky.bodies] == [ALERT] * 3  # 2 failures, then 204
        assert len(broken.bodies) == 3
        assert webhook_counts(namespace_settings) == {"delivered": 1.0, "dead_lettered": 1.0}
    finally:
        worker.stop()


def test_alerts_for_people_are_one_readable_block_each(namespace_settings: Settings) -> None:
    evil = ALERT | {"alert_id": "x-1", "title": "Evil\x1b]0;pwned\x07 title", "severity": "info"}
    asyncio.run(publish(namespace_settings, ALERT, evil, ALERT))  # ALERT repeated: shown once
    printed = cli(namespace_settings, "alerts", "--from-beginning", "--idle-timeout", "3")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0].startswith("2024-03-08 03:10:00 UTC  CRITICAL  Voyage vostochny → chongjin")
    assert "sanctioned_voyage · MMSI 445123456 (North Korea) · route vostochny-chongjin" in lines[1]
    assert "transit_h=17.5" in lines[2]
    assert sum("CRITICAL" in line for line in lines) == 1
    assert "\x1b" not in printed.stdout and "\x07" not in printed.stdout  # not a TTY: no colour
    assert any(line.startswith("2024-03-08 03:10:00 UTC  INFO") for line in lines)


def test_with_faust_metrics_off_the_page_still_serves_every_shipwatch_metric(
    namespace_settings: Settings, tmp_path: Path
) -> None:
    worker = start_worker(
        namespace_settings, tmp_path / "worker.log", extra_env={"SHIPWATCH_FAUST_METRICS": "false"}
    )
    try:
        worker.wait_ready()
        url = f"http://127.0.0.1:{namespace_settings.web_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            names = {f.name for f in text_string_to_metric_families(reply.read().decode())}
        contract = {
            "shipwatch_positions",
            "shipwatch_rejected",
            "shipwatch_geofence_events",
            "shipwatch_vessels_in_fence",
            "shipwatch_alerts",
            "shipwatch_event_lag_seconds",
            "shipwatch_estimated_barrels",
        }
        assert contract <= names
        assert {"shipwatch_stage_messages", "shipwatch_stage_seconds"} <= names  # the dashboard's
        assert not any(name.startswith("faust_") for name in names)
    finally:
        worker.stop()
