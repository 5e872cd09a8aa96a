"""The benchmark's moving parts: a private broker, worker processes, loading and reading topics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2

from shipwatch import broker
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings, env_for
from streams.kafka.config import client_options

REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@contextlib.contextmanager
def private_broker(home: Path) -> Iterator[tuple[str, int]]:
    """A Kafka broker of its own (home, ports) for one run: (bootstrap, pid); stopped after."""
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{free_port(pair=True)}", broker_home=home)
    status = broker.start(settings, timeout=180)
    try:
        yield settings.kafka_bootstrap, status.pid or 0
    finally:
        broker.stop(settings)


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def loadavg() -> tuple[float, float, float]:
    """The machine's 1, 5 and 15 minute load averages."""
    one, five, fifteen = os.getloadavg()
    return one, five, fifteen


def proc_status_kb(pid: int, field_name: str) -> int:
    """A kB figure of /proc/<pid>/status (VmRSS, VmHWM), 0 when the process is gone."""
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith(field_name + ":"):
                return int(row.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int, waited: bool = False) -> float:
    """User + system CPU time the process has used so far (with `waited`, also that of its
    children that have ended and been waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if waited:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """The process's live children (the worker's ingest process), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@dataclass
class Worker:
    """A `shipwatch worker` subprocess, its log and its /metrics page."""

    process: subprocess.Popen[bytes]
    log: Path
    web_port: int
    handle: IO[bytes]
    ready_at: float | None = None  # perf_counter when Faust logged Ready
    # When its ingest first took raw partitions, if that was before Ready (the ingest process
    # starts with the worker), and the CPU seconds used by then: a drain's clock starts there.
    began_at: float | None = None
    began_cpu_s: float = 0.0
    _seen: int = 0
    _text: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.process.pid

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Block until Faust logs Ready (partitions assigned, recovery done); perf_counter then."""
        if self.ready_at is not None:
            return self.ready_at
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.log.open("rb") as log:
                log.seek(self._seen)
                chunk = log.read()
            self._seen += len(chunk)
            self._text.append(chunk.decode(errors="replace"))
            recent = "".join(self._text[-2:])
            if self.began_at is None and "ingest: assigned" in recent:
                self.began_at, self.began_cpu_s = time.perf_counter(), self.cpu_s()
            if "[^Worker]: Ready" in recent:
                self.ready_at = time.perf_counter()
                return self.ready_at
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.tail()}")
            time.sleep(0.02)
        raise TimeoutError(f"worker not ready in {timeout} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        """The end of the worker's log."""
        return self.log.read_text(errors="replace")[-chars:]

    def page(self) -> str:
        """The text of /metrics."""
        url = f"http://127.0.0.1:{self.web_port}/metrics"
        for attempt in range(50):  # the web server may come up just after Ready
            try:
                with urllib.request.urlopen(url, timeout=10) as page:
                    return str(page.read().decode())
            except urllib.error.URLError:
                if attempt == 49 or self.process.poll() is not None:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def metrics(self) -> dict[str, float]:
        """Every metric of /metrics summed over its labels (name without labels -> value)."""
        out: dict[str, float] = {}
        for name, _, value in series(self.page()):
            out[name] = out.get(name, 0.0) + value
        return out

    def ready(self) -> tuple[bool, str | None]:
        """What /readyz says: ready or not, and the reason when not."""
        url = f"http://127.0.0.1:{self.web_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=10) as page:
                answer = json.loads(page.read())
        except urllib.error.HTTPError as refused:  # 503: not ready, with the reasons
            answer = json.loads(refused.read())
        return bool(answer["ready"]), answer["reason"]

    def series(self) -> list[Series]:
        """Every sample of /metrics with its labels."""
        return series(self.page())

    def pids(self) -> list[int]:
        """The worker's process and its children (the ingest process, by default)."""
        return [self.pid, *children(self.pid)]

    def status_mb(self, field_name: str) -> tuple[float, ...]:
        """A /proc status figure (VmRSS, RssAnon, VmHWM) of each process, the worker's first."""
        return tuple(proc_status_kb(pid, field_name) / 1024 for pid in self.pids())

    def rss_mb(self) -> float:
        """Resident set size now, its children's included."""
        return sum(self.status_mb("VmRSS"))

    def peak_rss_mb(self) -> float:
        """The highest resident set size so far (VmHWM), each process's added up."""
        return sum(self.status_mb("VmHWM"))

    def cpu_s(self) -> float:
        """CPU seconds used so far, its children's (live or ended) included."""
        pids = self.pids()
        return cpu_seconds(pids[0], waited=True) + sum(cpu_seconds(pid) for pid in pids[1:])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Stop it (SIGTERM: a clean shutdown, a kill if it hangs; SIGKILL: a crash)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.handle.close()


