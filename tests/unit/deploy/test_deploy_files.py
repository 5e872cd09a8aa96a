"""The Docker deployment files parse and agree with the project (no Docker engine needed)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shipwatch.feeds.metrics import REGISTRY as FEED_REGISTRY
from shipwatch.metrics import REGISTRY, init_series
from shipwatch.pipeline.setup import build_core
from shipwatch.settings import BUNDLED_GEOFENCES, Settings
from streams.monitoring import FAUST_PREFIX
from tests.fixtures.deploy import (
    ALERTMANAGER,
    COMPOSE,
    DASHBOARD,
    DOCKERFILE,
    GRAFANA_DATASOURCE,
    GRAFANA_PROVIDER,
    PROMETHEUS,
    PYPROJECT,
    ROOT,
    RULE_TESTS,
    RULES,
    RUNBOOKS,
    all_panels,
    dashboard_exprs,
    load_yaml,
    metric_names,
    rule_exprs,
)

WEB_PORT = 6066

# The metric series names of the contract (CONTRACT.md, "Metrics"). The histogram
# shipwatch_event_lag_seconds is only queryable through its _bucket/_sum/_count series.
CONTRACT_METRICS = frozenset(
    {
        "shipwatch_positions_total",
        "shipwatch_rejected_total",
        "shipwatch_geofence_events_total",
        "shipwatch_vessels_in_fence",
        "shipwatch_alerts_total",
        "shipwatch_event_lag_seconds_bucket",
        "shipwatch_event_lag_seconds_sum",
        "shipwatch_event_lag_seconds_count",
        "shipwatch_estimated_barrels_total",
    }
)

# Environment names Faust itself reads (its settings' env_name, and FAUST_*/F_* such as
# F_DATADIR). The app passes env={} so its settings come only from SHIPWATCH_*: a deployment
# setting these would silently do nothing.
FAUST_ENV_NAMES = frozenset(
    {
        "BROKER_URL",
        "BROKER_CREDENTIALS",
        "APP_STORE",
        "APP_DATADIR",
        "WEB_PORT",
        "WEB_BIND",
        "WEB_HOST",
        "TOPIC_PARTITIONS",
        "TOPIC_REPLICATION_FACTOR",
        "PROCESSING_GUARANTEE",
        "CONSUMER_AUTO_OFFSET_RESET",
        "TABLE_STANDBY_REPLICAS",
    }
)
FAUST_ENV_PREFIXES = ("FAUST_", "F_")

SERVICES = {"kafka", "worker", "prometheus", "alertmanager", "grafana", "demo", "feed"}
PROFILED = {"demo": "demo", "feed": "feed"}  # services that start only when asked for


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(COMPOSE)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


def _interpolated(value: str) -> str:
    """A compose value with `${VAR:-default}` / `${VAR}` as Compose gives it with VAR unset."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def _environment(service: dict[str, Any]) -> dict[str, str | None]:
    """A service's environment, whether written as a mapping or as a list of NAME=value."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {str(k): None if v is None else _interpolated(str(v)) for k, v in env.items()}
    result: dict[str, str | None] = {}
    for item in env:
        name, sep, value = str(item).partition("=")
        result[name] = _interpolated(value) if sep else None
    return result


def _published_host_port(entry: Any) -> str | None:
    """The fixed host port of a `ports:` entry, or None when Docker picks one."""
    if isinstance(entry, dict):
        published = entry.get("published")
        return None if published in (None, "") else str(published)
    text = str(entry).split("/", 1)[0]  # drop /tcp, /udp
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return None  # "6066": container port only
    host = parts[-2]
    return host or None  # "127.0.0.1::6066" leaves the host port to Docker


def _bind_sources(service: dict[str, Any]) -> list[str]:
    """Host paths of the bind mounts of a service (named volumes are not host paths)."""
    sources = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                sources.append(str(volume["source"]))
            continue
        source = str(volume).split(":", 1)[0]
        if source.startswith((".", "/", "~")):
            sources.append(source)
    return sources


def _named_volumes(service: dict[str, Any]) -> list[str]:
    names = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "volume" and volume.get("source"):
                names.append(str(volume["source"]))
            continue
        source, sep, _ = str(volume).partition(":")
        if sep and not source.startswith((".", "/", "~")):
            names.append(source)
    return names


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, args = pending.strip().partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def _exec_form(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    """The JSON (exec form) arguments of the last KEYWORD instruction."""
    matches = [args for kw, args in instructions if kw == keyword]
    assert matches, f"no {keyword} in the Dockerfile"
    value = json.loads(matches[-1])
    assert isinstance(value, list)
    return [str(v) for v in value]


def _dockerfile_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in instructions:
        if keyword != "ENV":
            continue
        for token in shlex.split(args):
            name, sep, value = token.partition("=")
            assert sep, f"use ENV NAME=value: {args!r}"
            env[name] = value
    return env


# ---------------------------------------------------------------- compose


def test_compose_has_the_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= SERVICES


def test_demo_and_feed_run_only_in_their_profiles(services: dict[str, dict[str, Any]]) -> None:
    for name, profile in PROFILED.items():
        assert services[name].get("profiles") == [profile], name
    for name in SERVICES - set(PROFILED):
        assert not services[name].get("profiles"), f"{name} must start without a profile"


def test_demo_replays_once_against_the_broker(services: dict[str, dict[str, Any]]) -> None:
    demo = services["demo"]
    command = demo["command"]
    argv = command if isinstance(command, list) else shlex.split(command)
    assert argv[0] == "replay"
    assert "--max" in argv
    assert str(demo.get("restart", "no")) == "no"
    assert _environment(demo)["SHIPWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert "worker" in demo["depends_on"]


def test_worker_is_scalable(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert "container_name" not in worker, "a fixed name prevents --scale worker=N"
    assert worker.get("build") == "."
    fixed = [p for p in worker.get("ports") or [] if _published_host_port(p) is not None]
    assert not fixed, f"fixed host ports prevent --scale worker=N: {fixed}"
    container_ports = {str(p).split("/")[0].rsplit(":", 1)[-1] for p in worker.get("ports", [])}
    assert str(WEB_PORT) in container_ports


def test_worker_waits_for_a_healthy_broker(services: dict[str, dict[str, Any]]) -> None:
    depends = services["worker"]["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert services["worker"].get("restart") == "unless-stopped"


def test_the_feed_publishes_a_source_and_serves_its_metrics(
    services: dict[str, dict[str, Any]],
) -> None:
    feed = services["feed"]
    command = feed["command"]
    argv = command if isinstance(command, list) else shlex.split(command)
    assert argv[0] == "feed" and len(argv) >= 2
    env = _environment(feed)
    assert env["SHIPWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SHIPWATCH_FEED_METRICS_HOST"] == "0.0.0.0"  # Prometheus scrapes it from outside
    assert str(Settings().feed_metrics_port) in {str(p) for p in feed["ports"]}
    assert feed["depends_on"]["kafka"]["condition"] == "service_healthy"
    prometheus = load_yaml(ROOT / "deploy" / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    [discovery] = jobs["shipwatch-feed"]["dns_sd_configs"]
    assert discovery["names"] == ["feed"] and discovery["port"] == Settings().feed_metrics_port


@pytest.mark.parametrize("name", ["worker", "demo", "feed"])
def test_shipwatch_services_use_only_shipwatch_settings(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = _environment(services[name])
    assert env, f"{name} has no environment"
    for variable in env:
        assert variable not in FAUST_ENV_NAMES, f"{variable} is Faust's own, the app ignores it"
        assert not variable.startswith(FAUST_ENV_PREFIXES), f"{variable} is Faust's own"
        assert variable.startswith("SHIPWATCH_"), f"{variable} is not a shipwatch setting"
        field = variable.removeprefix("SHIPWATCH_").lower()
        assert field in Settings.model_fields, f"{variable} is not a field of Settings"


def test_worker_settings(services: dict[str, dict[str, Any]]) -> None:
    env = _environment(services["worker"])
    assert env["SHIPWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SHIPWATCH_NAMESPACE"] == "shipwatch"
    assert env["SHIPWATCH_WEB_PORT"] == str(WEB_PORT)
    assert env["SHIPWATCH_WEB_HOST"] == "0.0.0.0"
    # Every value must be valid for Settings (e.g. a port in range, a namespace pattern).
    Settings(**{k.removeprefix("SHIPWATCH_").lower(): v for k, v in env.items()})


def test_kafka_is_the_official_image_in_kraft_mode(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert str(kafka["image"]).split(":")[0] == "apache/kafka"
    env = _environment(kafka)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "kafka:9092" in (env["KAFKA_ADVERTISED_LISTENERS"] or "")
    assert "localhost:29092" in (env["KAFKA_ADVERTISED_LISTENERS"] or "")
    for variable in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
    ):
        assert env[variable] == "1"
    assert "29092" in {_published_host_port(p) for p in kafka["ports"]}
    assert "kafka-broker-api-versions.sh" in " ".join(map(str, kafka["healthcheck"]["test"]))


def test_mounted_host_paths_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for source in _bind_sources(service):
            assert not source.startswith(("/", "~")), f"{name} mounts a path outside the repo"
            assert (ROOT / source).exists(), f"{name} mounts {source}, missing from the repo"
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            assert (ROOT / context / "Dockerfile").is_file()


def test_named_volumes_are_declared(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in _named_volumes(service):
            assert volume in declared, f"{name} uses volume {volume}, not declared"


def test_grafana_is_anonymous_viewer(services: dict[str, dict[str, Any]]) -> None:
    env = _environment(services["grafana"])
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


# ---------------------------------------------------------------- prometheus and grafana


def test_prometheus_discovers_the_workers() -> None:
    config = load_yaml(PROMETHEUS)
    jobs = [
        job
        for job in config["scrape_configs"]
        if any(sd.get("names") == ["worker"] for sd in job.get("dns_sd_configs") or [])
    ]
    assert len(jobs) == 1
    job = jobs[0]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    (sd,) = job["dns_sd_configs"]
    assert sd["type"] == "A"
    assert sd["port"] == WEB_PORT


def test_grafana_provisioning_parses() -> None:
    datasources = load_yaml(GRAFANA_DATASOURCE)["datasources"]
    (prometheus,) = [d for d in datasources if d["name"] == "Prometheus"]
    assert prometheus["uid"] == "prometheus"
    assert prometheus["url"] == "http://prometheus:9090"
    providers = load_yaml(GRAFANA_PROVIDER)["providers"]
    assert [p["options"]["path"] for p in providers] == ["/var/lib/grafana/dashboards"]


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("rate(shipwatch_positions_total[5m])", {"shipwatch_positions_total"}),
        (
            "histogram_quantile(0.99, sum by (le) (rate(shipwatch_event_lag_seconds_bucket[5m])))",
            {"shipwatch_event_lag_seconds_bucket"},
        ),
        ('sum without (instance) (up{job="x"}) / on (job) other', {"up", "other"}),
    ],
)
def test_metric_name_extraction(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def _series_names(registry: CollectorRegistry) -> set[str]:
    """Every series name a registry's metrics can export, labelled children or not."""
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
    }
    return {
        family.name + suffix
        for family in registry.collect()
        for suffix in suffixes.get(family.type, ("",))
    }


