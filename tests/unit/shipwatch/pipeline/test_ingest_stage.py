"""The ingest stage: raw batches decoded and routed to topics and frames, rejections kept."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pytest

from shipwatch.pipeline import ingest_stage
from shipwatch.pipeline.frames import FRAME_MAX_RECORDS, parse_frame, records_of_frame
from shipwatch.pipeline.ingest_stage import IngestStage, Routing
from shipwatch.pipeline.schemas import validator
from shipwatch.watermarks import RAW_LEVEL, Progress
from tests.fixtures.ais_input import TANKER, VOYAGE, sentences

RAW = "ns.ais-raw"
T0 = 1_709_774_400  # 2024-03-07T01:20:00Z


def stage(partitions: int = 3) -> IngestStage:
    """A stage whose frames go to mmsi mod n, and whose map is the northern hemisphere."""
    routing = Routing(lambda mmsi: mmsi % partitions, lambda lat, lon: lat > 0)
    return IngestStage(RAW, replace(routing, frame_count=partitions))


def position(mmsi: int, lat: float = 40.0, second: int = 0) -> bytes:
    """A normalized JSON position line."""
    return orjson.dumps(
        {"kind": "position", "mmsi": mmsi, "ts": f"2024-03-07T00:00:{second:02d}Z",
         "lat": lat, "lon": 135.0, "sog": 10.0}
    )  # fmt: skip


@dataclass(frozen=True)
class RawMessage:
    """A raw topic's message as a Kafka client gives it."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int  # milliseconds


def messages(*values: bytes) -> list[RawMessage]:
    """Raw messages of partition 0 at consecutive offsets, a second apart."""
    return [RawMessage(0, i, None, v, (T0 + i) * 1000) for i, v in enumerate(values)]


def test_each_record_goes_to_its_topic_and_into_its_vessels_frame() -> None:
    static = orjson.dumps(
        {"kind": "static", "mmsi": 273_000_002, "ts": "2024-03-07T00:00:00Z", "name": "A"}
    )
    out = stage().batch(
        0, messages(position(273_000_001), position(273_000_002, lat=-10.0), static)
    )
    assert [m for m, _ in out.positions] == [273_000_001, 273_000_002]
    assert [m for m, _ in out.statics] == [273_000_002]
    assert [m for m, _ in out.nearby] == [273_000_001]  # only the one on the map
    frames = {p: records_of_frame(f) for p, f in out.frames}
    assert sorted(p for p, records in frames.items() if records) == [
        273_000_001 % 3,
        273_000_002 % 3,
    ]
    second = frames[273_000_002 % 3]
    assert [(r["kind"], r["mmsi"]) for r in second] == [
        ("position", 273_000_002),
        ("static", 273_000_002),
    ]  # in arrival order
    assert frames[273_000_001 % 3][0] == orjson.loads(out.positions[0][1])


def test_every_bad_message_becomes_a_dead_letter_with_its_source_and_bytes() -> None:
    bad = b'{"kind": "position", "mmsi": 1}'
    out = stage().batch(0, messages(position(273_000_001), b"\xff\xfe", bad))
    assert out.rejected == {"unknown_format": 1, "missing_field": 1}
    letters = [orjson.loads(v) for _, v in out.dead_letters]
    assert [letter["source"] for letter in letters] == [
        {"topic": RAW, "partition": 0, "offset": 1},
        {"topic": RAW, "partition": 0, "offset": 2},
    ]
    assert base64.b64decode(letters[0]["raw_b64"]) == b"\xff\xfe"
    assert letters[1]["stage"] == "ingest"
    assert len(out.positions) == 1  # the good one still goes through


