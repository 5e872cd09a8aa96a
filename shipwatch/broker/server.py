"""The broker process itself: pid file, liveness, ports, formatting, launching, readiness, stop."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shipwatch.broker.config import HOST, BrokerPaths
from shipwatch.broker.errors import BrokerDiedError, BrokerError, PortInUseError

# Brokers launched by this interpreter; polling them reaps the zombie a dead child leaves.
_children: dict[int, subprocess.Popen[bytes]] = {}


@contextmanager
def locked(paths: BrokerPaths) -> Iterator[None]:
    """Hold the home's lock: one start or stop at a time, across processes."""
    paths.home.mkdir(parents=True, exist_ok=True)
    with paths.lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read_text(path: Path) -> str:
    """The file's text, or "" if it cannot be read."""
    try:
        return path.read_text()
    except OSError:
        return ""


def read_pid(paths: BrokerPaths) -> int | None:
    """The pid recorded in the pid file, if any."""
    text = read_text(paths.pid_file).strip()
    return int(text) if text.isdigit() else None


def is_our_broker(pid: int, paths: BrokerPaths) -> bool:
    """Whether pid is alive and is the Kafka broker of this home (not a recycled pid)."""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or another user's process
        return False
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():  # no procfs (macOS): signal 0 is all we can know
        return True
    try:
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False
    return state != "Z" and str(paths.server_properties).encode() in cmdline


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_free_ports(paths: BrokerPaths, port: int) -> None:
    """PortInUseError unless the broker could bind both its ports on 127.0.0.1 now."""
    for needed in (port, port + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # Like the JVM, ignore TIME_WAIT leftovers of a broker that just stopped.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, needed))
            except OSError:
                raise PortInUseError(
                    f"Port {HOST}:{needed} is in use by a process that is not the shipwatch "
                    f"broker of {paths.home}. If it is a Kafka you run yourself (e.g. `docker "
                    "compose up kafka`), just use it; otherwise free the port or set "
                    "SHIPWATCH_KAFKA_BOOTSTRAP=127.0.0.1:<port> (port + 1 must be free too)."
                ) from None


def _java_cmd(java: str, lib: Path, paths: BrokerPaths, heap_mb: int) -> list[str]:
    return [
        java,
        f"-Xmx{heap_mb}m",
        f"-Xms{min(heap_mb, 256)}m",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",  # die visibly rather than limp on
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={paths.log4j_properties}",
        "-cp",
        str(lib / "*"),  # java expands the wildcard itself, no shell involved
    ]


def format_storage(
    java: str, lib: Path, paths: BrokerPaths, extra_args: Sequence[str] = ()
) -> None:
    """Format the KRaft log dir with a fresh cluster id (standalone controller quorum);
    `extra_args` go to StorageTool's format (e.g. `--add-scram` for the security tests)."""
    # Same shape as `StorageTool random-uuid` (url-safe base64, no padding, no leading '-'),
    # minus a JVM start.
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    cmd = [*_java_cmd(java, lib, paths, 256), "kafka.tools.StorageTool", "format"]
    cmd += ["--standalone", "-t", cluster_id, "-c", str(paths.server_properties), *extra_args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not paths.formatted_marker.is_file():
        raise BrokerError(f"Formatting {paths.data} failed:\n{done.stdout}{done.stderr}")


def log_sizes(paths: BrokerPaths) -> dict[Path, int]:
    """Current sizes of the log files, so a failure report shows only this run's lines."""
    return {p: p.stat().st_size if p.exists() else 0 for p in (paths.stdout_log, paths.server_log)}


def log_tail(since: dict[Path, int], lines: int = 20) -> str:
    """The last lines each log file gained after `since`."""
    parts = []
    for path, offset in since.items():
        try:
            with path.open("rb") as fh:
                fh.seek(offset if path.stat().st_size >= offset else 0)
                text = fh.read().decode(errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        if text:
            parts.append(f"[{path}]\n" + "\n".join(text))
    return "\n".join(parts)


def launch(java: str, lib: Path, paths: BrokerPaths, heap_mb: int) -> int:
    """Start the broker JVM detached from this process and terminal; returns its pid."""
    cmd = [*_java_cmd(java, lib, paths, heap_mb), "kafka.Kafka", str(paths.server_properties)]
    with paths.stdout_log.open("ab") as out:
        child = subprocess.Popen(
            cmd,
            cwd=paths.home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C or closing the shell must not take the broker down
        )
    _children[child.pid] = child
    paths.pid_file.write_text(f"{child.pid}\n")
    return child.pid


async def _probe(port: int) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=f"{HOST}:{port}", request_timeout_ms=3000)
    try:
        await admin.start()
        # An open port is not enough: the broker lists itself only once it is unfenced.
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()


def wait_ready(
    pid: int, port: int, paths: BrokerPaths, timeout: float, since: dict[Path, int]
) -> None:
    """Block until the broker answers a metadata request; BrokerDiedError if it dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_our_broker(pid, paths):
            raise BrokerDiedError(
                f"The Kafka broker (pid {pid}) exited while starting.", log_tail(since)
            )
        if port_open(port) and asyncio.run(_probe(port)):
            return
        time.sleep(0.25)
    raise BrokerDiedError(
        f"The Kafka broker (pid {pid}) did not answer on {HOST}:{port} within {timeout:.0f} s; "
        "it is left running, so check the logs and `stop` it if it stays stuck.",
        log_tail(since),
    )


def terminate(pid: int, paths: BrokerPaths, timeout: float) -> None:
    """SIGTERM (Kafka's clean shutdown), then SIGKILL if it outlives timeout."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not is_our_broker(pid, paths):
                _children.pop(pid, None)
                return
            time.sleep(0.1)
    raise BrokerError(f"Kafka broker pid {pid} survived SIGKILL")
