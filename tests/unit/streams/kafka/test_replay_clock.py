"""Replay's clock: each NMEA line's file time, and what cannot be sent for want of one."""

from __future__ import annotations

from shipwatch.ais.files import RawUnit
from streams.kafka.replayer import _Clock
from tests.fixtures.ais_input import (
    POSITION,
    T0,
    VOYAGE,
    gatehouse,
    sentences,
    tagged,
    with_checksum,
)


def _unit(line: str) -> RawUnit:
    return RawUnit("f.nmea", 1, line.encode(), line.encode(), b"f.nmea")


def test_a_line_before_its_file_gave_a_time_is_refused_as_decode_refuses_it() -> None:
    """Sent without a time, the broker's clock would date it, days after the file's fixes."""
    clock = _Clock(pace=False)
    single = sentences(POSITION)[0]
    first, second = sentences(VOYAGE, seq_id=1)
    for line in (single, second):  # the message's end: decode refuses it, no_time
        if line == second:  # a first fragment waits: the rest may carry the time
            assert clock.time_of(_unit(first)) == (None, True, None)
        t, stamped, untimed = clock.time_of(_unit(line))
        assert (t, stamped) == (None, True)
        assert untimed is not None and untimed.reason == "no_time", line
    timed = _Clock(pace=False)  # a fragment without a time, the next with one: it is sent
    assert timed.time_of(_unit(first)) == (None, True, None)
    assert timed.time_of(_unit(tagged(second, T0))) == (T0, True, None)
    # A line decode refuses for what it is, or skips, goes on: ingest says the same of it.
    for line in (single[:-2] + "00", with_checksum("$GPGGA,1,2")):
        assert clock.time_of(_unit(line)) == (None, True, None)
    # Once the file gave a time, lines carry it.
    assert clock.time_of(_unit(gatehouse(T0))) == (T0, True, None)
    assert clock.time_of(_unit(single)) == (T0, True, None)
