"""Upgrades keep state: every release's recorded topics, changelogs and history, read by this one.

`scripts/record_upgrade_fixtures.py` keeps a sample of what a release writes, exactly as its code
wrote it, in `tests/data/upgrade/<release>/` (docs/guarantees.md, "Upgrades keep state"). Here
every release's directory is read with this release's readers (the ones a worker, a page or the
history sink uses), and what they restore must be usable: a restored vessel state takes the next
position, a voyage state the next fence event, cap totals the next delivery, the sea's values
the end of the input; a frame gives the records it carried; an alert parses into the model; the
history database opens, answers queries and takes new rows. And the current release must have
recorded every topic and table it has: a new topic or table without a fixture fails here.

A directory is never written over once its release is out: a later release that changes a
format adds its own directory and reads the old ones through its migrations, which these tests
then exercise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from alerts.context import RuleContext
from alerts.models import Alert
from geofences.index import FenceIndex
from geofences.map_areas import MapAreas
from geofences.track_state import fences_of
from shipwatch.ais.json_form import as_json, json_bytes
from shipwatch.ais.raw_message import decode_message
from shipwatch.ais.records import Position, Sighting, Static
from shipwatch.ais.timefmt import iso_of
from shipwatch.history.records import Batch, alert_row
from shipwatch.history.store import FORMAT as HISTORY_FORMAT
from shipwatch.history.store import HistoryStore
from shipwatch.pipeline.cap_stage import cap_key
from shipwatch.pipeline.frames import parse_frame
from shipwatch.pipeline.graph import STATES, alert_key, alert_step, cap_step, voyage_step
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from shipwatch.pipeline.track_stage import track_batch
from shipwatch.pipeline.vessel_state import VesselState
from shipwatch.pipeline.watched import watched_by
from shipwatch.pipeline.write_back import WriteBack
from shipwatch.sea import cells, encounters, watched
from shipwatch.sea.sampler import SeaContext
from shipwatch.sea.stage import end_of_input, sea_batch
from shipwatch.sea.store import MemoryStore
from shipwatch.sea.zones import SeaZones
from shipwatch.settings import Settings
from shipwatch.triage.board import TriageBoard, read_record
from shipwatch.voyages.machine import VoyageState
from shipwatch.web.feed_status import FeedBoard
from streams.app import Wiring, create_app
from streams.kafka.topics import TOPICS
from tests.unit.upgrade.facts import (
    alert_facts,
    caps_facts,
    frame_facts,
    sea_facts,
    tracks_facts,
    voyages_facts,
)

ROOT = Path(__file__).resolve().parents[3]
UPGRADE = ROOT / "tests" / "data" / "upgrade"
# Fixture files of topics and tables a release no longer has ("topics/<name>.jsonl",
# "changelogs/<table>.jsonl"), with why: they are not read any more.
RETIRED: dict[str, str] = {}


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split("."))


def current_release() -> str:
    """The version in pyproject.toml."""
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


RELEASES = sorted(
    (d.name for d in UPGRADE.iterdir() if d.is_dir() and not d.name.startswith(".")),
    key=_version,
)


@dataclass(frozen=True)
class Line:
    """One recorded record: where it was, its bytes, and what its release found in it."""

    partition: int
    offset: int
    timestamp: int | None
    headers: list[tuple[str, bytes | None]]
    key: bytes | None
    value: bytes | None
    expect: dict[str, Any] | None

    def json(self) -> Any:
        """The value as JSON."""
        assert self.value is not None
        return orjson.loads(self.value)


def _bytes(entry: dict[str, Any], name: str) -> bytes | None:
    if f"{name}_b64" in entry:
        return base64.b64decode(entry[f"{name}_b64"])
    text = entry.get(name)
    return None if text is None else str(text).encode()


@dataclass(frozen=True)
class Release:
    """One release's directory."""

    name: str

    @property
    def root(self) -> Path:
        """Its directory."""
        return UPGRADE / self.name

    @property
    def manifest(self) -> dict[str, Any]:
        """Its manifest."""
        return _manifest(self.name)

    @property
    def current(self) -> bool:
        """Whether it is this release's own directory (its bytes must be ours to the byte)."""
        return self.name == current_release()

    def lines(self, path: str) -> list[Line]:
        """The records of one file."""
        return _lines(self.name, path)

    def topic(self, name: str) -> list[Line]:
        """The records of one topic."""
        return self.lines(f"topics/{name}.jsonl")


