"""Faults of the broker and of the input: a broker restart mid-stream, a tenth of the input bad."""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.harness import start_worker
from shipwatch import broker
from shipwatch.ais.reading import Decoded, Tally, decode_files
from shipwatch.broker.ports import free_port
from shipwatch.scenarios.reference import SCENARIO_PATH
from shipwatch.settings import Settings
from tests.fixtures import wait_until
from tests.fixtures.kafka import (
    alert_id,
    cli,
    fresh_namespace,
    read_topic,
    scenario_alert_ids,
    settle,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

# How long the broker stays down in the restart scenario: far inside the worker's producer
# timeout (20 min by default), so every send waits for the broker to come back.
SHORT_OUTAGE_S = 5.0


def split_scenario(tmp_path: Path, first_rows: int) -> tuple[Path, Path]:
    """The reference scenario as two files, each with the header: first rows, then the rest."""
    header, *rows = SCENARIO_PATH.read_text().splitlines(keepends=True)
    first, rest = tmp_path / "first.csv", tmp_path / "rest.csv"
    first.write_text(header + "".join(rows[:first_rows]))
    rest.write_text(header + "".join(rows[first_rows:]))
    return first, rest


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[Settings]:
    """A broker of this test alone, which it may stop and start again."""
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port(pair=True)}",
        broker_home=tmp_path / "broker",
    )
    broker.start(settings, timeout=180)
    try:
        yield settings
    finally:
        broker.stop(settings)


def log_excerpt(text: str, lines: int = 40) -> str:
    """The last lines of a worker log, without the client's reconnect attempts (thousands)."""
    noise = ("Unable connect to node", "Unable to update metadata", "Failed fetch messages")
    kept = [line for line in text.splitlines() if not any(n in line for n in noise)]
    return "\n".join(kept[-lines:])


def test_the_worker_rides_out_a_broker_restart_and_loses_nothing(
    private_broker: Settings, tmp_path: Path
):
    expected = scenario_alert_ids()
    settings = fresh_namespace(private_broker.kafka_bootstrap, tmp_path)
    # The first 3000 rows raise 15 of the 35 alerts.
    first, rest = split_scenario(tmp_path, 3000)
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        replayed = cli(settings, "replay", "--max", str(first))
        assert replayed.returncode == 0, replayed.stderr
        # Stop the broker (cleanly, as `shipwatch broker stop` does) once the worker is busy
        # with the first part: it has alerts out and most of the part still to do.
        read_topic(settings, "alerts", wait=60, enough=lambda v: len(v) >= 2)
        before = broker.status(private_broker).pid
        assert broker.stop(private_broker)
        # Not a wait for anything: the outage itself, as long as the scenario says.
        time.sleep(SHORT_OUTAGE_S)
        # The same home and port, data kept: the topics, offsets and changelogs survive.
        assert broker.start(private_broker, timeout=180).pid != before
        replayed = cli(settings, "replay", "--max", str(rest))
        assert replayed.returncode == 0, replayed.stderr
        alerts = settle(settings, "alerts", at_least=len(expected), wait=240, key=alert_id)
        text = worker.log.read_text(errors="replace")
        log = log_excerpt(text)
        # The client's reconnect storm (thousands of lines a second) is throttled to a few.
        assert sum("Unable connect to node" in line for line in text.splitlines()) < 100
        assert "--- Logging error ---" not in text
        # The same worker process did it all: nobody restarted it.
        assert worker.process.poll() is None, f"the worker exited:\n{log}"
        # At-least-once: an alert may come twice, always with the same id.
        assert {alert_id(v) for v in alerts} == expected, log
    finally:
        worker.stop()


# The long outage: the worker's producer timeout shortened to PRODUCER_TIMEOUT_S (20 min by
# default), the broker held down for LONG_OUTAGE_S, well past it.
PRODUCER_TIMEOUT_S = 5.0
LONG_OUTAGE_S = 20.0
# What the worker logs when a send fails: in the track stage (streams/bindings/track.py), the
# voyage, alert or cap stage (streams/bindings/agents.py) or the sea stage (bindings/sea.py).
SEND_FAILED = ("cannot make the stage's work durable, stopping", "a send failed, stopping")


