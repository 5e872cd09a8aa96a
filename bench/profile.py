"""A sampling profile of a worker under load (py-spy), summarised by stage and by function.

py-spy samples the worker's Python stacks from outside (100 Hz, idle threads left out), so
the worker runs unmodified. Without native frames, time in C code (orjson, pydantic-core,
shapely) is charged to the Python line that called it; the summary reads that line of source
to tell a JSON call from a pydantic one. Each sample goes to one category: that of the
innermost frame that matches one (standard-library helpers such as `dataclasses.replace`
pass their samples up to their caller).
"""

from __future__ import annotations

import linecache
import re
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")

BINDINGS = (
    "streams/bindings/ingest.py",
    "streams/bindings/track.py",
    "streams/kafka/bulk_producer.py",
    "shipwatch/pipeline/partitioner.py",
)
# (category, test on (function, file, source line)); the first that matches wins.
Rule = tuple[str, Callable[[str, str, str], bool]]
RULES: list[Rule] = [
    ("pydantic validation / dump", lambda f, p, s: "/pydantic" in p or "model_" in s),
    ("JSON (orjson)", lambda f, p, s: "orjson." in s or "/faust/utils/json" in p),
    (
        "table state to/from dict",
        lambda f, p, s: (
            (f in ("to_dict", "from_dict", "_visit_dict") and "/track_state" in p)
            or (f in ("to_dict", "from_dict") and "/voyages/" in p)
        ),
    ),
    ("pure core: decoders, stages, tracker, voyages, rules", lambda f, p, s: _core(p)),
    ("Faust tables and changelog", lambda f, p, s: "/faust/tables/" in p or "/faust/stores" in p),
    (
        "metrics (prometheus_client, Faust sensors)",
        lambda f, p, s: "/prometheus_client/" in p or "/faust/sensors/" in p,
    ),
    ("Kafka producer (aiokafka)", lambda f, p, s: "/aiokafka/producer" in p),
    ("Kafka consumer, fetch, records (aiokafka)", lambda f, p, s: "/aiokafka/" in p),
    (
        "Faust send path (topics, channels, producer)",
        lambda f, p, s: _faust(p, ("topics.py", "/transport/producer", "channels.py", "/drivers")),
    ),
    ("Faust streams, agents, consumer", lambda f, p, s: "/faust/" in p or "/mode/" in p),
    (
        "shipwatch agents (streams/bindings/agents.py)",
        lambda f, p, s: p.endswith("streams/bindings/agents.py"),
    ),
    (
        "shipwatch batch bindings (ingest, track, bulk producer)",
        lambda f, p, s: p.endswith(BINDINGS),
    ),
    ("shipwatch web, live feeds", lambda f, p, s: "/streams/" in p),
    (
        "socket reads and writes",
        lambda f, p, s: p.endswith("selector_events.py") and ("write" in f or "read" in f),
    ),
    ("event loop: polling (epoll)", lambda f, p, s: p.endswith("selectors.py")),
    ("event loop: tasks, callbacks, futures", lambda f, p, s: "/asyncio/" in p),
]
HANDLERS = {
    "Ingest._batch",
    "TrackBinding.on_frame",
    "TrackBinding.flush",
    "on_fence_event",
    "on_voyage_event",
    "on_delivery",
}
LOOP_ONLY = {"BaseEventLoop._run_once", "Handle._run", "EpollSelector.select"}
# Inclusive groups: a sample counts for every group whose test its function names pass (both
# the full `Class.method` names py-spy prints and their last part).
GROUPS: list[tuple[str, Callable[[set[str]], bool]]] = [
    ("ingest: a fetched batch decoded and sent (Ingest._batch)", lambda fs: "Ingest._batch" in fs),
    ("track: a frame applied (TrackBinding.on_frame)", lambda fs: "TrackBinding.on_frame" in fs),
    ("track: the flush (TrackBinding.flush)", lambda fs: "TrackBinding.flush" in fs),
    ("voyage agent handler (on_fence_event)", lambda fs: "on_fence_event" in fs),
    ("alert agent handler (on_voyage_event)", lambda fs: "on_voyage_event" in fs),
    (
        "agents outside their handlers (Faust stream iteration, acks)",
        lambda fs: bool(fs & {"guarded", "TrackBinding.run"}) and not fs & HANDLERS,
    ),
    (
        "Faust fetcher handing records to the agents' queues",
        lambda fs: "Fetcher._fetcher" in fs or "on_message" in fs,
    ),
    (
        "aiokafka fetch requests and responses",
        lambda fs: bool(fs & {"Fetcher._proc_fetch_request", "Fetcher._fetch_requests_routine"}),
    ),
    (
        "aiokafka produce requests (sender)",
        lambda fs: bool(fs & {"Sender._send_produce_req", "Sender._sender_routine"}),
    ),
    ("reading Kafka responses off sockets", lambda fs: "AIOKafkaConnection._read" in fs),
    ("send-completion callbacks (Faust sensors)", lambda fs: "Topic._on_published" in fs),
    ("Faust's consumer thread", lambda fs: "_start_thread" in fs),
    ("offset commits", lambda fs: "commit" in fs or "_commit_handler" in fs),
    ("live page followers (alerts, positions, statics)", lambda fs: "follow_topic" in fs),
    ("/metrics rendering (this benchmark polls it)", lambda fs: "generate_latest" in fs),
    ("the event loop alone (polling, scheduling)", lambda fs: _loop_only(fs)),
]