def test_a_large_batch_is_cut_into_frames_that_keep_the_order() -> None:
    count = FRAME_MAX_RECORDS * 2 + 5
    values = [position(273_000_003, second=i % 60) for i in range(count)]
    out = stage(1).batch(0, messages(*values))
    assert [len(records_of_frame(f)) for _, f in out.frames] == [1000, 1000, 5]
    seconds = [r["ts"] for _, f in out.frames for r in records_of_frame(f)]
    assert seconds == [orjson.loads(v)["ts"] for v in values]


def test_nmea_goes_through_the_partitions_stateful_decoder() -> None:
    first, second = sentences(VOYAGE, seq_id=3)
    ingest = stage()
    out = ingest.batch(0, messages(first.encode()))
    assert (out.statics, out.dead_letters) == ([], [])  # waiting for its second part
    out = ingest.batch(0, [RawMessage(0, 1, None, second.encode(), (T0 + 1) * 1000)])
    assert [m for m, _ in out.statics] == [TANKER]
    (static,) = records_of_frame(out.frames[0][1])
    assert (static["kind"], static["name"], static["draught"]) == ("static", "CHON MA SAN 7", 7.2)


def test_a_quiet_partitions_unfinished_multipart_is_dead_lettered() -> None:
    first, _ = sentences(VOYAGE, seq_id=4)
    ingest = stage()
    ingest.batch(0, messages(first.encode()))
    out = ingest.finish(0)
    assert out.rejected == {"incomplete_multipart": 1}
    letter: dict[str, Any] = orjson.loads(out.dead_letters[0][1])
    assert letter["source"] == {"topic": RAW, "partition": 0, "offset": 0}
    assert ingest.finish(0).dead_letters == []  # once


def test_a_decoder_bug_costs_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(payload: bytes, nulled: list[str] | None = None) -> tuple[list[Any], bool]:
        if b"273000009" in payload:
            raise ZeroDivisionError("a bug")
        return real(payload, nulled)

    real = ingest_stage.decode_json_published
    monkeypatch.setattr(ingest_stage, "decode_json_published", broken)
    out = stage().batch(0, messages(position(273_000_009), position(273_000_001)))
    assert out.rejected == {"internal_error": 1}
    assert "ZeroDivisionError: a bug" in orjson.loads(out.dead_letters[0][1])["detail"]
    assert [m for m, _ in out.positions] == [273_000_001]


def test_a_routing_bug_costs_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: IngestStage, record: dict[str, Any], *args: Any) -> None:
        if record["mmsi"] == 273_000_009:
            raise ZeroDivisionError("a bug")
        real(self, record, *args)

    real = IngestStage._route
    monkeypatch.setattr(IngestStage, "_route", broken)
    nmea = sentences({"type": 1, "mmsi": 273_000_009, "lat": 40.0, "lon": 135.0})[0].encode()
    values = (position(273_000_009), nmea, position(273_000_001))
    out = stage().batch(0, messages(*values))
    assert out.rejected == {"internal_error": 2}
    assert [m for m, _ in out.positions] == [273_000_001]


@pytest.mark.parametrize(
    "ts",
    [
        "0999-01-01T00:00:00Z",  # a year before 1000 printed as "999-..." was a poison message
        "1969-12-31T23:59:59Z",
        "9999-12-31T23:00:00-05:00",  # past the calendar once in UTC
        "2099-12-31T00:00:00Z",  # far ahead of our clock: it would carry the progress along
    ],
)
def test_a_time_out_of_range_or_ahead_of_our_clock_is_dead_lettered_and_the_rest_goes_on(
    ts: str,
) -> None:
    for kind, extra in (("position", {"lat": 40.0, "lon": 135.0}), ("static", {"name": "A"})):
        bad = orjson.dumps({"kind": kind, "mmsi": 273_000_009, "ts": ts, **extra})
        out = stage().batch(0, messages(position(273_000_001), bad, position(273_000_002)))
        assert out.rejected == {"invalid_field": 1}, (kind, ts)
        assert "ts:" in orjson.loads(out.dead_letters[0][1])["detail"]
        assert [m for m, _ in out.positions] == [273_000_001, 273_000_002]
        assert out.latest == T0 - 4800  # 2024-03-07T00:00:00Z: the bad time moved nothing