def declared_metrics() -> set[str]:
    """What a worker and a feed export: shipwatch.metrics, Faust's sensor under our prefix, the
    feed's own registry, and `up`."""
    faust_registry = CollectorRegistry()
    FaustMetrics.create(faust_registry, FAUST_PREFIX)
    # `up` is Prometheus's own series for each scrape target.
    worker = _series_names(REGISTRY) | _series_names(faust_registry)
    return worker | _series_names(FEED_REGISTRY) | {"up"}


def test_dashboard_panels_use_the_provisioned_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "shipwatch"
    every = all_panels(dashboard["panels"])
    panels = [p for p in every if p.get("type") != "row"]
    assert len({p["id"] for p in every}) == len(every)
    for panel in panels:
        assert panel["datasource"]["uid"] == "prometheus", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            if "datasource" in target:
                assert target["datasource"]["uid"] == "prometheus", panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]


@pytest.mark.parametrize("source", ["dashboard", "rules"])
def test_every_queried_metric_is_declared(source: str) -> None:
    exprs = dashboard_exprs() if source == "dashboard" else rule_exprs()
    declared = declared_metrics()
    assert exprs
    for expr in exprs:
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        undeclared = names - declared
        assert not undeclared, f"{sorted(undeclared)} in {expr!r} is not exported by a worker"


