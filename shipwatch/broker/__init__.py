"""A local single-node Kafka (KRaft) broker for development: start, stop and status."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from shipwatch.broker import server
from shipwatch.broker.config import HOST, BrokerPaths, local_port, log4j_properties
from shipwatch.broker.config import server_properties as render_properties
from shipwatch.broker.errors import BrokerError, NotLocalError
from shipwatch.broker.jars import ensure_jars, jars_ready, require_tools
from shipwatch.settings import Settings, get_settings

__all__ = ["BrokerError", "BrokerStatus", "run", "start", "status", "stop"]


@dataclass(frozen=True)
class BrokerStatus:
    """What `status` knows about the broker of one broker_home."""

    running: bool
    pid: int | None
    bootstrap: str
    home: Path
    version: str
    log_file: Path


def status(settings: Settings) -> BrokerStatus:
    """The broker's state; running means our process is alive and its port accepts connections."""
    paths = BrokerPaths.at(settings.broker_home)
    pid = server.read_pid(paths)
    alive = pid is not None and server.is_our_broker(pid, paths)
    try:
        port: int | None = local_port(settings.kafka_bootstrap)
    except NotLocalError:
        port = None
    running = alive and port is not None and server.port_open(port)
    bootstrap = f"{HOST}:{port}" if port else settings.kafka_bootstrap
    version, log = settings.kafka_version, paths.server_log
    return BrokerStatus(running, pid if alive else None, bootstrap, paths.home, version, log)


def _stop_locked(paths: BrokerPaths, timeout: float) -> bool:
    pid = server.read_pid(paths)
    was_running = pid is not None and server.is_our_broker(pid, paths)
    if pid is not None and was_running:
        server.terminate(pid, paths, timeout)
    paths.pid_file.unlink(missing_ok=True)  # also clears a stale one
    return was_running


def stop(settings: Settings, *, timeout: float = 30.0) -> bool:
    """Stop the broker of settings.broker_home; True if it was running."""
    paths = BrokerPaths.at(settings.broker_home)
    with server.locked(paths):
        return _stop_locked(paths, timeout)


def start(settings: Settings, *, fresh: bool = False, timeout: float = 120.0) -> BrokerStatus:
    """Start the broker unless it already runs; `fresh` first stops it and wipes its data."""
    port = local_port(settings.kafka_bootstrap)
    if settings.kafka_security_protocol.upper() != "PLAINTEXT":
        raise NotLocalError(
            "SASL/SSL settings mean a remote cluster; the local broker is PLAINTEXT."
        )
    paths, version = BrokerPaths.at(settings.broker_home), settings.kafka_version
    properties = render_properties(settings, paths, port)
    with server.locked(paths):
        if fresh:
            _stop_locked(paths, timeout=30.0)
            shutil.rmtree(paths.data, ignore_errors=True)
            print(f"Wiped {paths.data}")
        pid = server.read_pid(paths)
        if pid is not None and server.is_our_broker(pid, paths):
            if server.read_text(paths.server_properties) != properties:
                raise BrokerError(
                    f"The broker of {paths.home} (pid {pid}) runs with other settings (port, "
                    "version or partitions); run `stop` and then `start` to apply the new ones."
                )
            # Usually instant; waits if an earlier start left it still booting.
            server.wait_ready(pid, port, paths, timeout, server.log_sizes(paths))
            print(f"Kafka {version} already running at {HOST}:{port} (pid {pid})")
            return status(settings)
        paths.pid_file.unlink(missing_ok=True)
        java = require_tools(need_mvn=not jars_ready(version))
        server.require_free_ports(paths, port)
        lib = ensure_jars(version)
        paths.logs.mkdir(parents=True, exist_ok=True)
        paths.server_properties.write_text(properties)
        paths.log4j_properties.write_text(log4j_properties(paths))
        if not paths.formatted_marker.is_file():
            print(f"Formatting {paths.data}")
            server.format_storage(java, lib, paths)
        since = server.log_sizes(paths)
        pid = server.launch(java, lib, paths, settings.broker_heap_mb)
        try:
            server.wait_ready(pid, port, paths, timeout, since)
        except BrokerError:
            if not server.is_our_broker(pid, paths):
                paths.pid_file.unlink(missing_ok=True)
            raise
    print(f"Kafka {version} running at {HOST}:{port} (pid {pid}, logs {paths.server_log})")
    return status(settings)


def run(
    action: str, *, fresh: bool = False, timeout: float = 120.0, settings: Settings | None = None
) -> int:
    """`shipwatch broker start|stop|status` once parsed: the exit status (status: 3 if not
    running); a BrokerError goes to the caller, which reports it."""
    settings = settings or get_settings()
    if action == "start":
        start(settings, fresh=fresh, timeout=timeout)
        return 0
    if action == "stop":
        pid = status(settings).pid
        print(f"Stopped the Kafka broker (pid {pid})" if stop(settings) else "Not running")
        return 0
    if action != "status":
        raise ValueError(f"unknown broker action {action!r}; start, stop or status")
    st = status(settings)
    print(f"Kafka broker {'running' if st.running else 'not running'}")
    for label, value in (
        ("pid", st.pid or "-"),
        ("bootstrap", st.bootstrap),
        ("version", st.version),
        ("home", st.home),
        ("log", st.log_file),
    ):
        print(f"  {label + ':':<10} {value}")
    return 0 if st.running else 3