def test_a_broker_outage_past_the_producer_timeout_stops_the_worker_a_restart_loses_nothing(
    private_broker: Settings, tmp_path: Path
):
    expected = scenario_alert_ids()
    settings = fresh_namespace(private_broker.kafka_bootstrap, tmp_path)
    timeout = {"SHIPWATCH_KAFKA_PRODUCER_TIMEOUT_S": str(PRODUCER_TIMEOUT_S)}
    first, rest = split_scenario(tmp_path, 3000)
    worker = start_worker(settings, tmp_path / "worker.log", extra_env=timeout)
    restarted = None
    try:
        worker.wait_ready()
        replayed = cli(settings, "replay", "--max", str(first))
        assert replayed.returncode == 0, replayed.stderr
        read_topic(settings, "alerts", wait=60, enough=lambda v: len(v) >= 2)
        assert broker.stop(private_broker)
        down_at = time.monotonic()
        # Sends in flight expire after PRODUCER_TIMEOUT_S: the worker stops by itself, loudly,
        # while the broker is still away (so it commits nothing after the failed sends).
        wait_until(
            lambda: worker.process.poll() is not None,
            timeout=LONG_OUTAGE_S,
            what="the worker to stop on its failed sends",
        )
        text = worker.log.read_text(errors="replace")
        assert worker.process.returncode != 0, log_excerpt(text)
        assert any(reason in text for reason in SEND_FAILED), log_excerpt(text)
        assert "We experienced a crash" in text, log_excerpt(text)
        # The outage itself, not a wait for anything: the rest of LONG_OUTAGE_S.
        time.sleep(max(0.0, LONG_OUTAGE_S - (time.monotonic() - down_at)))
        broker.start(private_broker, timeout=180)
        # The test restarts the worker, as a supervisor would: it recovers the last durable
        # states and reads again everything after the last commit.
        restarted = start_worker(settings, tmp_path / "restarted.log", extra_env=timeout)
        restarted.wait_ready()
        replayed = cli(settings, "replay", "--max", str(rest))
        assert replayed.returncode == 0, replayed.stderr
        alerts = settle(settings, "alerts", at_least=len(expected), wait=150, key=alert_id)
        log = log_excerpt(restarted.log.read_text(errors="replace"))
        assert restarted.process.poll() is None, f"the restarted worker exited:\n{log}"
        got = {alert_id(v) for v in alerts}
        assert got == expected, f"missing {expected - got}, invented {got - expected}\n{log}"
        # No failed send was taken for a bad message (dead-lettered as internal_error).
        assert read_topic(settings, "dead-letters", wait=3) == []
    finally:
        worker.stop()
        if restarted is not None:
            restarted.stop()


# --- A tenth of the input malformed ---------------------------------------------------------

# Kinds of bad CSV row, each made from a good row of the scenario: (reason, how). The first two
# are unreadable before they reach the raw topic (the replayer dead-letters them); the worker
# rejects the others.
CSV_COLUMNS = ["MMSI", "BaseDateTime", "LAT", "LON"]


def _cells(row: str, **changes: str) -> bytes:
    cells = row.split(",")
    for name, value in changes.items():
        cells[CSV_COLUMNS.index(name)] = value
    return ",".join(cells).encode()