# Series that cannot honestly exist before the worker has measured something: consumer lag is
# read from the broker every 10 s after start (a zero before that would claim "caught up").
# The feed's series are on the feed process's /metrics, one per source it was started with.
MEASURED_LATER = frozenset({"shipwatch_consumer_lag"}) | _series_names(FEED_REGISTRY)


def test_every_queried_series_is_on_metrics_from_start_up() -> None:
    """A healthy, idle worker's panels show 0, not "No data", and rules see a zero to rise from.

    Sample names, not just families: a labelled counter without children renders only its
    HELP and TYPE lines. Histograms answer with their _bucket/_sum/_count samples."""
    index, ctx = build_core(BUNDLED_GEOFENCES)
    init_series(list(index.by_id), [route.id for route in ctx.routes])
    page = generate_latest(REGISTRY).decode()
    exported = {s.name for f in text_string_to_metric_families(page) for s in f.samples}
    queried = {
        name
        for expr in dashboard_exprs() + rule_exprs()
        for name in re.findall(r"\bshipwatch_[a-z_]+", expr)
    }
    assert "shipwatch_processing_errors_total" in queried
    missing = queried - exported - MEASURED_LATER
    assert not missing, f"queried but without a series at start-up: {sorted(missing)}"
    errors = {
        s.labels["stage"]
        for f in text_string_to_metric_families(page)
        for s in f.samples
        if s.name == "shipwatch_processing_errors_total"
    }
    assert errors >= {"track", "sea", "voyage", "alert", "cap"}


