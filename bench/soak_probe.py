"""`python -m bench.soak_probe worker ...`: `shipwatch worker` with a look inside, for soaks.

Bench code only: the product never imports it. It runs the same main as the `shipwatch` command
and, beside it, a thread that every SOAK_PROBE_EVERY_S seconds (default 60) writes what the
worker holds to the JSON file SOAK_PROBE_OUT (atomically replaced; each report is also appended
to the .jsonl beside it):
 - the Faust tables' key counts, the `sea` table's keys by kind (cell heads, cell ticks, pairs
   with a run, with only an end marker, with held observations; the watermarks), the oldest
   cell tick and pair end marker against the partitions' watermarks;
 - the sizes of what the pages keep in memory (the alert feed, the vessel directory, the
   vessels near the fences, the live sources, the triage board and its remembered alert ids),
   the track stage's write-back cache, the sea stage's kept clocks, ingest's thinner;
 - every report, the allocators' own figures: Python's object arenas and the bytes in their
   blocks (`_PyObject_DebugMallocStats`), glibc's heap (mallinfo2); the tables, views and the
   count of tracked objects at most every SOAK_PROBE_SCAN_EVERY_S seconds (default: every
   report), and whenever the file SOAK_PROBE_OUT with the suffix .scan exists (the soak's
   last report: the probe deletes it);
 - with SOAK_HOLDERS=1: who holds the heap's bytes (bench.soak_probe._holders);
 - with SOAK_PATCH=sea_json_bytes: the sea binding's table values are made their own size
   (see `_patch`);
 - with SOAK_TRIM_S=<s>: glibc's malloc_trim(0) every s seconds;
 - with SOAK_PRODUCT_TRIM=0: without the worker's own trim (streams/memory_trim.py), to
   measure what it gives back;
 - with SOAK_TRACEMALLOC=1 (tracemalloc started before anything is imported; it slows the
   worker down and costs memory), in each report that walks the tables: the Python heap
   traced, the top allocation sites, and what grew since the previous such report, by line,
   and since the first one SOAK_TRACEMALLOC_BASE_S after start.
SOAK_SPIKES=<share>: a thread that reads Python's allocated block count 20 times a second (the
series beside SOAK_PROBE_OUT, suffix .spikes.series, with the main and history threads' current
functions) and, in readings among the highest <share> of the last minute's, counts what every
thread was running (its innermost frames) into the suffix .spikes.json: who makes the heap's
short peaks, which set how many arenas it keeps.
SOAK_HISTORY_FLUSH_S=<s> sets the history sink's transaction interval (streams.bindings.history_sink
FLUSH_S): shorter, each transaction gathers fewer rows at once.
SOAK_GC_YOUNG=<n> sets the worker's young-generation threshold (streams.collector.YOUNG_THRESHOLD)
before it tunes its collector.
SOAK_SHRINK (`name=value,...`) lowers in-memory bounds before the app is built, so that a soak
shorter than their fill time still sees them hold: `triage_states` (shipwatch.triage.board
MAX_STATES), `remembered_ids` (shipwatch.web.triage REMEMBERED_IDS), `feed_alerts`
(shipwatch.web.live_feed KEEP).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

TRACE = os.environ.get("SOAK_TRACEMALLOC") == "1"
if TRACE:  # one frame a trace: more makes the worker too slow to keep up with a soak
    tracemalloc.start(int(os.environ.get("SOAK_TRACEMALLOC_FRAMES", "1")))

# Each trace is compared with the previous one and, once there is one, with the first taken
# SOAK_TRACEMALLOC_BASE_S or more seconds after start (the warm heap).
TRACE_BASE_S = float(os.environ.get("SOAK_TRACEMALLOC_BASE_S", "0"))
HOLDERS = os.environ.get("SOAK_HOLDERS") == "1"
# At each table walk, a full collection that keeps what it found and counts it by type: what
# makes the worker's reference cycles. It collects, so it changes the curve it would measure:
# for finding cycles in a short run, never in a week whose slope counts.
GC_CENSUS = os.environ.get("SOAK_GC_CENSUS") == "1"
EVERY_S = float(os.environ.get("SOAK_PROBE_EVERY_S", "60"))
# The tables, views and object counts are walked at most this often (each walk makes hundreds
# of thousands of temporary objects in the worker's heap); the allocators' figures every report.
SCAN_EVERY_S = float(os.environ.get("SOAK_PROBE_SCAN_EVERY_S", "0"))
OUT = os.environ.get("SOAK_PROBE_OUT", "")
TOP = 40


def _patch() -> None:
    """SOAK_PATCH=sea_json_bytes: the sea binding serializes its table values with
    shipwatch.ais.json_form.json_bytes (a bytes object of its own size) instead of
    orjson.dumps (whose result keeps orjson's 4 KiB working buffer, or more for a big value:
    4 KiB of RSS for every cell, tick and pair the sea table holds). The product change, made
    here until streams/bindings/sea.py makes it, to measure what it saves."""
    if os.environ.get("SOAK_PATCH", "") != "sea_json_bytes":
        return
    import types

    import orjson

    from shipwatch.ais.json_form import json_bytes
    from streams.bindings import sea

    shim = types.SimpleNamespace(dumps=json_bytes, loads=orjson.loads)
    sea.orjson = shim  # type: ignore[attr-defined]


def _shrink() -> None:
    spec = os.environ.get("SOAK_SHRINK", "")
    if not spec:
        return
    from shipwatch.triage import board
    from shipwatch.web import live_feed, triage

    where = {
        "triage_states": (board, "MAX_STATES"),
        "remembered_ids": (triage, "REMEMBERED_IDS"),
        "feed_alerts": (live_feed, "KEEP"),
    }
    for item in spec.split(","):
        name, _, value = item.partition("=")
        module, attribute = where[name.strip()]
        setattr(module, attribute, int(value))


class Probe:
    """Finds the worker's long-lived objects once, then reports their sizes."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.found: dict[str, list[Any]] = {}
        self.snapshot: tracemalloc.Snapshot | None = None
        self.base: tracemalloc.Snapshot | None = None  # the first taken after TRACE_BASE_S
        self.started = time.monotonic()
        self.dumps = 0
        self.lock = threading.Lock()
        self.scanned_at = 0.0

    def find(self) -> bool:
        """Look through the heap once for the objects to report on (after the app is up)."""
        names = {
            "Table": "tables",
            "LiveViews": "views",
            "TriageService": "triage",
            "HistorySink": "history",
            "SeaBinding": "sea",
            "TrackBinding": "track",
            "Thinner": "thinner",
        }
        found: dict[str, list[Any]] = {}
        # The worker freezes its start-up heap (streams/collector.py), and gc lists no frozen
        # object: thawed for this one look (the worker froze everything alive after its first
        # recovery anyway), frozen again after it.
        frozen = gc.get_freeze_count()
        gc.unfreeze()
        try:
            objects = gc.get_objects()
        finally:
            if frozen:
                gc.freeze()
        for obj in objects:
            kind = names.get(type(obj).__name__)
            if kind is not None:
                found.setdefault(kind, []).append(obj)
        if "tables" in found and "views" in found:
            self.found = found
            return True
        return False

    def report(self, scan: bool = True) -> dict[str, Any]:
        """What the worker holds now; without `scan`, only the allocators' figures."""
        out: dict[str, Any] = {"at": time.time(), "pid": os.getpid()}
        parts: tuple[tuple[str, Any], ...] = (("alloc", self._alloc),)
        if scan:
            if not self.found:
                self.find()
            parts += (
                ("tables", self._tables),
                ("sea", self._sea),
                ("views", self._views),
                ("stages", self._stages),
                ("gc", self._gc),
            )
        for name, fn in parts:
            for _ in range(5):  # the event loop changes these dicts while we read them
                try:
                    out[name] = fn()
                    break
                except RuntimeError:
                    time.sleep(0.01)
        if TRACE and scan:
            out["tracemalloc"] = self._trace()
        if HOLDERS:
            out["holders"] = _holders()
        if GC_CENSUS and scan:
            out["garbage"] = _gc_census()
        return out

    def _store(self, table: Any) -> dict[bytes, Any]:
        data = table.data
        return getattr(data, "data", data)  # type: ignore[no-any-return]

    def _tables(self) -> dict[str, int]:
        out = {}
        for table in self.found.get("tables", []):
            store = self._store(table)
            out[table.name] = len(store)
            values = list(store.values())
            out[f"{table.name}_bytes"] = sum(len(v) for v in values if isinstance(v, bytes))
        return out

    def _sea(self) -> dict[str, Any]:
        sea = next((t for t in self.found.get("tables", []) if t.name == "sea"), None)
        if sea is None:
            return {}
        keys = list(self._store(sea).items())
        heads = ticks = runs = ended = held = clocks = other = 0
        watched_bytes = silences = fixes = 0
        oldest_tick: float | None = None
        oldest_end: float | None = None
        oldest_run_last: float | None = None
        w1: list[float] = []
        w2: list[float] = []
        for key, raw in keys:
            k = key.decode(errors="replace")
            if k.startswith("c:"):
                if "@" in k:
                    ticks += 1
                    t = float(k.rsplit("@", 1)[1])
                    oldest_tick = t if oldest_tick is None else min(oldest_tick, t)
                else:
                    heads += 1
            elif k.startswith("p:"):
                value = json.loads(raw)
                if value.get("buf"):
                    held += 1
                if "run" in value:
                    runs += 1
                    last = float(value["run"]["last"])
                    oldest_run_last = (
                        last if oldest_run_last is None else min(oldest_run_last, last)
                    )
                elif "ended" in value:
                    ended += 1
                    e = float(value["ended"])
                    oldest_end = e if oldest_end is None else min(oldest_end, e)
            elif k.startswith("watched~v:") or k == "watched":  # a watched vessel (0.1.0: all)
                watched_bytes += len(raw)
                value = json.loads(raw)
                vessels = value.values() if k == "watched" else [value]
                silences += sum(len(v.get("silences") or []) for v in vessels)
                fixes += sum(len(v.get("fixes") or []) for v in vessels)
            elif k.startswith("wm:"):
                clocks += 1
                marks = json.loads(raw).get("marks", {})
                for level, into in (("1", w1), ("2", w2)):
                    times = [p[0] for p in marks.get(level, {}).get("p", {}).values() if p[0]]
                    if times:
                        into.append(min(times))
            else:
                other += 1
        return {
            "keys": len(keys),
            "cell_heads": heads,
            "cell_ticks": ticks,
            "pairs_running": runs,
            "pairs_ended": ended,
            "pairs_holding": held,
            "clocks": clocks,
            "other": other,
            "watched_bytes": watched_bytes,
            "watched_silences": silences,
            "watched_fixes": fixes,
            "oldest_tick": oldest_tick,
            "oldest_end_marker": oldest_end,
            "oldest_run_last": oldest_run_last,
            "track_watermark": min(w1) if w1 else None,
            "sea_watermark": min(w2) if w2 else None,
        }

    def _views(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for views in self.found.get("views", []):
            out["feed_alerts"] = len(views.feed.alerts)
            out["feed_subscribers"] = len(views.feed.subscribers)
            out["directory"] = len(views.directory.vessels)
            out["nearby"] = len(views.nearby.vessels)
            out["feed_sources"] = len(views.feeds.sources)
        for service in self.found.get("triage", []):
            out["triage_states"] = len(service.board.states)
            out["triage_ids"] = len(service.ids)
            out["triage_subscribers"] = len(service.subscribers)
        return out

    def _stages(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for track in self.found.get("track", []):
            out["track_cached_states"] = len(track.states.states)
            out["track_frames_unacked"] = len(track.frames)
            out["track_sends"] = len(track.sends)
            out["track_marks"] = len(track.marks)
        for sea in self.found.get("sea", []):
            out["sea_clocks"] = len(sea.clocks)
            out["sea_watermarks"] = len(sea.watermarks)
        out["thinner_vessels"] = sum(len(t.kept) for t in self.found.get("thinner", []))
        # The sea binding's partition caches: the cell, pair and event keys in use.
        from streams.bindings import sea as sea_binding

        out["sea_keys_cached"] = sum(len(p) for p in sea_binding._partitioners.values())
        return out

    def _gc(self) -> dict[str, Any]:
        return {
            "counts": list(gc.get_count()),
            "threshold": list(gc.get_threshold()),
            "objects": len(gc.get_objects()),  # the allocators' own figures: `_alloc`
        }

    def _alloc(self) -> dict[str, Any]:
        return {
            "pymalloc_blocks": sys.getallocatedblocks(),
            "pymalloc": _pymalloc_stats(),
            "malloc": _mallinfo(),
        }

    def _trace(self) -> dict[str, Any]:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),)
        )
        current, peak = tracemalloc.get_traced_memory()
        top = snapshot.statistics("lineno")[:TOP]
        out: dict[str, Any] = {
            "traced_mb": current / 2**20,
            "peak_mb": peak / 2**20,
            "top": [[str(s.traceback[0]), s.size, s.count] for s in top],
        }
        if self.snapshot is not None:
            out["grew"], out["grew_stacks"] = _grew(snapshot, self.snapshot)
        if self.base is not None:
            out["grew_since_base"], out["grew_stacks_since_base"] = _grew(snapshot, self.base)
        elif time.monotonic() - self.started >= TRACE_BASE_S:
            self.base = snapshot
        self.snapshot = snapshot
        return out

    def dump(self) -> None:
        """Write the report (atomically: a reader never sees half a file)."""
        with self.lock:
            now = time.monotonic()
            asked = self.out.with_suffix(".scan")  # the soak asks for a full report (its last)
            scan = asked.exists() or not self.scanned_at or now - self.scanned_at >= SCAN_EVERY_S
            asked.unlink(missing_ok=True)
            if scan:
                self.scanned_at = now
            report = self.report(scan)
            self.dumps += 1
            report["dump"] = self.dumps
            tmp = self.out.with_suffix(".tmp")
            tmp.write_text(json.dumps(report))
            tmp.replace(self.out)
            with self.out.with_suffix(".jsonl").open("a") as log:
                log.write(json.dumps({k: v for k, v in report.items() if k != "tracemalloc"}))
                log.write("\n")
            if "tracemalloc" in report:  # each trace in a file of its own: they are long
                with self.out.with_suffix(".traces.jsonl").open("a") as log:
                    log.write(json.dumps({"at": report["at"], **report["tracemalloc"]}) + "\n")