def _loop_only(names: set[str]) -> bool:
    inner = {n for n in names if "." in n and n.split(".", 1)[0] not in ("Worker", "<module>")}
    return inner <= LOOP_ONLY | {"BaseEventLoop.run_forever", "BaseEventLoop.run_until_complete"}


def _core(path: str) -> bool:
    packages = ("geofences", "voyages", "alerts", "pipeline", "ais", "shapely")
    return any(f"/{pkg}/" in path for pkg in packages)


def _faust(path: str, parts: tuple[str, ...]) -> bool:
    return "/faust/" in path and any(part in path for part in parts)


def available() -> str | None:
    """The py-spy executable, if installed."""
    return shutil.which("py-spy") or _beside_python()


def _beside_python() -> str | None:
    import sys

    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else None


def record(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling the process; `stop` ends it and writes `out` (collapsed stacks)."""
    exe = available()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "100",
            "--format",
            "raw",
            "--full-filenames",
            "--output",
            str(out),
            "--duration",
            "3600",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(sampler: subprocess.Popen[bytes], timeout: float = 60.0) -> str:
    """Stop sampling (SIGINT makes py-spy write its output); returns what py-spy said."""
    if sampler.poll() is None:
        sampler.send_signal(signal.SIGINT)
    try:
        _, err = sampler.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        sampler.kill()
        _, err = sampler.communicate()
    return err.decode(errors="replace").strip()


@dataclass(frozen=True)
class Summary:
    """Shares of the samples (0..1)."""

    samples: int
    categories: list[tuple[str, float]]  # exclusive: each sample once
    functions: list[tuple[str, float]]  # self time of the innermost Python frame
    groups: list[tuple[str, float]]  # inclusive, overlapping: see GROUPS


def _frames(stack: str) -> list[tuple[str, str, int]]:
    out = []
    for part in stack.split(";"):
        m = _FRAME.match(part.strip())
        if m:
            out.append((m["func"], m["file"], int(m["line"])))
        else:
            out.append((part.strip(), "", 0))
    return out


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 2)[-1] if "/" in path else path


def _category(frames: list[tuple[str, str, int]]) -> str:
    for func, path, lineno in reversed(frames):  # innermost first
        source = linecache.getline(path, lineno) if path else ""
        for name, test in RULES:
            if test(func, path, source):
                return name
    return "other"


def summarise(raw: Path, top: int = 15) -> Summary:
    """Categories, top functions and per-stage shares of a py-spy raw (collapsed) profile."""
    categories: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    total = 0
    for row in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = row.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        total += count
        categories[_category(frames)] += count
        func, path, _ = frames[-1]
        functions[f"{func} ({_short(path)})"] += count
        full = {f for f, _, _ in frames}
        names = full | {f.rsplit(".", 1)[-1] for f in full}
        for name, test in GROUPS:
            if test(names):
                groups[name] += count
    if not total:
        return Summary(0, [], [], [])
    return Summary(
        total,
        [(k, v / total) for k, v in categories.most_common()],
        [(k, v / total) for k, v in functions.most_common(top)],
        [(name, groups[name] / total) for name, _ in GROUPS],
    )