def test_the_dashboard_shows_every_contract_metric() -> None:
    queried = {name for expr in dashboard_exprs() for name in metric_names(expr)}
    histogram = {"shipwatch_event_lag_seconds_bucket"}  # its quantiles and heatmap
    missing = {m for m in CONTRACT_METRICS if not m.startswith("shipwatch_event_lag")} - queried
    assert not missing, f"no panel for {sorted(missing)}"
    assert histogram <= queried
    assert "shipwatch_consumer_lag" in queried


def test_the_rules_cover_the_watch_floor() -> None:
    rules = {r["alert"]: r for g in load_yaml(RULES)["groups"] for r in g["rules"]}
    assert {
        "ShipwatchWorkerDown",
        "ShipwatchConsumerLagHigh",
        "ShipwatchNoPositions",
        "ShipwatchCriticalAlert",
    } <= set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"], name
        assert rule["annotations"]["summary"], name
    assert 'severity="critical"' in rules["ShipwatchCriticalAlert"]["expr"]


# The at-sea metrics (CONTRACT.md, "At sea") and the alert kinds of the at-sea rules.
AT_SEA_METRICS = frozenset(
    {
        "shipwatch_encounters_total",
        "shipwatch_active_encounters",
        "shipwatch_loitering_vessels",
        "shipwatch_sightings_total",
        "shipwatch_sea_samples_dropped_total",
    }
)
AT_SEA_ALERT_KINDS = ("sts_encounter", "loitering", "dark_vessel")


def test_the_dashboard_has_an_at_sea_row() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = all_panels(dashboard["panels"])
    rows = [i for i, p in enumerate(panels) if p.get("type") == "row"]
    start = next(i for i in rows if panels[i]["title"] == "At sea")
    end = next((i for i in rows if i > start), len(panels))
    exprs = [t["expr"] for p in panels[start + 1 : end] for t in p["targets"]]
    queried = {name for expr in exprs for name in metric_names(expr)}
    assert AT_SEA_METRICS | {"shipwatch_alerts_total"} <= queried
    assert "by (matched)" in " ".join(exprs)
    assert "by (reason)" in " ".join(e for e in exprs if "sea_samples" in e)
    alerts = [e for e in exprs if "shipwatch_alerts_total" in e]
    assert alerts and all(kind in alerts[0] for kind in AT_SEA_ALERT_KINDS)


def test_the_rules_cover_the_sea() -> None:
    rules = {r["alert"]: r for g in load_yaml(RULES)["groups"] for r in g["rules"]}
    assert {"ShipwatchDarkVessel", "ShipwatchStsEncounter", "ShipwatchSeaSamplesDropped"} <= set(
        rules
    )
    assert metric_names(rules["ShipwatchDarkVessel"]["expr"]) == {"shipwatch_alerts_total"}
    assert 'kind="dark_vessel"' in rules["ShipwatchDarkVessel"]["expr"]
    sts = rules["ShipwatchStsEncounter"]["expr"]
    assert 'kind="sts_encounter"' in sts and 'severity="critical"' in sts
    dropped = rules["ShipwatchSeaSamplesDropped"]["expr"]
    assert metric_names(dropped) == {"shipwatch_sea_samples_dropped_total"}
    assert "cell_full" in dropped and "too_late" in dropped and "repeat" not in dropped
    # Each finding notifies once: the generic critical rule leaves these kinds to their own.
    assert "dark_vessel" in rules["ShipwatchCriticalAlert"]["expr"]