def start_worker(
    settings: Settings,
    log: Path,
    module: str = "shipwatch",
    extra_env: Mapping[str, str] | None = None,
) -> Worker:
    """Launch `shipwatch worker` for these settings (from `module`, a main like the CLI's).

    `extra_env` passes settings beyond those `env_for` writes (the webhook's, for example).
    """
    handle = log.open("ab")
    seen = log.stat().st_size  # an earlier worker's "Ready" in the same file does not count
    process = subprocess.Popen(
        [sys.executable, "-m", module, "worker", "--loglevel", "info"],
        env=env_for(settings) | dict(extra_env or {}),
        cwd=REPO,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    return Worker(process, log, settings.web_port, handle, _seen=seen)


Series = tuple[str, dict[str, str], float]  # name, labels, value


def series(text: str) -> list[Series]:
    """The samples of a Prometheus text page: (name, labels, value); comments skipped."""
    out: list[Series] = []
    for row in text.splitlines():
        match = _METRIC_LINE.match(row)
        if match and not row.startswith("#"):
            with contextlib.suppress(ValueError):
                out.append((match[1], dict(_LABEL.findall(match[2] or "")), float(match[3])))
    return out


def by_label(samples: Iterable[Series], name: str, label: str) -> dict[str, float]:
    """The samples of one metric summed per value of one label (from one or more workers)."""
    out: dict[str, float] = {}
    for sample_name, labels, value in samples:
        if sample_name == name and label in labels:
            out[labels[label]] = out.get(labels[label], 0.0) + value
    return out


def applied(m: dict[str, float]) -> int:
    """Positions the track stage has finished with: applied, stale or rejected on the way."""
    return int(
        m.get("shipwatch_positions_total", 0)
        + m.get("shipwatch_stale_positions_total", 0)
        + m.get("shipwatch_rejected_total", 0)
    )


async def create_topic(settings: Settings, name: str) -> None:
    """One more topic of the namespace (the baseline's sink), partitioned like the others."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(name, settings.partitions, 1)])
    finally:
        await admin.close()


class Loader:
    """Publishes keyed messages in big batches, partitioned by key as Kafka clients do.

    aiokafka's batch API costs a fraction of `send` per message, so loading a million
    positions takes seconds; the partitions are those `shipwatch replay` would choose.
    """

    def __init__(self, settings: Settings, topic: str) -> None:
        self.settings, self.topic = settings, topic
        self.producer = AIOKafkaProducer(
            **client_options(settings), acks="all", max_batch_size=512 * 1024, linger_ms=0
        )
        self._partitions: list[int] = []
        self._of_key: dict[bytes, int] = {}
        self._futures: list[asyncio.Future[object]] = []

    async def __aenter__(self) -> Loader:
        await self.producer.start()
        self._partitions = sorted(await self.producer.partitions_for(self.topic))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    def partition_of(self, key: bytes) -> int:
        """The partition the default (murmur2) partitioner gives this key."""
        part = self._of_key.get(key)
        if part is None:
            parts = self._partitions
            part = self._of_key[key] = parts[(murmur2(key) & 0x7FFFFFFF) % len(parts)]
        return part

    async def publish(self, messages: Iterable[tuple[bytes, bytes]]) -> int:
        """Send every (key, value); returns how many once all are acknowledged."""
        count = 0
        builders = {p: self.producer.create_batch() for p in self._partitions}
        for key, value in messages:
            part = self.partition_of(key)
            batch = builders[part]
            if batch.append(key=key, value=value, timestamp=None) is None:
                self._futures.append(
                    await self.producer.send_batch(batch, self.topic, partition=part)
                )
                batch = builders[part] = self.producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
            count += 1
        for part, batch in builders.items():
            if batch.record_count():
                self._futures.append(
                    await self.producer.send_batch(batch, self.topic, partition=part)
                )
        await asyncio.gather(*self._futures)
        self._futures.clear()
        return count


async def load(settings: Settings, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> int:
    """Publish messages to a topic in batches; returns the count."""
    async with Loader(settings, topic) as loader:
        return await loader.publish(messages)
