"""A real Prometheus server scrapes a running worker; PromQL and the alert rules see the story."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.harness import Worker
from shipwatch.feeds.metrics import REGISTRY as FEED_REGISTRY
from shipwatch.settings import Settings
from tests.fixtures.deploy import dashboard_exprs, metric_names, rule_exprs
from tests.fixtures.detect import expected_alerts
from tests.fixtures.kafka import cli
from tests.fixtures.prometheus import JOB, Prometheus, debian_binary, start_prometheus
from tests.fixtures.timeline import loading_then_delivery

pytestmark = pytest.mark.integration


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Callable[[int], Prometheus]]:
    """Start Prometheus scraping 127.0.0.1:<port> every second, with shipwatch's rules."""
    debian_binary("prometheus", "prometheus")  # a missing binary skips before the worker starts
    started: list[Prometheus] = []

    def start(target_port: int) -> Prometheus:
        server = start_prometheus(tmp_path, target_port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def exported_families(settings: Settings) -> set[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/metrics") as reply:
        return {f.name for f in text_string_to_metric_families(reply.read().decode())}


def family_of(series: str, families: set[str]) -> str | None:
    """The metric family a series name belongs to, if the worker exports it."""
    for suffix in ("", "_total", "_bucket", "_sum", "_count", "_created"):
        if series.endswith(suffix) and series.removesuffix(suffix) in families:
            return series.removesuffix(suffix)
    return None


def test_prometheus_scrapes_the_worker_and_the_rules_fire(
    namespace_settings: Settings,
    worker_factory: Callable[[], Worker],
    prometheus_for: Callable[[int], Prometheus],
    tmp_path: Path,
) -> None:
    story = loading_then_delivery()
    source = tmp_path / "story.jsonl"
    source.write_bytes(b"".join(orjson.dumps(p.model_dump(mode="json")) + b"\n" for p in story))
    alerts = expected_alerts(source)
    assert alerts[("sanctioned_voyage", "critical")] == 1
    worker_factory()
    prom = prometheus_for(namespace_settings.web_port)
    up = f'up{{job="{JOB}"}}'
    # The zero before the story matters: increase() needs it to see the first critical alert.
    prom.wait_for("a first scrape", lambda: list(prom.query(up).values()) == [1.0])
    assert prom.query("sum(shipwatch_alerts_total)") == {(): 0.0}

    replayed = cli(namespace_settings, "replay", str(source), "--max")
    assert replayed.returncode == 0, replayed.stderr
    prom.wait_for(
        "every position",
        lambda: prom.query("sum(shipwatch_positions_total)") == {(): float(len(story))},
    )
    by_kind = "sum by (kind, severity) (shipwatch_alerts_total) > 0"
    prom.wait_for("the alerts", lambda: sum(prom.query(by_kind).values()) == sum(alerts.values()))
    got = {(dict(k)["kind"], dict(k)["severity"]): v for k, v in prom.query(by_kind).items()}
    assert got == {key: float(n) for key, n in alerts.items()}
    entered = prom.query('sum by (fence) (shipwatch_geofence_events_total{kind="enter"})')
    assert entered == {(("fence", "chongjin"),): 1.0, (("fence", "vostochny"),): 1.0}

    def critical_alert_firing() -> bool:
        firing = [a for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]
        return any(a["labels"]["alertname"] == "ShipwatchCriticalAlert" for a in firing)

    prom.wait_for("ShipwatchCriticalAlert firing", critical_alert_firing, timeout=30)
    firing = {a["labels"]["alertname"]: a["labels"] for a in prom.api("alerts")["alerts"]}
    assert firing["ShipwatchCriticalAlert"]["kind"] == "sanctioned_voyage"
    assert "ShipwatchWorkerDown" not in firing
    rules = {r["name"]: r for g in prom.api("rules")["groups"] for r in g["rules"]}
    assert all(r["health"] == "ok" for r in rules.values()), rules

    # Everything the dashboard and the rules query is on this worker's /metrics, but for the
    # feed's series: `shipwatch feed` serves those on its own port (shipwatch.feeds.metrics).
    families = exported_families(namespace_settings) | {"up"}
    feed_families = {family.name for family in FEED_REGISTRY.collect()}
    queried = {n for expr in dashboard_exprs() + rule_exprs() for n in metric_names(expr)}
    missing = {
        name
        for name in queried
        if family_of(name, families) is None and family_of(name, feed_families) is None
    }
    assert not missing, f"queried but not exported: {sorted(missing)}"