# The integrity metrics (CONTRACT.md, "Integrity"; issue 22) and the alert kinds of its rules.
INTEGRITY_METRICS = frozenset(
    {
        "shipwatch_identity_findings_total",
        "shipwatch_tampering_findings_total",
        "shipwatch_gnss_interference_total",
    }
)
IDENTITY_ALERT_KINDS = ("identity_conflict", "invalid_identity", "identity_swap")
INTEGRITY_ALERT_KINDS = (*IDENTITY_ALERT_KINDS, "position_tampering")


def test_the_dashboard_has_an_integrity_row() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = all_panels(dashboard["panels"])
    rows = [i for i, p in enumerate(panels) if p.get("type") == "row"]
    start = next(i for i in rows if panels[i]["title"] == "Integrity")
    end = next((i for i in rows if i > start), len(panels))
    exprs = [t["expr"] for p in panels[start + 1 : end] for t in p["targets"]]
    queried = {name for expr in exprs for name in metric_names(expr)}
    assert INTEGRITY_METRICS | {"shipwatch_alerts_total"} <= queried
    assert any("by (kind)" in e for e in exprs if "identity_findings" in e)
    assert any("by (reason)" in e for e in exprs if "tampering_findings" in e)
    alerts = [e for e in exprs if "shipwatch_alerts_total" in e]
    assert alerts and all(kind in alerts[0] for kind in INTEGRITY_ALERT_KINDS)
    # The row sits where the rows before and after it leave room: nothing overlaps.
    boxes = [p["gridPos"] for p in panels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["w"] <= b["x"]
                or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"]
            )
            assert apart, f"panels overlap at {a} and {b}"


def test_the_rules_cover_integrity() -> None:
    rules = _rules()
    identity = rules["ShipwatchIdentityAlert"]
    assert metric_names(identity["expr"]) == {"shipwatch_alerts_total"}
    assert 'severity="critical"' in identity["expr"] and "by (kind)" in identity["expr"]
    assert all(kind in identity["expr"] for kind in IDENTITY_ALERT_KINDS)
    assert "position_tampering" not in identity["expr"]
    tampering = rules["ShipwatchTamperingAlert"]
    assert metric_names(tampering["expr"]) == {"shipwatch_alerts_total"}
    assert 'kind="position_tampering"' in tampering["expr"]
    assert 'severity="critical"' in tampering["expr"]
    for name in ("ShipwatchIdentityAlert", "ShipwatchTamperingAlert"):
        assert rules[name]["labels"]["severity"] == "critical", name  # the watch floor
    # A burst of false positions (GNSS interference, a bad feed) is the operators' to look at;
    # not_in_imagery is evidence against one ship, not against a receiver.
    burst = rules["ShipwatchPositionFindingsBurst"]
    assert burst["labels"]["severity"] == "warning"
    assert metric_names(burst["expr"]) == {
        "shipwatch_tampering_findings_total",
        "shipwatch_gnss_interference_total",
    }
    assert "on_land" in burst["expr"] and "jumps" in burst["expr"]
    assert "not_in_imagery" not in burst["expr"]
    # Each finding notifies once: the generic critical rule leaves the integrity kinds alone.
    critical = rules["ShipwatchCriticalAlert"]["expr"]
    assert "kind!~" in critical
    assert all(kind in critical for kind in INTEGRITY_ALERT_KINDS)


