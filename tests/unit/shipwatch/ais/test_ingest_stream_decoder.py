"""The stream decoder as the ingest agent uses it: per partition, Kafka time, dead-letter data."""

from __future__ import annotations

import io

import orjson

from shipwatch.ais.decoder import Accepted, Refused, StreamDecoder
from shipwatch.cli.replay import ProgressReport
from shipwatch.pipeline.dead_letters import dead_letter
from streams.kafka.replayer import ReplayCounts
from tests.fixtures.ais_input import POSITION, T0, VOYAGE, sentences, tagged


def source(offset: int) -> dict[str, object]:
    return {"topic": "ns.ais-raw", "partition": 1, "offset": offset}


def test_json_and_csv_rows_decode_as_decode_message_does():
    decoder = StreamDecoder()
    record = b'{"kind":"position","mmsi":445123456,"ts":"2024-03-07T01:20:00Z","lat":1,"lon":2}'
    (json_out,) = decoder.feed(record, T0 + 999, source(0))
    assert isinstance(json_out, Accepted)
    assert json_out.records[0].ts.timestamp() == T0  # its own time, not the Kafka time
    (bad,) = decoder.feed(b"this is not json", T0, source(1))
    assert isinstance(bad, Refused) and bad.error.reason == "unknown_format"


def test_an_expired_multipart_dead_letter_carries_every_part_and_source():
    lost = sentences(VOYAGE, seq_id=1)
    decoder = StreamDecoder(timeout=60)
    decoder.feed(lost[0].encode(), T0, source(10))
    (abandoned,) = decoder.feed(tagged(lost[0], T0 + 1).encode(), T0 + 1, source(11))
    assert isinstance(abandoned, Refused)
    assert abandoned.error.reason == "incomplete_multipart"
    assert abandoned.source == source(10)
    (expired,) = decoder.expire(T0 + 62)
    letter = orjson.loads(
        dead_letter(expired.error.reason, expired.error.detail, expired.raw, expired.source, "x")
    )
    assert letter["reason"] == "incomplete_multipart"
    assert letter["raw"] == tagged(lost[0], T0 + 1)
    assert letter["source"]["offset"] == 11


def test_a_completed_multipart_that_is_refused_names_all_its_parts():
    parts = sentences({**VOYAGE, "mmsi": 2190047}, seq_id=5)  # a base station's MMSI
    decoder = StreamDecoder()
    outputs = [o for i, p in enumerate(parts) for o in decoder.feed(p.encode(), T0, source(i))]
    (refused,) = outputs
    assert isinstance(refused, Refused) and refused.error.reason == "not_a_vessel"
    assert refused.raw == "\n".join(parts).encode()
    assert refused.source == {**source(0), "parts": [source(0), source(1)]}


def test_too_many_open_multiparts_give_up_the_oldest():
    decoder = StreamDecoder(max_open=2)
    firsts = [sentences(VOYAGE, seq_id=i)[0] for i in range(3)]
    outputs = [o for i, s in enumerate(firsts) for o in decoder.feed(s.encode(), T0, source(i))]
    (evicted,) = outputs
    assert isinstance(evicted, Refused) and evicted.source == source(0)
    assert len(decoder.finish()) == 2


def test_the_receive_time_dates_untagged_sentences_and_drives_the_timeout():
    decoder = StreamDecoder(timeout=60)
    first = sentences(VOYAGE, seq_id=7)[0]
    assert decoder.feed(first.encode(), T0, source(0)) == []
    (position, expired) = decoder.feed(sentences(POSITION)[0].encode(), T0 + 61, source(1))
    assert isinstance(position, Accepted) and position.records[0].ts.timestamp() == T0 + 61
    assert isinstance(expired, Refused) and expired.source == source(0)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal():
    stream = Terminal()
    report = ProgressReport(stream)
    report.last -= 1  # as if the last redraw were a second ago
    report(ReplayCounts(sent=1500, dead_lettered=2), 0.5)
    report(ReplayCounts(sent=1501), 0.5)  # too soon: not redrawn
    report.close()
    text = stream.getvalue()
    assert text.count("\r") == 1 and text.endswith("\n")
    assert "[###############               ]  50% 1,500 sent, 2 rejected" in text


def test_progress_without_a_terminal_is_a_line_every_n_messages():
    stream = io.StringIO()
    report = ProgressReport(stream, every=3600, every_n=1000)
    for sent in range(1, 2501):
        report(ReplayCounts(sent=sent), sent / 2500)
    report.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "replay: 40% of the input",
        "replay: 80% of the input",
    ]