def _grew(now: tracemalloc.Snapshot, then: tracemalloc.Snapshot) -> tuple[list[Any], list[Any]]:
    """What grew from `then` to `now`: by line, and the largest by their last 8 frames."""
    lines = now.compare_to(then, "lineno")[:TOP]
    stacks = now.compare_to(then, "traceback")[:8]
    return (
        [[str(s.traceback[0]), s.size_diff, s.count_diff] for s in lines],
        [[s.size_diff, s.count_diff, [str(f) for f in s.traceback[-8:]]] for s in stacks],
    )


def _gc_census(top: int = 25) -> dict[str, Any]:
    """The cyclic garbage waiting for a collection: counted by type (frames, functions and
    coroutines by their code), then freed."""
    kinds: dict[str, int] = {}
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        found = gc.collect()
        for obj in gc.garbage:
            name = type(obj).__qualname__
            code = getattr(obj, "f_code", None) or getattr(obj, "__code__", None)
            code = code or getattr(obj, "cr_code", None)
            if code is not None:
                name += f" {code.co_qualname} {code.co_filename.rsplit('/', 2)[-1]}"
            kinds[name] = kinds.get(name, 0) + 1
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    gc.collect()
    ranked = sorted(kinds.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return {"found": found, "types": [list(kv) for kv in ranked]}


def _holders(least: int = 64, top: int = 12) -> dict[str, Any]:
    """Who holds the heap's buffers: bytes and bytearrays of `least` bytes or more, reached
    from each object the garbage collector tracks directly or through the untracked tuples and
    dicts it holds (those made only of atomic values, such as a dict of bytes to bytes, are not
    tracked themselves): totals by the holder's type, the largest holders, the longest ones."""
    by_type: dict[str, list[int]] = {}
    single: list[tuple[int, int, str, int, str]] = []
    for obj in gc.get_objects():
        held = count = 0
        reached = 0
        for ref in gc.get_referents(obj):
            if isinstance(ref, bytes | bytearray):
                if len(ref) >= least:
                    held += len(ref)
                    count += 1
            elif isinstance(ref, tuple | dict) and not gc.is_tracked(ref):
                for inner in gc.get_referents(ref):
                    if isinstance(inner, bytes | bytearray) and len(inner) >= least:
                        held += len(inner)
                        count += 1
                        reached = max(reached, len(ref))
        if held:
            name = type(obj).__name__
            entry = by_type.setdefault(name, [0, 0])
            entry[0] += held
            entry[1] += count
            size = len(obj) if isinstance(obj, dict | list | tuple | set) else -1
            sample = ""
            if isinstance(obj, dict) and obj:
                sample = repr(next(iter(obj)))[:60]
            elif isinstance(obj, list) and obj:
                sample = repr(obj[0])[:60]
            single.append((held, count, name, size, sample))
    single.sort(reverse=True)
    kinds = sorted(by_type.items(), key=lambda kv: kv[1][0], reverse=True)[:top]
    return {
        "by_type": [[name, held, count] for name, (held, count) in kinds],
        "single": [list(s) for s in single[:top]],
    }


_PYMALLOC_FIELDS = {
    "# arenas allocated total": "arenas_total",
    "# arenas reclaimed": "arenas_reclaimed",
    "# arenas highwater mark": "arenas_highwater",
    "# arenas allocated current": "arenas",
    "# bytes in allocated blocks": "allocated_bytes",
    "# bytes in available blocks": "available_bytes",
}


def _pymalloc_stats() -> dict[str, int]:
    """Python's object allocator: its arenas and the bytes in their blocks, parsed from
    `_PyObject_DebugMallocStats` (sys._debugmallocstats's text, written here to a memory
    stream instead of stderr); {} where that is not to be had."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        stats = ctypes.pythonapi._PyObject_DebugMallocStats
    except (OSError, AttributeError):
        return {}
    stats.argtypes = [ctypes.c_void_p]
    libc.open_memstream.restype = ctypes.c_void_p
    libc.open_memstream.argtypes = [
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.free.argtypes = [ctypes.c_void_p]
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        return {}
    try:
        stats(stream)
    finally:
        libc.fclose(stream)
    text = ctypes.string_at(buf, size.value).decode(errors="replace")
    libc.free(ctypes.cast(buf, ctypes.c_void_p))
    out: dict[str, int] = {}
    for line in text.splitlines():
        label, _, value = line.partition("=")
        name = _PYMALLOC_FIELDS.get(label.strip())
        if name is not None:
            out[name] = int(value.strip().replace(",", ""))
    return out


def _mallinfo() -> dict[str, int]:
    """glibc's heap: in use, free but kept, mmapped (mallinfo2), in bytes; {} elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        fields = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks")
        fields += ("uordblks", "fordblks", "keepcost")

        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in fields]

        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    return {
        "arena": info.arena,
        "in_use": info.uordblks,
        "free": info.fordblks,
        "mmapped": info.hblkhd,
        "top_pad": info.keepcost,
    }


