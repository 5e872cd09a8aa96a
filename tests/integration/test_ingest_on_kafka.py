"""Real-world input on the real broker: NMEA and DMA CSV mixed with bad input, nothing lost."""

from __future__ import annotations

import base64
import signal
from pathlib import Path

import orjson
import pytest

from bench.harness import Worker, children, start_worker
from shipwatch.settings import Settings
from tests.fixtures.ais_input import (
    HEADER,
    POSITION,
    ROW,
    VOYAGE,
    gatehouse,
    sentences,
    tagged,
    with_checksum,
)
from tests.fixtures.kafka import cli, read_topic, settle
from tests.fixtures.timeline import loading_then_delivery
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.integration


def nmea_feed(path: Path) -> tuple[int, list[tuple[bytes, str]]]:
    """A receiver log: tagged positions, a voyage report, Gatehouse lines and bad sentences."""
    story = loading_then_delivery()[:40]
    t0 = int(story[0].ts.timestamp())
    good = [
        tagged(
            sentences({**POSITION, "lat": p.lat, "lon": p.lon, "speed": p.sog or 0})[0],
            int(p.ts.timestamp()),
        )
        for p in story
    ]
    cut = sentences(VOYAGE, seq_id=4)[0]  # its second part never comes
    bad = [
        (sentences(POSITION)[0][:-2] + "00", "bad_checksum"),
        (with_checksum("!AIVDM,0,1,,A,16`P;P,0"), "bad_nmea"),
        ("\\c:1709774400*00\\" + sentences(POSITION)[0], "bad_checksum"),
        (tagged(sentences({**POSITION, "mmsi": 2190047})[0], t0), "not_a_vessel"),
        (tagged(sentences({**POSITION, "lat": 91})[0], t0), "no_position"),
        ("!AIVDM,1,1,,A,\xff\xfe,0*00", "bad_nmea"),
        (tagged(cut, t0), "incomplete_multipart"),
    ]
    voyage = sentences(VOYAGE, seq_id=1)
    lines = [good[0], tagged(voyage[0], t0), gatehouse(t0 + 1), voyage[1]]
    lines += [gatehouse(t0 + 2), sentences({"type": 21, "mmsi": 992191000})[0]]  # skipped
    for i, (line, _) in enumerate(bad):  # spread through the good ones
        lines += [line, *good[1 + 5 * i : 6 + 5 * i]]
    lines += good[6 + 5 * (len(bad) - 1) :]
    path.write_bytes("\r\n".join(lines).encode("latin-1") + b"\r\n")
    return len(good), [(line.encode("latin-1"), reason) for line, reason in bad]


def dma_file(path: Path) -> tuple[int, list[tuple[bytes, str]]]:
    """An aisdk extract: good rows, a base station, no position, a bad time, a broken row."""
    good = [ROW.replace("01:20:00", f"01:{20 + i}:00", 1) for i in range(5)]
    bad = [
        (ROW.replace("Class A", "Base Station"), "not_a_vessel"),
        (ROW.replace("42.742000", "91.000000"), "no_position"),
        (ROW.replace("07/03/2024 01:20:00", "2024-03-07", 1), "invalid_field"),
        ("07/03/2024 01:20:00,Class A,445123456", "bad_csv"),
    ]
    path.write_text("\n".join([HEADER, *good, *(line for line, _ in bad)]) + "\n")
    return len(good), [(line.encode(), reason) for line, reason in bad]


def original(letter: dict) -> bytes:
    """The input line of a dead letter (a CSV row travels wrapped as JSON on the raw topic)."""
    raw = base64.b64decode(letter["raw_b64"])
    if raw.startswith(b'{"format":"dma"'):
        return ",".join(orjson.loads(raw)["row"].values()).encode()
    return raw