BAD_CSV: list[tuple[str, Callable[[str], bytes]]] = [
    ("bad_csv", lambda row: row[: len(row) // 2].encode()),  # truncated mid-row
    ("bad_encoding", lambda row: b"\xff\xfe" + row.encode("utf-16-le")[:40] + b"\x80garbage"),
    ("invalid_field", lambda row: _cells(row, LAT="42.2N")),  # not a number
    ("invalid_field", lambda row: _cells(row, LAT="95.0")),  # beyond the pole
    ("invalid_field", lambda row: _cells(row, LON="nan")),
    ("invalid_field", lambda row: _cells(row, BaseDateTime="2024-03-07T25:61:00")),
    ("missing_field", lambda row: _cells(row, MMSI="")),
    ("not_a_vessel", lambda row: _cells(row, MMSI="2190047")),  # a base station
]


def _nmea(body: str) -> str:
    return f"{body}*{reduce(xor, body[1:].encode(), 0):02X}"


POSITION_SENTENCE = _nmea("!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0")
# A receiver log with nothing but bad lines, and a JSON-lines feed likewise.
BAD_NMEA: list[tuple[str, bytes]] = [
    ("bad_checksum", POSITION_SENTENCE[:-2].encode() + b"00"),
    ("bad_checksum", POSITION_SENTENCE[:24].encode()),  # cut off, checksum and all
    ("bad_checksum", b"\\c:1709774400*00\\" + POSITION_SENTENCE.encode()),  # tag block's
    ("bad_nmea", b"!AIVDM,1,1,,A,\xff\xfe\x80,0*00"),
    ("bad_nmea", _nmea("!AIVDM,0,1,,A,16`P;P,0").encode()),
    ("unknown_format", b"\x00\x01\x02\x03 \x9c\x9d garbage from a serial line"),
]
BAD_JSON: list[tuple[str, bytes]] = [
    ("bad_json", b'{"kind": "position", "mmsi": 445990101, "lat": 42.2'),
    ("bad_json", b"{not json at all}"),
    ("bad_json", b"[445990101, 42.2, 132.1]"),  # JSON, but not an object
    (
        "invalid_field",
        b'{"kind": "position", "mmsi": 445990101, "ts": "2024-03-07T02:00:00Z", '
        b'"lat": 95.0, "lon": 132.1}',
    ),
    ("missing_field", b'{"kind": "position", "mmsi": 445990101, "lat": 42.2, "lon": 132.1}'),
    ("unsupported_kind", b'{"kind": "weather", "mmsi": 445990101}'),
]


def noisy_input(tmp_path: Path) -> tuple[list[Path], list[tuple[bytes, str]]]:
    """The reference scenario with a bad line after every nine inputs, in four files: the
    scenario's rows in two CSV files, with a receiver log and a JSON-lines feed of bad lines
    between and after them. Returns the files and the bad lines with their reasons."""
    header, *rows = SCENARIO_PATH.read_bytes().splitlines()
    csv_lines: list[bytes] = []
    nmea_lines: list[bytes] = []
    json_lines: list[bytes] = []
    bad: list[tuple[bytes, str]] = []
    kinds = len(BAD_CSV) + len(BAD_NMEA) + len(BAD_JSON)
    for i, row in enumerate(rows):
        csv_lines.append(row)
        if i % 9 != 8:
            continue
        k = (i // 9) % kinds
        if k < len(BAD_CSV):
            reason, make = BAD_CSV[k]
            line = make(row.decode())
            csv_lines.append(line)
        elif k < len(BAD_CSV) + len(BAD_NMEA):
            reason, line = BAD_NMEA[k - len(BAD_CSV)]
            nmea_lines.append(line)
        else:
            reason, line = BAD_JSON[k - len(BAD_CSV) - len(BAD_NMEA)]
            json_lines.append(line)
        bad.append((line, reason))
    half = len(csv_lines) // 2
    files = [
        (tmp_path / "first.csv", [header, *csv_lines[:half]]),
        (tmp_path / "receiver.nmea", nmea_lines),
        (tmp_path / "rest.csv", [header, *csv_lines[half:]]),
        # Each file's format is told from its first line: BAD_NMEA[0] and BAD_JSON[0] come first.
        (tmp_path / "feed.jsonl", json_lines),
    ]
    for path, lines in files:
        path.write_bytes(b"\n".join(lines) + b"\n")
    return [path for path, _ in files], bad


def original(letter: dict[str, Any]) -> bytes:
    """The input line of a dead letter (a CSV row travels wrapped as JSON on the raw topic)."""
    raw = base64.b64decode(letter["raw_b64"])
    if raw.startswith(b'{"format":"noaa"'):
        return ",".join(orjson.loads(raw)["row"].values()).encode()
    return raw


def positions_of(path: Path) -> Counter[bytes]:
    """The position records `shipwatch decode` gives for a file, as the worker publishes them."""
    return Counter(
        orjson.dumps(r.model_dump(mode="json"))
        for item in decode_files([path], "auto", Tally())
        if isinstance(item, Decoded)
        for r in item.records
        if r.kind == "position"
    )


def test_ten_percent_malformed_input_all_dead_lettered_and_the_good_all_processed(
    namespace_settings: Settings, worker_factory, tmp_path: Path
):
    files, bad = noisy_input(tmp_path)
    good_rows = len(SCENARIO_PATH.read_text().splitlines()) - 1
    assert 0.09 <= len(bad) / (len(bad) + good_rows) <= 0.11
    assert {reason for _, reason in bad} >= {"bad_csv", "bad_checksum", "bad_json"}
    positions, expected = positions_of(SCENARIO_PATH), scenario_alert_ids()
    worker_factory()
    replayed = cli(namespace_settings, "replay", "--max", *map(str, files))
    assert replayed.returncode == 0, replayed.stderr

    alerts = settle(namespace_settings, "alerts", at_least=len(expected), wait=240, key=alert_id)
    assert sorted(alert_id(v) for v in alerts) == sorted(expected)
    letters = settle(namespace_settings, "dead-letters", at_least=len(bad), quiet=3)
    dead = [orjson.loads(v) for v in letters]
    assert len(dead) == len(bad)
    assert all(d["reason"] and d["detail"] and d["raw_b64"] for d in dead)
    assert Counter((original(d), d["reason"]) for d in dead) == Counter(bad)
    # Unreadable CSV lines never reach the raw topic; the rest the worker rejected.
    stages = Counter(d["stage"] for d in dead)
    unreadable = sum(reason in ("bad_csv", "bad_encoding") for _, reason in bad)
    assert stages == {"replay": unreadable, "ingest": len(bad) - unreadable}
    # The dead letters and alerts have settled, so the worker is through: read what is there.
    published = read_topic(
        namespace_settings, "positions", wait=30, enough=lambda v: len(v) >= positions.total()
    )
    assert Counter(published) == positions
