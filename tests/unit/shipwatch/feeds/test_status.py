"""The status `shipwatch feed` reports of each source for the live page."""

from __future__ import annotations

import orjson

from shipwatch.feeds.outlet import Source
from shipwatch.feeds.sources import parse_source
from shipwatch.feeds.status import StatusReport
from shipwatch.pipeline.schemas import validator


def test_a_status_has_the_rate_since_the_last_report_and_fits_its_topic() -> None:
    source = Source(
        parse_source("tcp://127.0.0.1:10110", {"tcp://127.0.0.1:10110": "st-roof"}), 300
    )
    report = StatusReport([source])
    [(key, first)] = report.records(1000.0)
    assert key == b"st-roof"
    assert (
        orjson.loads(first)["connected"] is False and orjson.loads(first)["last_message_at"] is None
    )
    source.connected()
    source.heard(4060, 300_000, 1003.0)
    [(_, second)] = report.records(1005.0)
    value = orjson.loads(second)
    assert value["messages_per_s"] == 812.0  # 4,060 messages in 5 s
    assert value["connected"] is True and value["reconnects"] == 0
    assert value["last_message_at"] == "1970-01-01T00:16:43.000Z"
    validator("feed-status")(value)
    source.disconnected()
    source.connected()
    assert orjson.loads(report.records(1010.0)[0][1])["reconnects"] == 1
