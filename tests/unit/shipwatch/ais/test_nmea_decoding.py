"""NMEA 0183 as receivers and aggregators write it: tag blocks, timestamp lines, multiparts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shipwatch.ais.decoder import Accepted, Refused, Skipped, StreamDecoder
from shipwatch.ais.files import RawUnit, read_units, sniff
from shipwatch.ais.reading import Decoded, Failed, Tally, decode_files
from shipwatch.cli.main import main
from tests.fixtures.ais_input import (
    POSITION,
    T0,
    TANKER,
    VOYAGE,
    gatehouse,
    sentences,
    tagged,
    with_checksum,
)


def feed_all(lines: list[str], received_at: float | None = None) -> list[Any]:
    decoder = StreamDecoder()
    out = []
    for number, line in enumerate(lines, start=1):
        out += decoder.feed(line.encode(), received_at, {"file": "f", "line": number})
    return out + decoder.finish()


def only_records(outputs: list[Any]) -> list[Any]:
    assert all(isinstance(o, Accepted) for o in outputs), outputs
    return [r for o in outputs for r in o.records]


def test_a_tagged_position_report_gives_its_fields_and_the_receiver_time():
    line = tagged(sentences({**POSITION, "heading": 511, "status": 5, "course": 215.3})[0], T0)
    (position,) = only_records(feed_all([line]))
    assert (position.mmsi, position.lat, position.lon, position.sog) == (
        TANKER,
        42.742,
        133.055,
        0.1,
    )
    assert (position.cog, position.heading, position.nav_status) == (215.3, None, 5)
    assert position.ts == datetime.fromtimestamp(T0, UTC)


@pytest.mark.parametrize("talker", ["AI", "AB", "BS", "SA", "AN"])
@pytest.mark.parametrize("kind", ["VDM", "VDO"])
def test_any_talker_and_own_ship_sentences_are_read(talker: str, kind: str):
    line = sentences(POSITION, talker_id=talker, sentence_type=kind)[0]
    (position,) = only_records(feed_all([line], received_at=T0))
    assert position.mmsi == TANKER


def test_not_available_values_become_null():
    na = {**POSITION, "speed": 102.3, "course": 360, "heading": 511, "status": 15}
    (position,) = only_records(feed_all([sentences(na)[0]], received_at=T0))
    assert (position.sog, position.cog, position.heading) == (None, None, None)


@pytest.mark.parametrize(("lat", "lon"), [(91, 133.0), (42.0, 181), (95.0, 133.0)])
def test_an_unavailable_or_impossible_coordinate_is_never_a_position(lat, lon):
    (out,) = feed_all([sentences({**POSITION, "lat": lat, "lon": lon})[0]], received_at=T0)
    assert isinstance(out, Refused) and out.error.reason == "no_position"


def test_class_b_long_range_and_extended_reports():
    class_b = sentences({"type": 18, "mmsi": TANKER, "lat": 42.1, "lon": 133.2, "speed": 9.5})
    long_range = sentences({"type": 27, "mmsi": TANKER, "lat": 42.5, "lon": 133.1, "speed": 63})
    extended = sentences(
        {"type": 19, "mmsi": TANKER, "lat": 42.2, "lon": 133.3, "shipname": "KALMAEGI 4"}
        | {"ship_type": 80, "to_bow": 60, "to_stern": 48, "to_port": 8, "to_starboard": 8}
    )
    records = only_records(feed_all(class_b + long_range + extended, received_at=T0))
    b, lr, ext_position, ext_static = records
    assert (b.lat, b.sog, b.nav_status) == (42.1, 9.5, None)
    assert (lr.lat, lr.lon, lr.sog) == (42.5, 133.1, None)  # 63 kn: not available in type 27
    assert (ext_position.kind, ext_static.kind) == ("position", "static")
    assert (ext_static.name, ext_static.ship_type, ext_static.length) == ("KALMAEGI 4", 80, 108.0)


def test_type_5_voyage_data_across_two_sentences():
    records = only_records(feed_all(sentences(VOYAGE, seq_id=3), received_at=T0))
    (static,) = records
    assert static.model_dump(mode="json") == {
        "kind": "static",
        "mmsi": TANKER,
        "ts": "2024-03-07T01:20:00Z",
        "imo": 8912345,
        "name": "CHON MA SAN 7",
        "callsign": "HMXY7",
        "ship_type": 80,
        "length": 105.0,
        "beam": 16.0,
        "draught": 7.2,
        "destination": "CHONGJIN",
        "eta": "2024-03-10T14:30:00Z",
    }


def test_type_24_parts_are_merged_per_vessel():
    part_a = sentences({"type": 24, "mmsi": TANKER, "partno": 0, "shipname": "CHON MA SAN 7"})
    other = sentences({"type": 24, "mmsi": 445000002, "partno": 0, "shipname": "OTHER"})
    part_b = sentences(
        {"type": 24, "mmsi": TANKER, "partno": 1, "ship_type": 80, "callsign": "HMXY7"}
        | {"to_bow": 50, "to_stern": 55, "to_port": 8, "to_starboard": 8}
    )
    first, _, merged = only_records(feed_all(part_a + other + part_b, received_at=T0))
    assert first.name == "CHON MA SAN 7" and first.callsign is None
    assert (merged.name, merged.callsign, merged.ship_type, merged.length, merged.beam) == (
        "CHON MA SAN 7",
        "HMXY7",
        80,
        105.0,
        16.0,
    )


def test_interleaved_multiparts_on_two_channels_are_reassembled():
    a = sentences(VOYAGE, channel="A", seq_id=1)
    b = sentences({**VOYAGE, "mmsi": 445000002, "shipname": "SECOND"}, channel="B", seq_id=1)
    single = sentences(POSITION)[0]
    lines = [tagged(a[0], T0), b[0], single, gatehouse(T0 + 5), b[1], a[1]]
    records = only_records(feed_all(lines))
    assert [(r.kind, r.mmsi) for r in records] == [
        ("position", TANKER),
        ("static", 445000002),
        ("static", TANKER),
    ]
    assert [r.name for r in records if r.kind == "static"] == ["SECOND", "CHON MA SAN 7"]
    # The second message takes the time of the $PGHP line before its last part.
    assert records[1].ts.timestamp() == T0 + 5


def test_an_incomplete_multipart_is_rejected_after_the_timeout_with_all_its_parts():
    first, _ = sentences(VOYAGE, seq_id=4)
    decoder = StreamDecoder(timeout=60)
    source = {"topic": "raw", "partition": 0, "offset": 7}
    assert decoder.feed(first.encode(), T0, source) == []
    assert decoder.feed(sentences(POSITION)[0].encode(), T0 + 59, {"offset": 8})[0].records
    (late,) = decoder.feed(sentences(POSITION)[0].encode(), T0 + 61, {"offset": 9})[1:]
    assert isinstance(late, Refused) and late.error.reason == "incomplete_multipart"
    assert late.raw == first.encode()
    assert late.source == source
    assert decoder.finish() == []


def test_a_reused_sequence_id_gives_up_the_unfinished_message():
    lost, _ = sentences({**VOYAGE, "shipname": "LOST"}, seq_id=2)
    out = feed_all([tagged(lost, T0), *sentences(VOYAGE, seq_id=2)])
    assert isinstance(out[0], Refused) and out[0].error.reason == "incomplete_multipart"
    assert isinstance(out[1], Accepted) and out[1].records[0].name == "CHON MA SAN 7"


def test_the_end_of_a_file_rejects_the_unfinished_parts_with_their_lines(tmp_path: Path):
    first, _second = sentences(VOYAGE, seq_id=6)
    path = tmp_path / "cut.nmea"
    path.write_text(f"{tagged(first, T0)}\n{sentences(POSITION)[0]}\n")
    tally = Tally()
    items = list(decode_files([path], "auto", tally))
    assert [type(i) for i in items] == [Decoded, Failed]
    assert items[1].line == 1 and items[1].error.reason == "incomplete_multipart"
    assert tally.rejected == {"incomplete_multipart": 1}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("!AIVDM,1,1,,A,16`P;P5P019Q4u@HM@T8JOv1P000,0*7D", "bad_checksum"),
        ("!AIVDM,1,1,,A,16`P;P5P019Q4u@HM@T8JOv1P000,0", "bad_checksum"),
        ("\\s:r1,c:1709774400*00\\!AIVDM,1,1,,A,16`P;P5P019Q4u@HM@T8JOv1P000,0*7C", "bad_checksum"),
        (with_checksum("!AIVDM,0,1,,A,16`P;P5P019Q4u@HM@T8JOv1P000,0"), "bad_nmea"),
        (with_checksum("!AIVDM,1,1,,A,16`P;P5P019Q4u@HM@T8JOv1P000,9"), "bad_nmea"),
        (with_checksum("!AIVDM,1,1,,A,,0"), "bad_payload"),
        (with_checksum("!AIVDM,1,1,,A,w6`P;P5P019Q4u@HM@T8JOv1P000,0"), "unknown_type"),
        (with_checksum("!AIVDM,1,1,,A,16,0"), "bad_payload"),
        ("!garbage", "bad_checksum"),
        ("\\c:1709774400*7F", "bad_nmea"),
        (tagged("!AIVDM,1,1,,A,16`P;P5P019Q4u@HM@T8JOv1P000,0*7C", 1e14), "bad_time"),
        (sentences({**POSITION, "mmsi": 2_190_047})[0], "not_a_vessel"),
    ],
)
def test_bad_sentences_are_rejected_with_a_reason(line: str, reason: str):
    (out,) = feed_all([line], received_at=T0)
    assert isinstance(out, Refused), out
    assert (out.error.reason, out.raw) == (reason, line.encode())


def test_other_types_and_sentences_are_counted_and_skipped():
    base_station = sentences({"type": 4, "mmsi": 2190047, "lat": 55.0, "lon": 12.0})[0]
    aid = sentences({"type": 21, "mmsi": 992191000, "lat": 55.0, "lon": 12.0})[0]
    lines = [base_station, aid, with_checksum("$PSTT,10A,1"), with_checksum("$GPGGA,1,2")]
    out = feed_all(lines, received_at=T0)
    assert [(type(o), o.what) for o in out] == [
        (Skipped, "type_4"),
        (Skipped, "type_21"),
        (Skipped, "proprietary"),
        (Skipped, "nmea_GGA"),
    ]


def test_in_a_file_untimed_sentences_take_the_last_time_and_before_any_are_rejected():
    untimed = sentences(POSITION)[0]
    out = feed_all([untimed, gatehouse(T0), untimed, tagged(untimed, T0 + 30), untimed])
    assert isinstance(out[0], Refused) and out[0].error.reason == "no_time"
    assert [o.records[0].ts.timestamp() for o in out[1:]] == [T0, T0 + 30, T0 + 30]


def test_on_the_stream_untimed_sentences_take_the_receive_time_and_tags_win():
    decoder = StreamDecoder()
    line = sentences(POSITION)[0]
    (plain,) = decoder.feed(line.encode(), T0 + 100.5)
    (tagged_ms,) = decoder.feed(tagged(line, (T0 + 7) * 1000).encode(), T0 + 100.5)
    assert plain.records[0].ts.timestamp() == T0 + 100.5
    assert tagged_ms.records[0].ts.timestamp() == T0 + 7


def test_a_time_line_dates_only_the_line_after_it_even_a_refused_or_other_one():
    """Else a receiver's stale `$PGHP` would date a sentence it never belonged to."""
    line = sentences(POSITION)[0]
    corrupt = line[:-2] + ("00" if line[-2:] != "00" else "01")
    other = with_checksum("$GPGGA,000000,0000.00,N,00000.00,E,1,08,0.9,0,M,0,M,,")
    for between in (corrupt, other):
        decoder = StreamDecoder()
        assert decoder.feed(gatehouse(T0 - 86_400).encode(), T0) == []
        (refused_or_skipped,) = decoder.feed(between.encode(), T0)
        assert isinstance(refused_or_skipped, Refused | Skipped)
        (accepted,) = decoder.feed(line.encode(), T0)
        assert accepted.records[0].ts.timestamp() == T0  # its receive time, not the old line's


