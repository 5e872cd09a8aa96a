"""A critical shipwatch alert reaches people: worker → Prometheus → a real Alertmanager → webhook.

Debian's `prometheus-alertmanager` runs the repository's deploy/alertmanager/alertmanager.yml
with three test-only changes: its e-mail relay and webhook URL point at this machine (a closed
port, and a local receiver), and group_wait is 1 s instead of 10-30 s. The routes, grouping,
receivers and inhibitions are the project's own.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from bench.harness import Worker
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings
from tests.fixtures.deploy import ALERTMANAGER
from tests.fixtures.detect import expected_alerts
from tests.fixtures.kafka import cli
from tests.fixtures.prometheus import JOB, debian_binary, start_prometheus
from tests.fixtures.timeline import loading_then_delivery
from tests.fixtures.waiting import wait_until_in_process

pytestmark = pytest.mark.integration


@dataclass
class Hook:
    """A local HTTP receiver for Alertmanager's webhook: keeps every JSON body it is sent."""

    server: ThreadingHTTPServer
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/alertmanager"


def start_hook() -> Hook:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what arrived instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Hook(server, received)


class Alertmanager:
    """A `prometheus-alertmanager` process on 127.0.0.1 with its v2 API."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        url = f"http://127.0.0.1:{self.port}{path}?{query}"
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.load(reply)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                return True
        except OSError:
            return False

    def alerts(self, alertname: str) -> list[dict[str, Any]]:
        """GET /api/v2/alerts of one alertname."""
        found: list[dict[str, Any]] = self.get("/api/v2/alerts", filter=f'alertname="{alertname}"')
        return found

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll `check` until it holds, failing at once if Alertmanager exits."""
        wait_until_in_process(check, self.process, self.log, timeout, f"Alertmanager: {what}", 0.3)


def local_config(hook_url: str) -> dict[str, Any]:
    """The project's Alertmanager config, its outlets pointed at this machine."""
    config: dict[str, Any] = yaml.safe_load(ALERTMANAGER.read_text(encoding="utf-8"))
    config["global"]["smtp_smarthost"] = f"127.0.0.1:{free_port()}"  # nothing listens there
    config["global"]["smtp_require_tls"] = False
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs") or []:
            webhook["url"] = hook_url

    def quick(route: dict[str, Any]) -> None:
        if "group_wait" in route:
            route["group_wait"] = "1s"
        for child in route.get("routes") or []:
            quick(child)

    quick(config["route"])
    return config


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[Alertmanager, Hook]]:
    """Debian's Alertmanager with the project's routes, and the local webhook receiver."""
    binary = debian_binary("prometheus-alertmanager", "prometheus-alertmanager")
    hook = start_hook()
    config_file = tmp_path / "alertmanager.yml"
    config_file.write_text(yaml.safe_dump(local_config(hook.url)))
    port, log = free_port(), tmp_path / "alertmanager.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.path={tmp_path / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",  # no gossip port: a single instance
                "--log.level=warn",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Alertmanager(process, port, log)
    try:
        server.wait_for("ready", server.ready)
        yield server, hook
    finally:
        process.terminate()
        process.wait(30)
        hook.server.shutdown()
        hook.server.server_close()


def test_a_critical_alert_reaches_the_watch_floor(
    namespace_settings: Settings,
    worker_factory: Callable[[], Worker],
    alertmanager: tuple[Alertmanager, Hook],
    tmp_path: Path,
) -> None:
    manager, hook = alertmanager
    story = loading_then_delivery()
    source = tmp_path / "story.jsonl"
    source.write_bytes(b"".join(orjson.dumps(p.model_dump(mode="json")) + b"\n" for p in story))
    assert expected_alerts(source)[("sanctioned_voyage", "critical")] == 1
    worker_factory()
    prom = start_prometheus(tmp_path, namespace_settings.web_port, alertmanager_port=manager.port)
    try:
        # The zero before the story: increase() needs it to see the first critical alert.
        up = f'up{{job="{JOB}"}}'
        prom.wait_for("a first scrape", lambda: list(prom.query(up).values()) == [1.0])
        assert prom.query("sum(shipwatch_alerts_total)") == {(): 0.0}
        prom.wait_for(
            "the Alertmanager",
            lambda: bool(prom.api("alertmanagers")["activeAlertmanagers"]),
            timeout=15,
        )

        replayed = cli(namespace_settings, "replay", str(source), "--max")
        assert replayed.returncode == 0, replayed.stderr

        # In Alertmanager, routed by the project's config to the watch floor.
        manager.wait_for(
            "ShipwatchCriticalAlert", lambda: bool(manager.alerts("ShipwatchCriticalAlert"))
        )
        (alert,) = manager.alerts("ShipwatchCriticalAlert")
        assert alert["labels"]["kind"] == "sanctioned_voyage"
        assert alert["labels"]["severity"] == "critical"
        assert [r["name"] for r in alert["receivers"]] == ["watch-floor"]
        assert alert["status"]["state"] == "active"
        annotations = alert["annotations"]
        assert annotations["runbook_url"] == "docs/runbooks/ShipwatchCriticalAlert.md"
        assert annotations["summary"] == "shipwatch raised a critical sanctioned_voyage alert"
        assert not manager.alerts("ShipwatchWorkerDown")

        # And notified: the watch floor's webhook got it, grouped by alertname and kind.
        def notified() -> bool:
            return any(n.get("receiver") == "watch-floor" for n in hook.received)

        manager.wait_for("the webhook notification", notified)
        (note,) = [n for n in hook.received if n["receiver"] == "watch-floor"]
        assert note["status"] == "firing"
        assert note["groupLabels"] == {
            "alertname": "ShipwatchCriticalAlert",
            "kind": "sanctioned_voyage",
        }
        (sent,) = note["alerts"]
        assert sent["labels"]["alertname"] == "ShipwatchCriticalAlert"
        assert sent["annotations"]["runbook_url"] == "docs/runbooks/ShipwatchCriticalAlert.md"
        # Nothing else fired: a healthy worker pages no operator.
        firing = {a["labels"]["alertname"] for a in manager.get("/api/v2/alerts")}
        assert firing == {"ShipwatchCriticalAlert"}
    finally:
        prom.stop()
