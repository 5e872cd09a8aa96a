"""VesselKeys: each NMEA line keyed by the vessel its message is about, in the lines' order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shipwatch.ais.vessel_keys import VesselKeys, vessel_of
from tests.fixtures.ais_input import (
    POSITION,
    TANKER,
    VOYAGE,
    gatehouse,
    sentences,
    tagged,
    with_checksum,
)

T0 = 1_709_856_000


def _run(lines: list[str], sender: bytes = b"f") -> list[tuple[str, bytes]]:
    keys: VesselKeys[str] = VesselKeys()
    out = [pair for line in lines for pair in keys.take(sender, line, line.encode())]
    return out + keys.flush()


def test_a_message_its_time_line_and_its_fragments_share_the_vessels_key() -> None:
    other = {**VOYAGE, "mmsi": 445000002, "shipname": "SECOND"}
    a = sentences(VOYAGE, channel="A", seq_id=1)
    b = sentences(other, channel="B", seq_id=1)
    single = sentences(POSITION)[0]
    lines = [tagged(a[0], T0), b[0], gatehouse(T0), single, gatehouse(T0 + 5), b[1], a[1]]
    tanker, second = str(TANKER).encode(), b"445000002"
    assert _run(lines) == list(
        zip(lines, [tanker, second, tanker, tanker, second, second, tanker], strict=True)
    )


def test_lines_that_name_no_vessel_keep_the_senders_key() -> None:
    part2 = sentences(VOYAGE, seq_id=3)[1]  # its first fragment never came
    lines = ["$GPGGA,1,2*00", "!AIVDM,1,1,,A,short,0*00", part2, gatehouse(T0)]
    assert _run(lines) == [(line, b"f") for line in lines]  # the last: no sentence after it


@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=20), st.data())
def test_the_lines_order_is_never_changed_and_each_line_is_keyed_once(
    plan: list[tuple[int, bool]], data: st.DataObject
) -> None:
    lines = []
    for n, (which, timed) in enumerate(plan):
        if timed:
            lines.append(gatehouse(T0 + n))
        if which == 3:
            lines += sentences(VOYAGE, seq_id=n % 10)
        else:
            lines.append(sentences({**POSITION, "mmsi": 273000000 + which})[0])
    senders = [data.draw(st.sampled_from([b"a", b"b"])) for _ in lines]
    keys: VesselKeys[int] = VesselKeys()
    out = [p for i, line in enumerate(lines) for p in keys.take(senders[i], i, line.encode())]
    out += keys.flush()
    assert sorted(i for i, _ in out) == list(range(len(lines)))
    for sender in (b"a", b"b"):  # each sender's lines in order
        mine = [i for i, _ in out if senders[i] == sender]
        assert mine == sorted(mine)
    for i, key in out:
        sentence = lines[i].encode()
        if b"AIVDM,1,1" in sentence:
            assert key == vessel_of(sentence.split(b",")[5])


def test_what_a_sender_holds_is_bounded_whatever_its_lines() -> None:
    from shipwatch.ais.vessel_keys import MAX_SLOTS, MAX_WAITING

    keys: VesselKeys[int] = VesselKeys()
    out = [p for i in range(100) for p in keys.take(b"f", i, gatehouse(T0 + i).encode())]
    assert [i for i, _ in out] == list(range(100 - MAX_WAITING))  # the oldest go, in order
    assert {k for _, k in out} == {b"f"}
    body = sentences(VOYAGE, seq_id=1)[0].split(",")[5]
    for n in range(3000):  # garbage sequence ids, each a first fragment whose rest never came
        keys.take(b"f", n, with_checksum(f"!AIVDM,2,1,{n},A,{body},0").encode())
    assert len(keys._senders[b"f"].slots) <= MAX_SLOTS
