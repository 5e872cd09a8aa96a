"""Properties of the stream decoder: any bytes give outputs, never an exception; nothing is
lost; what pyais encodes comes back within AIS resolution."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shipwatch.ais.decoder import Accepted, Output, Refused, Skipped, StreamDecoder
from shipwatch.ais.nmea import TimeLine, parse_line
from shipwatch.ais.records import Position, Static
from tests.fixtures.ais_input import (
    T0,
    VALID,
    VOYAGE,
    sentences,
    tagged,
    with_checksum,
)

MANY = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(outputs: list[Output]) -> None:
    for out in outputs:
        assert isinstance(out, Accepted | Refused | Skipped)
        if isinstance(out, Refused):
            assert out.error.reason and out.error.reason != "internal_error", out.error
            assert out.inputs
        if isinstance(out, Accepted):
            assert out.records and all(isinstance(r, Position | Static) for r in out.records)


def splice(line: str, at: int, cut: int, insert: bytes, fix_checksum: bool) -> bytes:
    """A valid line with some bytes replaced; its checksum recomputed when asked and possible."""
    raw = line.encode()
    text = raw[:at] + insert + raw[at + cut :]
    if fix_checksum and b"*" in text and text.isascii():
        body = text.rsplit(b"*", 1)[0].decode()
        head, _, sentence = body.rpartition("\\")
        text = (head + "\\" if head else "").encode() + with_checksum(sentence).encode()
    return text


CORRUPT_BYTES = st.binary(max_size=3) | st.sampled_from([b",", b"*", b"\\", b"!", b"$", b"w", b"9"])
mutated = st.builds(
    splice,
    st.sampled_from(VALID),
    st.integers(0, 90),
    st.integers(0, 3),
    CORRUPT_BYTES,
    st.booleans(),
)


@MANY
@given(st.binary(max_size=200) | mutated)
def test_any_bytes_give_records_rejections_or_skips(payload: bytes):
    # Half with a receive time (the stream), half without (a file): no extra draw, it is slow.
    received_at = T0 + len(payload) if len(payload) % 2 else None
    decoder = StreamDecoder()
    outputs = decoder.feed(payload, received_at, {"offset": 0})
    check(outputs + decoder.feed(payload, received_at, {"offset": 1}) + decoder.finish())


@settings(max_examples=1_000, deadline=None)
@given(
    st.lists(st.sampled_from(VALID) | mutated.map(lambda b: b.decode("latin-1")), max_size=20),
    st.booleans(),
)
# Found by CI: an empty payload field made pyais build a bit vector of negative length.
@example(["!AIVDM,1,1,,,,E>j>R60000000000000000000000KMl0?g58000000000000000000000000,4*0B"], False)
def test_nothing_is_lost_every_input_ends_in_exactly_one_output(lines: list[str], stream: bool):
    decoder = StreamDecoder(timeout=60)
    outputs: list[Output] = []
    for i, line in enumerate(lines):
        outputs += decoder.feed(line.encode("latin-1"), T0 + 10 * i if stream else None, {"i": i})
    outputs += decoder.finish()
    check(outputs)
    seen = Counter(inp.source["i"] for out in outputs for inp in out.inputs)
    for i, line in enumerate(lines):
        try:
            time_only = isinstance(parse_line(line.encode("latin-1")), TimeLine)
        except Exception:
            time_only = False
        assert seen[i] == (0 if time_only else 1), (i, line, outputs)


LAT = st.floats(-90, 90, allow_nan=False)
LON = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=1_000, deadline=None)
@given(
    kind=st.sampled_from([1, 2, 3, 18, 19]),
    mmsi=st.integers(200_000_000, 799_999_999),
    lat=LAT,
    lon=LON,
    speed=st.floats(0, 102.2),
    course=st.floats(0, 359.9),
    heading=st.integers(0, 359),
    status=st.integers(0, 15),
    t=st.integers(0, 1_760_000_000),  # to 2025: a time a day past our clock is refused
)
def test_positions_round_trip_within_ais_resolution(
    kind, mmsi, lat, lon, speed, course, heading, status, t
):
    msg = {"type": kind, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": speed}
    msg |= {"course": course, "heading": heading, "status": status}
    (out,) = StreamDecoder().feed(tagged(sentences(msg)[0], t).encode())
    assert isinstance(out, Accepted), out
    got = out.records[0]
    assert isinstance(got, Position)
    assert (got.mmsi, got.ts.timestamp(), got.heading) == (mmsi, t, heading)
    assert math.isclose(got.lat, lat, abs_tol=1 / 600_000 + 1e-6)
    assert math.isclose(got.lon, lon, abs_tol=1 / 600_000 + 1e-6)
    # pyais's encoder truncates to tenths: the decoded value is at most 0.1 below.
    assert got.sog is not None and 0 <= speed - got.sog < 0.1 + 1e-9
    assert got.cog is not None and 0 <= course - got.cog < 0.1 + 1e-9
    assert got.nav_status == (None if kind in (18, 19) else status)


@settings(max_examples=500, deadline=None)
@given(
    mmsi=st.integers(200_000_000, 799_999_999),
    lat=st.floats(-90, 90).filter(lambda v: abs(v) <= 90),
    lon=LON,
    speed=st.integers(0, 62),
    status=st.integers(0, 15),
)
def test_long_range_positions_round_trip_at_a_tenth_of_a_minute(mmsi, lat, lon, speed, status):
    msg = {"type": 27, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": speed, "status": status}
    (out,) = StreamDecoder().feed(sentences(msg)[0].encode(), T0)
    assert isinstance(out, Accepted), out
    got = out.records[0]
    assert isinstance(got, Position)
    assert math.isclose(got.lat, lat, abs_tol=1 / 1200 + 1e-6)
    assert math.isclose(got.lon, lon, abs_tol=1 / 1200 + 1e-6)
    assert (got.sog, got.nav_status) == (speed, status)


SIXBIT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./", min_size=1, max_size=20)


@settings(max_examples=500, deadline=None)
@given(
    name=SIXBIT.map(str.strip).filter(bool),
    callsign=SIXBIT.map(lambda s: s[:7].strip()).filter(bool),
    imo=st.integers(1, 9_999_999),
    bow=st.integers(1, 300),
    stern=st.integers(1, 299),
    port=st.integers(1, 50),
    starboard=st.integers(1, 50),
    draught=st.integers(1, 255).map(lambda d: d / 10),
    channel=st.sampled_from("AB"),
    seq=st.integers(0, 9),
)
def test_voyage_data_round_trips(
    name, callsign, imo, bow, stern, port, starboard, draught, channel, seq
):
    msg = {**VOYAGE, "shipname": name, "callsign": callsign, "imo": imo, "draught": draught}
    msg |= {"to_bow": bow, "to_stern": stern, "to_port": port, "to_starboard": starboard}
    decoder = StreamDecoder()
    outs = [
        o for s in sentences(msg, channel=channel, seq_id=seq) for o in decoder.feed(s.encode(), T0)
    ]
    (out,) = outs
    assert isinstance(out, Accepted), out
    got = out.records[0]
    assert isinstance(got, Static)
    assert (got.name, got.callsign, got.imo) == (name, callsign, imo)
    assert (got.length, got.beam, got.draught) == (bow + stern, port + starboard, draught)