def test_prometheus_loads_the_rules_file_compose_mounts(
    services: dict[str, dict[str, Any]],
) -> None:
    config = load_yaml(PROMETHEUS)
    assert config["rule_files"] == ["alerts.yml"]  # relative to the config file
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in services["prometheus"]["volumes"]}
    assert mounts["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == "./deploy/prometheus/alerts.yml"


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing in CI: scripts/system-deps.sh installs `prometheus`")
        pytest.skip("promtool not installed (Debian: apt-get install prometheus)")
    return path


@pytest.mark.parametrize(
    ("command", "target"),
    [
        ("check config", PROMETHEUS),
        ("check rules", RULES),
        ("test rules", RULE_TESTS),  # each rule fires, and only when it should
    ],
)
def test_promtool_accepts(command: str, target: Path) -> None:
    result = subprocess.run(
        [_promtool(), *command.split(), target.name],
        cwd=target.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


# ---------------------------------------------------------------- alertmanager and runbooks


def _rules() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for g in load_yaml(RULES)["groups"] for r in g["rules"]}


def test_every_rule_has_a_summary_a_description_and_a_runbook() -> None:
    rules = _rules()
    for name, rule in rules.items():
        annotations = rule.get("annotations") or {}
        assert str(annotations.get("summary", "")).strip(), name
        assert str(annotations.get("description", "")).strip(), name
        # A path relative to the repository root (the project publishes no web address).
        assert annotations.get("runbook_url") == f"docs/runbooks/{name}.md", name
        runbook = ROOT / annotations["runbook_url"]
        assert runbook.is_file(), f"{name}: {runbook} is missing"
        text = runbook.read_text(encoding="utf-8")
        assert text.startswith(f"# {name}\n"), runbook
        for section in ("## What it means", "## How to check", "## What to do"):
            assert section in text, f"{runbook.name} has no {section!r}"
    pages = {p.stem for p in RUNBOOKS.glob("*.md")} - {"README"}
    assert pages == set(rules), "a runbook for each rule, and none for a rule that is gone"
    index = (RUNBOOKS / "README.md").read_text(encoding="utf-8")
    assert all(f"({name}.md)" in index for name in rules)


def test_compose_runs_alertmanager_with_the_repository_config(
    services: dict[str, dict[str, Any]],
) -> None:
    alertmanager = services["alertmanager"]
    assert str(alertmanager["image"]).split(":")[0] == "prom/alertmanager"
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in alertmanager["volumes"]}
    assert mounts["/etc/alertmanager/alertmanager.yml"] == "./deploy/alertmanager/alertmanager.yml"
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in alertmanager["command"]
    storage = next(a for a in alertmanager["command"] if a.startswith("--storage.path="))
    assert storage.removeprefix("--storage.path=") in mounts  # silences survive a restart
    container_ports = {str(p).split("/")[0].rsplit(":", 1)[-1] for p in alertmanager["ports"]}
    assert "9093" in container_ports
    # Prometheus sends its firing rules there, by the service's name.
    config = load_yaml(PROMETHEUS)
    targets = [
        target
        for am in config["alerting"]["alertmanagers"]
        for static in am["static_configs"]
        for target in static["targets"]
    ]
    assert targets == ["alertmanager:9093"]


def _amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "amtool is missing in CI: scripts/system-deps.sh installs `prometheus-alertmanager`"
            )
        pytest.skip("amtool not installed (Debian: apt-get install prometheus-alertmanager)")
    return path


