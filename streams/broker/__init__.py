"""A local single-node Kafka (KRaft) broker for development: start, stop and status."""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from streams.broker import server
from streams.broker.config import HOST, BrokerPaths, local_port, log4j_properties
from streams.broker.config import server_properties as render_properties
from streams.broker.errors import BrokerError, NotLocalError
from streams.broker.jars import ensure_jars, jars_ready, require_tools
from streams.settings import Settings, get_settings

__all__ = ["BrokerError", "BrokerStatus", "main", "start", "status", "stop"]


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


def main(argv: list[str]) -> int:
    """The `broker` command line: start [--fresh] [--timeout S], stop, status."""
    parser = argparse.ArgumentParser(prog="shipwatch broker", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="start the broker unless it runs already")
    start_cmd.add_argument("--fresh", action="store_true", help="stop it and wipe its data first")
    start_cmd.add_argument("--timeout", type=float, default=120.0, metavar="S")
    commands.add_parser("stop", help="stop the broker")
    commands.add_parser("status", help="exit 0 if running, 3 if not")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; callers want a code, not an exit
        return exc.code if isinstance(exc.code, int) else 2
    settings = get_settings()
    try:
        if args.command == "start":
            start(settings, fresh=args.fresh, timeout=args.timeout)
            return 0
        if args.command == "stop":
            pid = status(settings).pid
            print(f"Stopped the Kafka broker (pid {pid})" if stop(settings) else "Not running")
            return 0
        st = status(settings)
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
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
