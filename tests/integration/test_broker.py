"""The local broker manager against a real Kafka: start, reuse, round trip, stop, fresh."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shipwatch import broker
from shipwatch.broker.errors import MissingToolError, NotLocalError
from shipwatch.broker.jars import require_tools
from shipwatch.broker.ports import free_port
from shipwatch.cli import main as cli
from shipwatch.settings import Settings

pytestmark = pytest.mark.integration

TOPIC = "broker-test.roundtrip"


def _settings(home: Path) -> Settings:
    return Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port(pair=True)}",
        broker_home=home,
        kafka_security_protocol="PLAINTEXT",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    settings = _settings(tmp_path / "broker")
    yield settings
    broker.stop(settings)  # never leave a JVM behind, even after a failed assertion


async def _topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics: list[str] = await admin.list_topics()
    finally:
        await admin.close()
    return topics


async def _round_trip(bootstrap: str) -> bytes:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC, b"ping", key=b"244660000")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    value: bytes = message.value
    return value


def test_lifecycle(settings: Settings) -> None:
    started = broker.start(settings, timeout=60)
    assert started.running and started.pid is not None
    assert started.bootstrap == settings.kafka_bootstrap
    assert (settings.broker_home / "data" / "meta.properties").is_file()
    assert started.log_file.is_file()
    assert broker.status(settings) == started

    assert asyncio.run(_round_trip(started.bootstrap)) == b"ping"
    assert broker.start(settings).pid == started.pid  # idempotent: no second JVM

    assert broker.stop(settings) is True
    stopped = broker.status(settings)
    assert not stopped.running and stopped.pid is None
    assert not (settings.broker_home / "broker.pid").exists()
    assert broker.stop(settings) is False

    restarted = broker.start(settings, timeout=60)
    assert TOPIC in asyncio.run(_topics(restarted.bootstrap))  # data survives a restart

    fresh = broker.start(settings, fresh=True, timeout=60)  # stops the running one first
    assert fresh.running and fresh.pid != restarted.pid
    assert TOPIC not in asyncio.run(_topics(fresh.bootstrap))


def test_status_exit_codes(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert broker.run("status", settings=settings) == 3
    assert broker.run("stop", settings=settings) == 0
    monkeypatch.setattr(broker, "get_settings", lambda: settings)
    assert cli.main(["broker", "status"]) == 3  # the command line, parsed once
    assert cli.main(["broker", "stop"]) == 0
    with pytest.raises(SystemExit) as exited:  # a usage error of the CLI's own parser
        cli.main(["broker", "bogus"])
    assert exited.value.code == 2


def test_missing_java_names_install_and_docker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(MissingToolError) as caught:
        broker.start(_settings(tmp_path / "broker"))
    message = str(caught.value)
    assert "Java 17" in message
    assert "apt-get install openjdk-17-jre-headless maven" in message
    assert "docker compose up kafka" in message


def test_old_java_and_missing_maven_are_both_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    java8 = tmp_path / "java"
    java8.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_292\"' >&2\n")
    java8.chmod(java8.stat().st_mode | stat.S_IXUSR)
    tools = {"java": str(java8)}
    with pytest.raises(MissingToolError) as caught:
        require_tools(need_mvn=True, which=tools.get)
    assert "is Java 8" in str(caught.value)
    assert "Maven" in str(caught.value)


@pytest.mark.parametrize("bootstrap", ["kafka.example.com:9092", "127.0.0.1:9092,127.0.0.1:9094"])
def test_remote_bootstrap_is_refused(tmp_path: Path, bootstrap: str) -> None:
    with pytest.raises(NotLocalError):
        broker.start(Settings(kafka_bootstrap=bootstrap, broker_home=tmp_path / "broker"))