def test_amtool_accepts_the_alertmanager_config() -> None:
    result = subprocess.run(
        [_amtool(), "check-config", ALERTMANAGER.name],
        cwd=ALERTMANAGER.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


# Who gets each severity of alerts.yml.
RECEIVER_OF = {"critical": "watch-floor", "page": "operators", "warning": "operators"}


@pytest.mark.parametrize("name", sorted(_rules()))
def test_each_rule_reaches_its_receiver(name: str) -> None:
    """`amtool config routes test` walks the routing tree as Alertmanager does."""
    severity = _rules()[name]["labels"]["severity"]
    result = subprocess.run(
        [
            _amtool(),
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER}",
            f"alertname={name}",
            f"severity={severity}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [RECEIVER_OF[severity]]


def test_alertmanager_routes_group_and_inhibit_real_rules() -> None:
    config = load_yaml(ALERTMANAGER)
    rules = _rules()
    assert {r["labels"]["severity"] for r in rules.values()} <= set(RECEIVER_OF)
    receivers = {r["name"]: r for r in config["receivers"]}
    watch_floor = receivers["watch-floor"]
    assert watch_floor["email_configs"] and watch_floor["webhook_configs"]
    route = config["route"]
    for timing in ("group_wait", "group_interval", "repeat_interval"):
        assert route[timing], timing
    (critical,) = [r for r in route["routes"] if r["receiver"] == "watch-floor"]
    assert "kind" in critical["group_by"]  # ShipwatchCriticalAlert's label: one message a kind

    # Placeholders only: nothing real is mailed or posted from an unedited checkout.
    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for value in node.values() for s in strings(value)]
        if isinstance(node, list):
            return [s for value in node for s in strings(value)]
        return [node] if isinstance(node, str) else []

    for value in strings(config):
        for address in re.findall(r"[\w.-]+@[\w.-]+|https?://\S+", value):
            assert "example.org" in address, address
    assert config["global"]["smtp_smarthost"].startswith("smtp.example.org:")
    # Each inhibition names rules that exist.
    for inhibit in config["inhibit_rules"]:
        for matcher in inhibit["source_matchers"] + inhibit["target_matchers"]:
            label, _, value = re.split(r"\s*(=~|!=|=)\s*", matcher, maxsplit=1)
            if label == "alertname":
                names = set(value.strip('"').split("|"))
                assert names <= set(rules), f"{sorted(names - set(rules))} is not a rule"


def test_worker_webhook_setting_is_optional(services: dict[str, dict[str, Any]]) -> None:
    env = _environment(services["worker"])
    assert env["SHIPWATCH_WEBHOOK_URLS"] == ""  # empty unless the user sets it


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_runs_the_console_script() -> None:
    instructions = _dockerfile_instructions()
    assert instructions[0][0] in {"FROM", "ARG"}
    assert any(kw == "FROM" and args.startswith("python:3.11-slim") for kw, args in instructions)
    assert _exec_form(instructions, "ENTRYPOINT") == ["shipwatch"]
    assert _exec_form(instructions, "CMD") == ["worker"]
    assert str(WEB_PORT) in [
        port.split("/")[0] for kw, args in instructions if kw == "EXPOSE" for port in args.split()
    ]


def test_dockerfile_runs_as_a_user() -> None:
    users = [args for kw, args in _dockerfile_instructions() if kw == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_settings() -> None:
    env = _dockerfile_env(_dockerfile_instructions())
    assert env["SHIPWATCH_WEB_HOST"] == "0.0.0.0"
    assert env["SHIPWATCH_DATA_DIR"] == "/var/lib/shipwatch"
    for variable in env:
        if variable.startswith("SHIPWATCH_"):
            assert variable.removeprefix("SHIPWATCH_").lower() in Settings.model_fields


def test_dockerfile_copies_every_package() -> None:
    """The image installs what pyproject.toml finds: the context is copied whole, packages kept."""
    pyproject = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in patterns}
    assert packages
    sources: set[str] = set()
    for keyword, args in _dockerfile_instructions():
        if keyword in {"COPY", "ADD"}:
            *srcs, _dest = [a for a in shlex.split(args) if not a.startswith("--")]
            sources.update(s.rstrip("/") or "/" for s in srcs)
    assert "." in sources, "the build context is not copied: a package list would be repeated"
    assert {"pyproject.toml", pyproject["project"]["readme"]} <= sources
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not packages & ignored, f"packages left out of the image: {sorted(packages & ignored)}"
    assert {"tests", ".venv", ".git"} <= ignored


# ---------------------------------------------------------------- health in deployments


def test_compose_checks_the_workers_health(services: dict[str, dict[str, Any]]) -> None:
    check = " ".join(map(str, services["worker"]["healthcheck"]["test"]))
    assert f"127.0.0.1:{WEB_PORT}/healthz" in check


def test_the_kubernetes_example_probes_health_and_readiness() -> None:
    documents = list(
        yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "worker.yaml").read_text())
    )
    kinds = {d["kind"]: d for d in documents}
    assert set(kinds) == {"Deployment", "Service"}
    [container] = kinds["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["worker"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["web"] == WEB_PORT
    env = {e["name"]: e["value"] for e in container["env"]}
    for variable in env:
        assert variable.removeprefix("SHIPWATCH_").lower() in Settings.model_fields, variable
    assert env["SHIPWATCH_WEB_HOST"] == "0.0.0.0"
    selector = kinds["Deployment"]["spec"]["selector"]["matchLabels"]
    assert kinds["Service"]["spec"]["selector"] == selector


def test_the_systemd_unit_runs_the_worker_and_waits_for_healthz() -> None:
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((ROOT / "deploy" / "systemd" / "shipwatch-worker.service").read_text())
    service = unit["Service"]
    assert service["ExecStart"].split()[-1] == "worker"
    assert service["ExecStart"].split()[0].endswith("/shipwatch")
    assert "/healthz" in service["ExecStartPost"]
    assert service["Restart"] == "on-failure" and service["KillSignal"] == "SIGTERM"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
