"""Where the broker keeps its files, which ports it uses, and the config files it runs with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipwatch.broker.errors import NotLocalError
from shipwatch.settings import Settings

HOST = "127.0.0.1"
# Names that reach a broker bound to 127.0.0.1; anything else is somebody else's cluster.
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost"})


@dataclass(frozen=True)
class BrokerPaths:
    """The files of one broker home."""

    home: Path
    data: Path
    logs: Path
    pid_file: Path
    lock_file: Path
    server_properties: Path
    log4j_properties: Path
    server_log: Path
    stdout_log: Path
    formatted_marker: Path  # StorageTool writes it; present means the log dir is formatted

    @classmethod
    def at(cls, home: Path) -> BrokerPaths:
        """The layout under one broker_home."""
        home = home.absolute()  # the JVM runs with cwd=home, so relative paths would shift
        data, logs = home / "data", home / "logs"
        return cls(
            home=home,
            data=data,
            logs=logs,
            pid_file=home / "broker.pid",
            lock_file=home / "broker.lock",
            server_properties=home / "server.properties",
            log4j_properties=home / "log4j2.properties",
            server_log=logs / "server.log",
            stdout_log=logs / "stdout.log",
            formatted_marker=data / "meta.properties",
        )


def local_port(bootstrap: str) -> int:
    """The PLAINTEXT port of a single local bootstrap address, or NotLocalError."""
    servers = [s.strip() for s in bootstrap.split(",") if s.strip()]
    if len(servers) != 1:
        raise NotLocalError(
            f"kafka_bootstrap {bootstrap!r} lists {len(servers)} servers; the local broker is one "
            f"node at {HOST}:<port>. Point SHIPWATCH_KAFKA_BOOTSTRAP at it or manage that "
            "cluster yourself."
        )
    host, sep, port_text = servers[0].rpartition(":")
    if not sep or not port_text.isdigit():
        raise NotLocalError(f"kafka_bootstrap {bootstrap!r} is not host:port, e.g. {HOST}:9092.")
    if host not in LOCAL_NAMES:
        raise NotLocalError(
            f"kafka_bootstrap {bootstrap!r} is not a local {HOST}:<port> address, so it is a "
            "remote cluster that shipwatch does not start or stop."
        )
    port = int(port_text)
    if not 1 <= port < 65535:  # the controller takes port + 1
        raise NotLocalError(f"kafka_bootstrap port {port} must be between 1 and 65534.")
    return port


def server_properties(
    settings: Settings, paths: BrokerPaths, port: int, extra: Mapping[str, str] | None = None
) -> str:
    """The KRaft combined broker+controller config for a single node.

    `extra` properties replace the defaults of the same name in place and the rest are added at
    the end (the security tests add a SASL_SSL listener this way); `shipwatch broker start`
    passes none."""
    controller = f"{HOST}:{port + 1}"
    lines = [
        f"# Written by shipwatch for Kafka {settings.kafka_version}; rewritten on every start.",
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.bootstrap.servers={controller}",
        f"listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{controller}",
        f"advertised.listeners=PLAINTEXT://{HOST}:{port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={paths.data}",
        # One node: every internal topic must fit on it.
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        # No other members will ever join, so waiting only slows every consumer start.
        "group.initial.rebalance.delay.ms=0",
        f"num.partitions={settings.partitions}",
        "auto.create.topics.enable=true",
    ]
    extra = dict(extra or {})
    for i, line in enumerate(lines):
        key = line.partition("=")[0]
        if not line.startswith("#") and key in extra:
            lines[i] = f"{key}={extra.pop(key)}"
    lines += [f"{key}={value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def log4j_properties(paths: BrokerPaths) -> str:
    """A log4j2 config that sends everything to <home>/logs/server.log, size-capped."""
    return f"""\
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {paths.server_log}
appender.file.filePattern = {paths.server_log}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
# Kafka logs its own shutdown; log4j's hook would close the file before it finishes.
shutdownHook = disable
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
"""