def test_a_position_in_its_published_form_goes_on_as_it_came_any_other_is_reprinted() -> None:
    published = orjson.dumps(
        {"mmsi": 273_000_001, "ts": "2024-03-07T00:00:00Z", "kind": "position", "lat": 42.7,
         "lon": 133.0, "sog": 10.0, "cog": None, "heading": None, "nav_status": None}
    )  # fmt: skip
    spaced = published.replace(b",", b", ")  # the same record, other bytes
    short = position(273_000_002)  # no course, heading or status: reprinted in full
    out = stage().batch(0, messages(published, spaced, short))
    sent = [v for _, v in out.positions]
    assert sent[:2] == [published, spaced]
    assert orjson.loads(sent[2]) == {
        "mmsi": 273_000_002, "ts": "2024-03-07T00:00:00Z", "kind": "position", "lat": 40.0,
        "lon": 135.0, "sog": 10.0, "cog": None, "heading": None, "nav_status": None,
    }  # fmt: skip
    framed = [r for _, f in out.frames for r in orjson.loads(f)["records"]]
    assert framed == [orjson.loads(v) for v in sent]


def test_what_ingest_publishes_matches_the_topics_schemas() -> None:
    static = orjson.dumps(
        {"kind": "static", "mmsi": 273_000_002, "ts": "2024-03-07T00:00:00Z", "name": "A"}
    )
    out = stage().batch(0, messages(position(273_000_001), static, b"\xff"))
    for topic, values in (
        ("positions", [v for _, v in out.positions]),
        ("statics", [v for _, v in out.statics]),
        ("nearby", [v for _, v in out.nearby]),
        ("frames", [f for _, f in out.frames]),
        ("dead-letters", [v for _, v in out.dead_letters]),
    ):
        check = validator(topic)
        assert values, topic
        for value in values:
            check(orjson.loads(value))


def test_a_huge_input_gets_a_dead_letter_kafka_accepts_with_its_size_and_hash() -> None:
    huge = b"{" + b"x" * 900_000  # over the decoder's limit, and near Kafka's 1 MB per message
    out = stage().batch(0, messages(huge))
    (value,) = [v for _, v in out.dead_letters]
    assert len(value) < 1_000_000
    letter = orjson.loads(value)
    assert letter["reason"] == "too_large"
    assert letter["raw_size"] == len(huge)
    assert letter["raw_sha256"] == hashlib.sha256(huge).hexdigest()
    assert base64.b64decode(letter["raw_b64"]) == huge[:262_144]
    validator("dead-letters")(letter)


def test_every_frames_partition_is_told_the_raw_partitions_progress_after_its_records() -> None:
    ingest = stage()
    out = ingest.batch(0, messages(position(273_000_001, second=5), position(273_000_002)), 10.0)
    told = {p: parse_frame(f) for p, f in out.frames}
    assert sorted(told) == [0, 1, 2]  # partition 0 got no record: a frame of its own
    newest = 1_709_769_605.0  # 2024-03-07T00:00:05Z, the first record's time
    assert {progress for _, progress in told.values()} == {Progress(RAW_LEVEL, 0, 1, newest)}
    assert told[0][0] == []
    # Soon after, a batch that tells partition 0 nothing new sends it nothing.
    again = ingest.batch(0, messages(position(273_000_001, second=5)), 10.1)
    assert [p for p, _ in again.frames] == [273_000_001 % 3]
    # Idle: every frames partition is told, once.
    beats = ingest.heartbeat(0, idle=True, now=11.0)
    assert sorted(p for p, _ in beats) == [0, 1, 2]
    assert all(parse_frame(f)[1].idle for _, f in beats)  # type: ignore[union-attr]
    assert ingest.heartbeat(0, idle=True, now=12.0) == []