def test_good_input_is_processed_and_every_bad_input_is_dead_lettered(
    namespace_settings: Settings, worker_factory, tmp_path: Path
):
    nmea_good, nmea_bad = nmea_feed(tmp_path / "receiver.nmea")
    dma_good, dma_bad = dma_file(tmp_path / "aisdk.csv")
    worker_factory()
    replayed = cli(namespace_settings, "replay", "--max", str(tmp_path / "receiver.nmea"))
    assert replayed.returncode == 0, replayed.stderr
    replayed = cli(namespace_settings, "replay", "--max", str(tmp_path / "aisdk.csv"))
    assert replayed.returncode == 0, replayed.stderr
    assert "8 messages sent" in replayed.stdout and "1 rejected" in replayed.stdout
    expected = nmea_bad + dma_bad
    dead = [
        orjson.loads(v)
        for v in settle(namespace_settings, "dead-letters", at_least=len(expected), quiet=3)
    ]
    assert sorted((original(d), d["reason"]) for d in dead) == sorted(expected)
    raw_topic = namespace_settings.topic("ais-raw")
    for d in dead:
        if d["reason"] == "bad_csv":  # unreadable before it reached the raw topic
            assert d["source"] == {"file": str(tmp_path / "aisdk.csv"), "line": 10}
        else:
            assert d["source"]["topic"] == raw_topic and d["source"]["offset"] >= 0
            assert d["stage"] == "ingest" and d["detail"]
    # The dead letters have settled, so the worker is through: read what is there.
    positions = read_topic(namespace_settings, "positions", wait=5)
    assert len(positions) == nmea_good + dma_good
    statics = [orjson.loads(v) for v in read_topic(namespace_settings, "statics", wait=3)]
    assert sorted(s["name"] for s in statics) == ["CHON MA SAN 7"] * 6


def test_a_lone_first_part_on_a_quiet_feed_is_dead_lettered_after_the_idle_time(
    namespace_settings: Settings, tmp_path: Path
):
    # Nothing follows it on its partition, so no later time ever expires it: the idle timer must.
    line = tagged(sentences(VOYAGE, seq_id=7)[0], 1709774400)
    (tmp_path / "lone.nmea").write_bytes(line.encode() + b"\r\n")
    quick = namespace_settings.model_copy(update={"multipart_idle_s": 2.0})
    worker = start_worker(quick, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        replayed = cli(quick, "replay", "--max", str(tmp_path / "lone.nmea"))
        assert replayed.returncode == 0, replayed.stderr
        (letter,) = [orjson.loads(v) for v in settle(quick, "dead-letters", at_least=1, quiet=3)]
        assert letter["reason"] == "incomplete_multipart"
        assert original(letter) == line.encode()
        assert letter["source"]["topic"] == quick.topic("ais-raw")
        assert read_topic(quick, "statics", wait=1) == []
    finally:
        worker.stop()


def ingest_processes(worker: Worker) -> list[int]:
    """The worker's `shipwatch ingest` children."""
    return [
        pid
        for pid in children(worker.pid)
        if b"ingest" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    ]


def alive(pid: int) -> bool:
    """Running (a zombie that nobody reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_the_ingest_process_counts_on_the_workers_metrics_and_ends_with_the_worker(
    namespace_settings: Settings, worker_factory, tmp_path: Path, how: signal.Signals
):
    worker = worker_factory()
    (child,) = ingest_processes(worker)
    _, bad = nmea_feed(tmp_path / "receiver.nmea")
    replayed = cli(namespace_settings, "replay", "--max", str(tmp_path / "receiver.nmea"))
    assert replayed.returncode == 0, replayed.stderr
    # Every bad line is the ingest process's to reject; the worker's page counts them.
    wait_until(
        lambda: worker.metrics().get("shipwatch_rejected_total") == len(bad),
        what="the ingest process's rejections on the worker's /metrics",
    )
    worker.stop(how)
    # Killed outright, the worker cannot stop it: the kernel does (no orphan keeps decoding).
    wait_until(lambda: not alive(child), timeout=15, what=f"the ingest process {child} to end")