def _trim_loop(every: float) -> None:
    """SOAK_TRIM_S=<s>: glibc's malloc_trim(0) every so often, which hands the free pages
    inside the heap back to the system (an experiment: what the allocator keeps)."""
    from streams.memory_trim import malloc_trim  # here: nothing is imported before tracemalloc

    trim = malloc_trim()
    while trim is not None:
        time.sleep(every)
        trim(0)


def _spike_loop(top_share: float, out: Path) -> None:
    """SOAK_SPIKES: read the block count 20 times a second into a series, and count the
    threads' innermost frames in the readings among the highest `top_share` of the last
    minute's (and, for scale, in every 100th reading)."""
    import bisect
    from collections import Counter, deque

    window: deque[int] = deque()  # the last minute's readings, in time order...
    ranked: list[int] = []  # ...and sorted
    spikes: Counter[str] = Counter()
    calm: Counter[str] = Counter()
    n = high = 0
    started = written = time.monotonic()
    # With SOAK_TRACEMALLOC=1: a trace at a low reading, and at a peak reading at least 10 s
    # later, compared: the lines that allocated the peak's extra blocks.
    low_trace: tracemalloc.Snapshot | None = None
    traced_at = 0.0
    grew: Counter[str] = Counter()
    traced = 0
    names: dict[int | None, str] = {}
    series = out.with_suffix(".series")
    with series.open("w") as lines:
        while True:
            time.sleep(0.05)
            now, blocks = time.monotonic(), sys.getallocatedblocks()
            window.append(blocks)
            bisect.insort(ranked, blocks)
            if len(window) > 1200:
                ranked.pop(bisect.bisect_left(ranked, window.popleft()))
            n += 1
            peak = len(ranked) >= 200 and blocks >= ranked[int(len(ranked) * (1 - top_share))]
            frames = sys._current_frames()
            tops = {}
            for ident, frame in frames.items():
                if ident not in names:
                    names = {t.ident: t.name for t in threading.enumerate()}
                tops[names.get(ident, str(ident))] = frame.f_code.co_name
            lines.write(
                f"{now - started:.2f} {blocks} {tops.get('MainThread', '-')} "
                f"{tops.get('history_0', '-')}\n"
            )
            if TRACE and len(ranked) >= 200 and now - traced_at >= 10.0:
                if blocks <= ranked[len(ranked) // 5]:
                    low_trace, traced_at = tracemalloc.take_snapshot(), now
                elif peak and low_trace is not None:
                    diff = tracemalloc.take_snapshot().compare_to(low_trace, "lineno")
                    low_trace, traced_at = None, now
                    traced += 1
                    for stat in diff[:25]:
                        if stat.count_diff > 0:
                            grew[str(stat.traceback[0])] += stat.count_diff
            if peak or n % 100 == 0:
                high += peak
                into = spikes if peak else calm
                for ident, frame in frames.items():
                    if ident == threading.get_ident():
                        continue
                    stack = []
                    f: Any = frame
                    while f is not None and len(stack) < 8:
                        code = f.f_code
                        stack.append(f"{Path(code.co_filename).name}:{code.co_name}:{f.f_lineno}")
                        f = f.f_back
                    into[f"{names.get(ident, ident)} | " + " < ".join(stack)] += 1
            if now - written >= 30.0:
                written = now
                lines.flush()
                report = {
                    "readings": n,
                    "high": high,
                    "spikes": spikes.most_common(60),
                    "calm": calm.most_common(30),
                    "traced_peaks": traced,
                    "peak_blocks_by_line": grew.most_common(40),
                }
                tmp = out.with_suffix(".tmp")
                tmp.write_text(json.dumps(report, indent=1))
                tmp.replace(out)


def _loop(probe: Probe) -> None:
    time.sleep(min(EVERY_S, 20.0))
    while True:
        try:
            probe.dump()
        except Exception as exc:  # a probe must never take the worker down
            print(f"soak probe: {exc!r}", file=sys.stderr)
        time.sleep(EVERY_S)


def main() -> int:
    """Start the probe's thread, then run `shipwatch` as its command line says."""
    _patch()
    _shrink()
    if os.environ.get("SOAK_PRODUCT_TRIM") == "0":
        import streams.memory_trim  # before streams.monitoring takes its trimmer

        streams.memory_trim.trimmer = lambda: None
    flush = os.environ.get("SOAK_HISTORY_FLUSH_S")
    if flush:
        import streams.bindings.history_sink  # read at each poll: set before the worker starts

        streams.bindings.history_sink.FLUSH_S = float(flush)
    young = os.environ.get("SOAK_GC_YOUNG")
    if young:
        import streams.collector  # before shipwatch's main tunes the collector with it

        streams.collector.YOUNG_THRESHOLD = int(young)
    trim = float(os.environ.get("SOAK_TRIM_S", "0"))
    if trim > 0:
        threading.Thread(target=_trim_loop, args=(trim,), name="soak-trim", daemon=True).start()
    spikes = float(os.environ.get("SOAK_SPIKES", "0"))
    if spikes > 0 and OUT:
        out = Path(OUT).with_suffix(".spikes.json")
        threading.Thread(
            target=_spike_loop, args=(spikes, out), name="soak-spikes", daemon=True
        ).start()
    if OUT:
        probe = Probe(Path(OUT))
        # Not on a signal: Faust's worker takes SIGUSR1 (it dumps the tasks' stacks).
        threading.Thread(target=_loop, args=(probe,), name="soak-probe", daemon=True).start()
    from shipwatch.cli.main import main as shipwatch_main

    return shipwatch_main()


if __name__ == "__main__":
    raise SystemExit(main())
