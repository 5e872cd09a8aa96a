"""--record: the file a feed writes, read back by `shipwatch decode`, gives one record per message
dated as the stream dates it: the receive time for a line without a time of its own, the line's
own time (tag block `c:`, a time line before it) otherwise."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from shipwatch.ais.decoder import Accepted, StreamDecoder
from shipwatch.ais.records import iso
from shipwatch.cli.main import main
from shipwatch.feeds.received import Received
from shipwatch.feeds.recording import Recorder, time_line
from tests.fixtures.ais_input import gatehouse
from tests.fixtures.feed_servers import (
    T0,
    NmeaReplayServer,
    aisstream_position,
    position_line,
    tag_block,
    voyage_lines,
)
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import RunningFeed, unique

MMSI = 273_300_000


def _units(t0: int) -> list[tuple[int, list[bytes], float | None]]:
    """(MMSI, lines, the message's own time or None) for every kind of dating; the source's
    own times are within a minute of `t0` (its clock is right)."""
    units: list[tuple[int, list[bytes], float | None]] = []
    for n in range(30):
        mmsi = MMSI + n
        line = position_line(mmsi, 40.0 + n / 100, 130.0)
        kind = n % 8
        if kind == 1:  # tag block, Unix seconds
            units.append((mmsi, [tag_block(t0 + n) + line], t0 + n))
        elif kind == 2:  # tag block, milliseconds
            units.append((mmsi, [tag_block(t0 * 1000 + n * 1000 + 500) + line], t0 + n + 0.5))
        elif kind == 3:  # a tag block alone: a time line for the next sentence
            units.append((mmsi, [tag_block(t0 + n, station=None), line], t0 + n))
        elif kind == 4:  # a Gatehouse $PGHP time line
            units.append((mmsi, [gatehouse(t0 + n).encode(), line], t0 + n))
        elif kind == 5:  # a tag block without a time
            units.append((mmsi, [tag_block(None, station="rcv9") + line], None))
        elif kind == 6:  # 2 parts, bare
            units.append((mmsi, voyage_lines(mmsi, seq_id=n % 10), None))
        elif kind == 7:  # 2 parts, a tag block with the time on the first
            first, second = voyage_lines(mmsi, seq_id=n % 10)
            group = f"{n}"
            first = tag_block(t0 + n, group=f"1-2-{group}") + first
            second = tag_block(None, station=None, group=f"2-2-{group}") + second
            units.append((mmsi, [first, second], t0 + n))
        else:  # bare: the receive time
            units.append((mmsi, [line], None))
    return units


def _decoded(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["decode", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "0 rejected" in err, err
    return [json.loads(line) for line in out.splitlines()]


def _streamed(items: Sequence[Received]) -> list[dict[str, object]]:
    """What ingest makes of the same items: one decoder, the Kafka timestamp (whole ms)."""
    decoder = StreamDecoder()
    out: list[dict[str, object]] = []
    for item in items:
        for result in decoder.feed(item.payload, int(item.received_at * 1000) / 1000):
            assert isinstance(result, Accepted), result
            out += [orjson.loads(orjson.dumps(r.model_dump(mode="json"))) for r in result.records]
    return out


def test_a_recording_decodes_to_one_record_per_message_with_the_times_the_stream_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("record")
    units = _units(int(time.time()) - 10)
    lines = [line for _, unit, _ in units for line in unit]
    path = tmp_path / "feed.nmea"

    async def scenario() -> RunningFeed:
        async with NmeaReplayServer(lines) as server:
            async with RunningFeed({server.url: name}, record=path) as running:
                await eventually(lambda: len(running.published) == len(lines), 5, "the lines")
            return running

    running = asyncio.run(scenario())
    items = running.published.items
    assert [item.payload for item in items] == lines
    received_at = {item.payload: item.received_at for item in items}

    records = _decoded(path, capsys)
    assert len(records) == len(units)  # one per message
    for record, (mmsi, unit, own_time) in zip(records, units, strict=True):
        assert record["mmsi"] == mmsi
        expected = own_time if own_time is not None else received_at[unit[0]]
        assert record["ts"] == iso(datetime.fromtimestamp(expected, UTC)), (unit, record)
    assert records == _streamed(items)


def _received(payload: bytes, at: float, key: bytes = b"rx") -> Received:
    return Received("rx", key, payload, at)


def _record(items: list[Received], path: Path) -> None:
    recorder = Recorder(path)
    try:
        recorder.write(items)
    finally:
        recorder.close()


def test_json_messages_are_recorded_as_they_came_and_keep_their_own_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = orjson.dumps(aisstream_position(MMSI, 42.0, 133.0, second=7))
    bare = position_line(MMSI + 1, 42.0, 133.0)
    path = tmp_path / "mixed.nmea"
    _record([_received(bare, T0 + 100.25), _received(message, T0 + 200.0, b"ws")], path)
    assert path.read_bytes().splitlines() == [time_line("rx", T0 + 100.25), bare, message]
    records = _decoded(path, capsys)
    assert [(r["mmsi"], r["ts"]) for r in records] == [
        (MMSI + 1, "2024-03-08T00:01:40Z"),
        (MMSI, "2024-03-08T00:00:07Z"),  # MetaData.time_utc, not the receive time
    ]


def test_a_multipart_of_a_source_whose_clock_is_off_decodes_from_the_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = voyage_lines(MMSI + 4, seq_id=6)
    first = tag_block(T0, group="1-2-77") + first  # the receiver's clock: an hour behind
    second = tag_block(None, station=None, group="2-2-77") + second
    items = [_received(first, T0 + 3600.0), _received(second, T0 + 3600.01)]
    path = tmp_path / "clock-off.nmea"
    _record(items, path)
    assert [(r["kind"], r["ts"]) for r in _streamed(items)] == [("static", "2024-03-08T00:00:00Z")]
    assert [(r["kind"], r["ts"]) for r in _decoded(path, capsys)] == [
        ("static", "2024-03-08T00:00:00Z")
    ]


def test_a_multipart_dated_by_its_second_fragment_keeps_that_time_in_the_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = voyage_lines(MMSI + 2, seq_id=4)
    second = tag_block(T0 + 5, group="2-2-9") + second
    items = [_received(first, T0 + 3600.0), _received(second, T0 + 3600.1)]
    path = tmp_path / "later.nmea"
    _record(items, path)
    assert _streamed(items)[0]["ts"] == "2024-03-08T00:00:05Z"  # what the stream gives
    assert [r["ts"] for r in _decoded(path, capsys)] == ["2024-03-08T00:00:05Z"]


def test_a_receive_time_just_before_a_whole_second_is_the_same_second_in_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [_received(position_line(MMSI + 3, 42.0, 133.0), T0 + 12.9996)]
    path = tmp_path / "edge.nmea"
    _record(items, path)
    assert _streamed(items)[0]["ts"] == "2024-03-08T00:00:12Z"
    assert [r["ts"] for r in _decoded(path, capsys)] == ["2024-03-08T00:00:12Z"]