@cache
def _manifest(release: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((UPGRADE / release / "manifest.json").read_text())
    return loaded


@cache
def _lines(release: str, path: str) -> list[Line]:
    out = []
    for text in (UPGRADE / release / path).read_text().splitlines():
        entry = json.loads(text)
        headers = [(h["name"], _bytes(h, "value")) for h in entry["headers"]]
        out.append(
            Line(
                entry["partition"],
                entry["offset"],
                entry["timestamp"],
                headers,
                _bytes(entry, "key"),
                _bytes(entry, "value"),
                entry.get("expect"),
            )
        )
    return out


def _files() -> list[tuple[str, str]]:
    return [
        (release, path)
        for release in RELEASES
        for path in sorted(_manifest(release)["files"])
        if path.endswith(".jsonl")
    ]


@dataclass
class Readers:
    """What this release reads with: the fences and rules, the sea's context, the app's tables
    (whose serializers decode the changelogs as Faust's recovery does)."""

    index: FenceIndex
    ctx: RuleContext
    sea: SeaContext
    wiring: Wiring

    def table_value(self, table: str, line: Line) -> Any:
        """A changelog record's key and value as the table holds them after recovery."""
        found: Any = self.wiring.app.tables[table]
        serializers = self.wiring.app.serializers
        key = serializers.loads_key(found.key_type, line.key, serializer=found.key_serializer)
        assert key == line.key  # keys are bytes on every table
        if line.value is None:
            return None
        return serializers.loads_value(
            found.value_type, line.value, serializer=found.value_serializer
        )


@pytest.fixture(scope="module")
def readers(
    core: tuple[FenceIndex, RuleContext], tmp_path_factory: pytest.TempPathFactory
) -> Readers:
    index, ctx = core
    sea = SeaContext(ctx.sea_rules, SeaZones(index, ctx.sea_rules), watched_by(ctx))
    wiring = create_app(Settings(data_dir=tmp_path_factory.mktemp("app")))
    return Readers(index, ctx, sea, wiring)


# ---------------------------------------------------------------- the directories themselves


def test_this_release_has_recorded_its_fixtures() -> None:
    release = current_release()
    assert release in RELEASES, (
        f"no tests/data/upgrade/{release}/: run `.venv/bin/python "
        "scripts/record_upgrade_fixtures.py` for this release (docs/guarantees.md)"
    )
    assert _manifest(release)["release"] == release


def test_every_topic_and_table_of_this_release_has_a_fixture(tmp_path: Path) -> None:
    files = _manifest(current_release())["files"]
    topics = {entry["topic"] for entry in files.values() if "topic" in entry}
    tables = {entry["table"] for entry in files.values() if "table" in entry}
    assert set(TOPICS) <= topics, f"topics without a fixture: {set(TOPICS) - topics}"
    app_tables = set(create_app(Settings(data_dir=tmp_path)).app.tables)
    wanted = app_tables | set(STATES)
    assert wanted <= tables, f"tables without a fixture: {wanted - tables}"
    assert "history/history.sqlite3" in files


@pytest.mark.parametrize("release", RELEASES)
def test_the_files_are_as_recorded(release: str) -> None:
    """A release's fixtures are never edited: they are what its script wrote."""
    manifest = _manifest(release)
    assert manifest["release"] == release
    for path, entry in manifest["files"].items():
        data = (UPGRADE / release / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], path
        if path.endswith(".jsonl"):
            assert len(data.splitlines()) == entry["records"] > 0, path
    found = {str(p.relative_to(UPGRADE / release)) for p in (UPGRADE / release).rglob("*.*")}
    assert found == {*manifest["files"], "manifest.json"}


def test_the_fixtures_stay_small() -> None:
    total = sum(p.stat().st_size for p in UPGRADE.rglob("*") if p.is_file())
    assert total < 400_000 * len(RELEASES)


# ---------------------------------------------------------------- every record, read


@pytest.mark.parametrize(("release", "path"), _files(), ids=lambda v: str(v))
def test_every_record_is_read(release: str, path: str, readers: Readers) -> None:
    entry = _manifest(release)["files"][path]
    name = entry.get("topic") or entry.get("table")
    if path in RETIRED:
        pytest.skip(f"{path} is retired: {RETIRED[path]}")
    checks = TOPIC_CHECKS if "topic" in entry else TABLE_CHECKS
    check = checks.get(name)
    assert check is not None, (
        f"no reader for {name!r} ({path}): a topic or table this release no longer has goes "
        "into RETIRED with the reason"
    )
    check(Release(release), Release(release).lines(path), readers)


Check = Callable[[Release, list[Line], Readers], None]


def _ais_raw(release: Release, lines: list[Line], readers: Readers) -> None:
    """A fresh ingest stage (a new worker's) over each partition's records as one poll makes
    what the release's own made of them."""
    areas = MapAreas(readers.index)
    stage = IngestStage(
        "shipwatch.ais-raw",
        Routing(lambda mmsi: 0, lambda lat, lon: areas.area_of(lat, lon) is not None),
    )
    counts = {"positions": 0, "nearby": 0, "statics": 0, "sightings": 0, "dead_letters": 0}
    for partition in sorted({line.partition for line in lines}):
        messages = [_raw_message(line) for line in lines if line.partition == partition]
        routed = stage.batch(partition, messages)
        routed.dead_letters += stage.finish(partition).dead_letters
        counts["positions"] += len(routed.positions)
        counts["nearby"] += len(routed.nearby)
        counts["statics"] += len(routed.statics)
        counts["sightings"] += len(routed.sightings)
        counts["dead_letters"] += len(routed.dead_letters)
        for _, letter in routed.dead_letters:
            assert orjson.loads(letter)["stage"] == "ingest"
    wanted = release.manifest["facts"]["ais-raw"]
    assert {k: v for k, v in counts.items() if k in wanted} == wanted
    for line in lines:  # a feed's lines name their receiver
        for name, header in line.headers:
            assert name == "source" and header


@dataclass(frozen=True)
class _RawMessage:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int


def _raw_message(line: Line) -> _RawMessage:
    """A raw record as ingest reads it; one without a Kafka timestamp stamped 0, as recorded."""
    return _RawMessage(line.partition, line.offset, line.key, line.value, line.timestamp or 0)


def _normalized(kind: type[Position] | type[Static] | type[Sighting]) -> Check:
    def check(release: Release, lines: list[Line], readers: Readers) -> None:
        for line in lines:
            assert line.value is not None
            [record] = decode_message(line.value)
            assert isinstance(record, kind)
            if isinstance(record, Sighting):
                assert line.key == record.sighting_id.encode()
            else:
                assert line.key == str(record.mmsi).encode()
            if release.current:
                assert json_bytes(as_json(record)) == line.value

    return check


def _frame_facts(line: Line) -> dict[str, Any]:
    assert line.value is not None
    return frame_facts(line.value)


def _frames(release: Release, lines: list[Line], readers: Readers) -> None:
    for line in lines:
        assert _frame_facts(line) == line.expect
        records, _ = parse_frame(line.value or b"")
        states: WriteBack[VesselState] = WriteBack(lambda mmsi: None, VesselState)
        batch = track_batch(states, records, readers.index, readers.sea)
        assert batch.failed == []
        assert batch.positions + batch.statics == line.expect["kinds"].get("position", 0) + (
            line.expect["kinds"].get("static", 0)
        )


def _sea_frames(release: Release, lines: list[Line], readers: Readers) -> None:
    store = MemoryStore()
    rules, zones = readers.sea.rules, readers.sea.zones
    for line in lines:
        assert _frame_facts(line) == line.expect
        records, progress = parse_frame(line.value or b"")
        batch = sea_batch(store, records, rules, zones, line.partition, progress)
        assert [r for r in batch.refused if r[1] == "internal_error"] == []


def _history_frames(release: Release, lines: list[Line], readers: Readers) -> None:
    for line in lines:
        assert line.expect is not None and _frame_facts(line) == line.expect
        batch = Batch()
        batch.add("history", line.value)
        assert batch.skipped == 0
        assert len(batch.fixes) == line.expect["records"]


def _fence_events(release: Release, lines: list[Line], readers: Readers) -> None:
    stored: dict[str, Any] = {}
    for line in lines:
        event = line.json()
        assert line.key == str(event["mmsi"]).encode() and isinstance(event["seq"], int)
        out = voyage_step(stored.get, str(event["mmsi"]), event)
        stored.update(out.changed)
        batch = Batch()
        batch.add("geofence-events", line.value)
        assert batch.skipped == 0 and len(batch.events) == 1


def _voyage_events(release: Release, lines: list[Line], readers: Readers) -> None:
    step = alert_step(readers.ctx)
    for line in lines:
        event = line.json()
        key = (line.key or b"").decode()
        assert key == str(event["mmsi"] if event["mmsi"] is not None else event["sighting_id"])
        step(lambda _: None, key, event)
        batch = Batch()
        batch.add("voyage-events", line.value)
        assert batch.skipped == 0, f"the history skips {event['kind']}"


def _deliveries(release: Release, lines: list[Line], readers: Readers) -> None:
    step = cap_step(readers.ctx)
    stored: dict[str, Any] = {}
    for line in lines:
        out = step(stored.get, (line.key or b"").decode(), line.json())
        assert len(out.barrels) == 1  # each is on a watched route, and counted once
        stored.update(out.changed)


def _alerts(release: Release, lines: list[Line], readers: Readers) -> None:
    for line in lines:
        assert line.value is not None
        alert = Alert.model_validate_json(line.value)
        assert line.expect == alert_facts(line.value)
        assert line.key == alert_key(alert).encode()
        assert alert_row(line.json(), line.value)[0] == alert.alert_id
        if release.current:
            assert alert.to_json() == line.value


def _dead_letters(release: Release, lines: list[Line], readers: Readers) -> None:
    for line in lines:
        letter = line.json()
        assert letter["reason"] and letter["stage"] and letter["source"]
        raw = base64.b64decode(letter["raw_b64"])
        if letter["raw"] is not None:
            assert letter["raw"].encode() == raw


def _alert_state(release: Release, lines: list[Line], readers: Readers) -> None:
    board = TriageBoard()
    for line in lines:
        state = board.apply(line.json())
        assert state is not None and line.key == state["alert_id"].encode()
        if release.current:
            assert read_record(line.json()) == line.json()
    assert board.conflicts == 0


def _feed_status(release: Release, lines: list[Line], readers: Readers) -> None:
    board = FeedBoard()
    for line in lines:
        board.add(line.json())
        assert line.key is not None and line.key.decode() in board.sources


TOPIC_CHECKS: dict[str, Check] = {
    "ais-raw": _ais_raw,
    "positions": _normalized(Position),
    "nearby": _normalized(Position),
    "statics": _normalized(Static),
    "sightings": _normalized(Sighting),
    "frames": _frames,
    "sea": _sea_frames,
    "history": _history_frames,
    "geofence-events": _fence_events,
    "voyage-events": _voyage_events,
    "deliveries": _deliveries,
    "alerts": _alerts,
    "dead-letters": _dead_letters,
    "alert-state": _alert_state,
    "feed-status": _feed_status,
}


# ---------------------------------------------------------------- the tables, restored


def _tracks(release: Release, lines: list[Line], readers: Readers) -> None:
    for line in lines:
        value = readers.table_value("tracks", line)
        mmsi = int((line.key or b"").decode())
        state = VesselState.from_json(value)
        assert tracks_facts(value) == line.expect
        assert sorted(state.visits) == fences_of(value)
        again = VesselState.from_json(state.to_json())
        assert again.to_dict() == state.to_dict()
        if release.current:
            assert state.to_json() == value
        # The stage goes on from it: the vessel's next position, a minute later.
        newest = max(t for t in (state.newest_t, state.last_t) if t is not None)
        states: WriteBack[VesselState] = WriteBack({mmsi: state}.get, VesselState)
        record = _position(mmsi, newest + 60, state.last_lat + 0.001, state.last_lon + 0.001)
        batch = track_batch(states, [record], readers.index, readers.sea)
        assert batch.failed == [] and batch.stale == 0 and batch.positions == 1
        assert states.get(mmsi).newest_t == newest + 60


def _position(mmsi: int, t: float, lat: float, lon: float) -> dict[str, Any]:
    [record] = decode_message(
        orjson.dumps(
            {
                "kind": "position",
                "mmsi": mmsi,
                "ts": iso_of(t),
                "lat": lat,
                "lon": lon,
                "sog": 6.5,
                "cog": 45.0,
                "heading": 45,
                "nav_status": 0,
            }
        )
    )
    return as_json(record)


def _voyages(release: Release, lines: list[Line], readers: Readers) -> None:
    for line in lines:
        value = readers.table_value("voyages", line)
        state = VoyageState.from_dict(value)
        assert voyages_facts(value) == line.expect
        assert VoyageState.from_dict(state.to_dict()) == state
        if release.current:
            assert state.to_dict() == value
        # The stage goes on from it: the vessel's next fence event.
        key = (line.key or b"").decode()
        seq = state.last_seq + 1
        event = {
            "kind": "enter",
            "mmsi": int(key),
            "fence": "vostochny",
            "at": "2030-01-01T00:00:00Z",
            "observed_entry": True,
            "seq": seq,
        }
        out = voyage_step({key: value}.get, key, event)
        assert VoyageState.from_dict(out.changed[key]).last_seq == seq


def _caps(release: Release, lines: list[Line], readers: Readers) -> None:
    deliveries = [line.json() for line in release.topic("deliveries")]
    step = cap_step(readers.ctx)
    for line in lines:
        totals = readers.table_value("caps", line)
        key = (line.key or b"").decode()
        assert caps_facts(totals) == line.expect
        # The stage goes on from it: a delivery it has not seen, on the same route and year.
        route = key.split("|")[0]
        known = next(d for d in deliveries if cap_key(route, d) == key)
        new = {**known, "mmsi": 999_999_999}  # another vessel: another delivery
        out = step({key: totals}.get, route, new)
        assert len(out.barrels) == 1
        assert out.changed[key]["total"] > totals["total"]
        assert len(out.changed[key]["seen"]) == len(totals["seen"]) + 1


def _sea_table(release: Release, lines: list[Line], readers: Readers) -> None:
    rules, zones = readers.sea.rules, readers.sea.zones
    store = MemoryStore()
    for line in sorted(lines, key=lambda x: (x.partition, x.offset)):
        raw = readers.table_value("sea", line)
        key = (line.key or b"").decode()
        if raw is None:
            store.delete(key)
            continue
        assert sea_facts(key, raw) == line.expect
        value = orjson.loads(raw)
        if release.current:
            assert orjson.dumps(value) == raw
        store.put(key, value)
    # Every key the stage keeps is usable by the functions that read it.
    for key, value in list(store.data.items()):
        if key.startswith("wm:"):
            assert {"marks", "due", "next"} <= set(value)
        elif key.startswith("p:"):
            encounters.due_at(store, key, rules)
        elif key in (watched.KEY, watched.VESSELS_KEY) or key.startswith(watched.VESSEL_PREFIX):
            sighting = {"t": 1_711_500_000.0, "lat": 42.75, "lon": 133.05}
            watched.candidates(watched.vessels(store), sighting, rules)
        elif key == watched.DARK_KEY:
            watched.due_at(store, rules)
        else:
            cell = key.split("@")[0]
            cells.due_at(store, cell, rules)
    # And the stage takes them to the end of the input: everything due is decided.
    partitions = {int(k.split(":")[1]) for k in store.data if k.startswith("wm:")}
    for partition in sorted(partitions):
        sources = release.manifest["partitions"]
        out = end_of_input(store, partition, rules, zones, sources=sources)
        assert [r for r in out.refused if r[1] == "internal_error"] == []


TABLE_CHECKS: dict[str, Check] = {
    "tracks": _tracks,
    "voyages": _voyages,
    "caps": _caps,
    "sea": _sea_table,
}


# ---------------------------------------------------------------- the history database


@pytest.mark.parametrize("release", RELEASES)
def test_the_history_database_opens_and_answers(release: str, tmp_path: Path) -> None:
    copy = tmp_path / "history.sqlite3"  # opening writes (WAL, the format): never the fixture
    shutil.copyfile(UPGRADE / release / "history" / "history.sqlite3", copy)
    facts = _manifest(release)["facts"]["history"]
    store = HistoryStore(copy)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == HISTORY_FORMAT
        assert sorted([t, p, o] for (t, p), o in store.offsets().items()) == facts["offsets"]
        assert store.db.execute("SELECT count(*) FROM fixes").fetchone()[0] == facts["fixes"]
        assert store.db.execute("SELECT count(*) FROM events").fetchone()[0] == facts["events"]
        for alert_id in facts["alerts"]:
            found = store.alert(alert_id)
            assert found is not None and found["alert_id"] == alert_id
        for mmsi, wanted in facts["vessels"].items():
            history = store.vessel(int(mmsi))
            assert history is not None
            assert history.identity.get("name") == wanted["name"]
            assert (len(history.track), len(history.timeline)) == (
                wanted["fixes"],
                wanted["timeline"],
            )
            if wanted["name"]:
                assert int(mmsi) in [v["mmsi"] for v in store.search(wanted["name"])]
        # It goes on: the next fix of a vessel it holds.
        mmsi = int(next(iter(facts["vessels"])))
        batch = Batch()
        fix = _position(mmsi, 1_750_000_000.0, 42.0, 133.0)
        batch.add("history", orjson.dumps({"records": [fix]}))
        batch.offsets[("history", 0)] = 10**9
        store.write(batch)
        history = store.vessel(mmsi, days=1)
        assert history is not None and history.track[-1].ts == fix["ts"]
    finally:
        store.close()