def test_nmea_files_with_crlf_tag_blocks_and_gatehouse_lines_decode(tmp_path: Path, capsys):
    voyage = sentences(VOYAGE, seq_id=1)
    lines = [
        gatehouse(T0),
        sentences(POSITION)[0],
        tagged(voyage[0], T0 + 10),
        with_checksum("$PGHP,9,unknown"),
        voyage[1],
        "!AIVDM,1,1,,A,broken,0*00",
        sentences({"type": 21, "mmsi": 992191000})[0],
    ]
    path = tmp_path / "feed.nmea"
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    assert sniff(path.read_bytes().splitlines()[0]) == "nmea"
    units = [u for u in read_units(path) if isinstance(u, RawUnit)]
    # Keyed by vessel, a time line with the sentence it dates, the rest of a multipart by its
    # slot; a line that names no vessel by the file.
    tanker = str(TANKER).encode()
    assert [u.key for u in units] == [tanker] * 5 + [b"feed.nmea", b"992191000"]
    assert all(not u.payload.endswith(b"\r") for u in units)
    assert main(["decode", str(path)]) == 0
    out, err = capsys.readouterr()
    assert [line.split(",")[2] for line in out.splitlines()] == [
        '"kind":"position"',
        '"kind":"static"',
    ]
    assert f"{path}:4: bad_nmea" in err and f"{path}:6: bad_checksum" in err
    assert err.splitlines()[-1] == (
        "decode: 1 position, 1 static; 2 rejected (bad_checksum=1, bad_nmea=1); "
        "1 skipped (type_21=1)"
    )


def test_a_long_range_course_of_511_is_not_available_not_invalid() -> None:
    from datetime import UTC, datetime

    from shipwatch.ais.nmea_records import position

    when = datetime(2024, 3, 7, tzinfo=UTC)
    nulled: list[str] = []
    data = {"msg_type": 27, "mmsi": TANKER, "lat": 42.5, "lon": 133.1, "speed": 8.0}
    record = position(data | {"course": 511}, when, nulled)
    assert record.cog is None and nulled == []  # 511 in type 27 says "not available"
    record = position(data | {"course": 400}, when, nulled)
    assert record.cog is None and nulled == ["cog"]  # anything else out of range is invalid
