"""Deduplicator: the same AIS message heard by two receivers within the window passes once,
a multipart judged whole, a time line with the sentence it dates."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st
from pyais.util import checksum

from shipwatch.feeds.dedup import GROUP_WAIT_S, Deduplicator, Window
from shipwatch.feeds.received import Received


def _checked(text: str) -> str:
    """`text` with its NMEA checksum (XOR of the characters between the start and `*`)."""
    return f"{text}*{checksum(text[1:].encode()):02X}"


def _sentence(count: int, number: int, seq: str, body: str, channel: str = "A") -> bytes:
    return _checked(f"!AIVDM,{count},{number},{seq},{channel},{body},0").encode()


def _tag(fields: str) -> bytes:
    """A tag block with its checksum."""
    return f"\\{fields}*{checksum(fields.encode()):02X}\\".encode()


def _pghp(second: int, minute: int = 0) -> bytes:
    """A Gatehouse time line: 2024-03-08 00:`minute`:`second` UTC."""
    return _checked(f"$PGHP,1,2024,3,8,0,{minute},{second},0,219,2190047,2190047,1").encode()


def _item(payload: bytes, key: bytes = b"a", t: float = 0.0) -> Received:
    return Received(key.decode(), key, payload, t)


def _payloads(items: list[Received]) -> list[bytes]:
    return [i.payload for i in items]


TIME = _tag("c:1709856000")
PGHP = _pghp(0)
ONE = _sentence(1, 1, "", "13u?etPv2;0n:dDPwUM1U1Cb069D")
TAGGED_ONE = _tag("s:r,c:1709856000") + ONE
PART1 = _sentence(2, 1, "3", "55NBjP01mtGIL@CW;SM<D60P5Ld000000000000P0`<3557l0<50@kk@K5h@00")
PART2 = _sentence(2, 2, "3", "00000000000")


def test_a_message_heard_again_within_the_window_is_dropped_and_counted() -> None:
    dedup = Deduplicator(window_s=20)
    t0 = 1709856000.0  # the tag block's time: receivers heard it then
    assert _payloads(dedup.take(_item(ONE, b"a", t0))) == [ONE]
    assert dedup.take(_item(ONE, b"b", t0 + 1)) == []
    assert dedup.take(_item(TAGGED_ONE, b"b", t0 + 2)) == []  # the same payload, tagged
    assert dedup.duplicates == 2


def test_the_same_payload_at_another_time_of_its_own_is_another_message() -> None:
    # A moored vessel repeats its report word for word; a recorded day arrives within a second.
    dedup = Deduplicator(window_s=20)
    later = _tag("s:r,c:1709856300") + ONE  # five minutes later by its own time
    assert dedup.take(_item(TAGGED_ONE, b"a", 5.0))
    assert dedup.take(_item(later, b"a", 5.1))
    assert dedup.take(_item(TAGGED_ONE, b"b", 5.2)) == []  # the first again, another receiver
    assert dedup.duplicates == 1


def test_the_window_runs_from_the_first_time_a_message_is_heard() -> None:
    dedup = Deduplicator(window_s=10)
    assert dedup.take(_item(ONE, t=0.0))
    assert not dedup.take(_item(ONE, t=10.0))  # still within (the horizon is inclusive)
    assert dedup.take(_item(ONE, t=10.5))  # the window of the first hearing has passed
    assert not dedup.take(_item(ONE, t=15.0))  # and a new one runs from 10.5
    assert dedup.duplicates == 2


def test_a_window_forgets_old_keys_and_holds_at_most_max_keys() -> None:
    window = Window(5.0, max_keys=3)
    for n in range(3):
        assert window.first(b"k%d" % n, float(n))
    assert len(window) == 3
    assert window.first(b"k3", 3.0)  # the oldest goes to make room
    assert len(window) == 3
    assert window.first(b"k0", 3.5)  # forgotten: new again
    assert window.first(b"late", 100.0)
    assert len(window) == 1  # everything older than 5 s is gone


def test_a_window_of_zero_passes_everything() -> None:
    dedup = Deduplicator(window_s=0)
    for item in (_item(ONE), _item(ONE), _item(PART1), _item(TIME)):
        assert dedup.take(item) == [item]
    assert dedup.duplicates == 0


def test_json_is_keyed_on_its_bytes_and_other_lines_pass_untouched() -> None:
    dedup = Deduplicator(window_s=20)
    message = b'{"MessageType":"PositionReport","MetaData":{"MMSI":273000001}}'
    assert dedup.take(_item(message, b"a"))
    assert dedup.take(_item(message, b"b")) == []
    gga = b"$GPGGA,000000,0000.00,N,00000.00,E,1,08,0.9,0,M,0,M,,*47"
    assert dedup.take(_item(gga, b"a")) and dedup.take(_item(gga, b"b"))
    assert dedup.take(_item(b"garbage", b"a")) and dedup.take(_item(b"garbage", b"b"))
    assert dedup.duplicates == 1


def test_a_multipart_passes_whole_from_whichever_receiver_completes_it_first() -> None:
    dedup = Deduplicator(window_s=20)
    assert dedup.take(_item(PART1, b"a")) == []  # held until complete
    assert dedup.take(_item(PART1, b"b")) == []
    out = dedup.take(_item(PART2, b"b"))
    assert [(i.key, i.payload) for i in out] == [(b"b", PART1), (b"b", PART2)]
    assert dedup.take(_item(PART2, b"a")) == []  # a's copy: dropped whole
    assert dedup.duplicates == 1
    assert dedup.flush() == []


def test_a_fragment_one_receiver_missed_does_not_cost_the_message() -> None:
    dedup = Deduplicator(window_s=20)
    assert dedup.take(_item(PART1, b"a", 0.0)) == []
    assert _payloads(dedup.take(_item(ONE, b"a", 0.1))) == [ONE]  # others pass meanwhile
    assert dedup.take(_item(PART1, b"b", 0.2)) == []
    assert _payloads(dedup.take(_item(PART2, b"b", 0.3))) == [PART1, PART2]  # b's whole copy
    # a's missed PART2: the unfinished message passes as it is, keyed by its sender, after
    # the group wait (ingest judges it)
    unfinished = dedup.expire(GROUP_WAIT_S)
    assert [(i.key, i.payload, i.vessel) for i in unfinished] == [(b"a", PART1, None)]
    assert dedup.duplicates == 0


def test_a_new_message_in_a_slot_or_a_fragment_out_of_turn_passes_the_unfinished_as_it_is() -> None:
    dedup = Deduplicator(window_s=20)
    other = _sentence(2, 1, "3", "55NBjP01mtGIL@CW;SM<D60P5Ld000000000000P0`<3557l0<50@kk@K5h@11")
    assert dedup.take(_item(PART1, b"a")) == []
    assert _payloads(dedup.take(_item(other, b"a"))) == [PART1]  # slot (3, A) begins anew
    third = _sentence(3, 3, "3", "0000")
    assert _payloads(dedup.take(_item(third, b"a"))) == [other, third]  # 3 after 1 of 2
    alone = _sentence(2, 2, "4", "0000")
    assert _payloads(dedup.take(_item(alone, b"a"))) == [alone]  # continues nothing held
    assert all(i.vessel is None for i in dedup.flush()) and dedup.duplicates == 0


def test_a_corrupt_copy_passes_untouched_and_does_not_take_the_good_copys_place() -> None:
    """Ingest refuses the corrupt copy; the other receiver's good one must still pass."""
    good_tag = _tag("s:a,c:1709856000")
    corrupt = [
        ONE[:-2] + b"FF",  # the sentence's checksum
        _tag("s:a,c:1709856000")[:-2] + b"0\\" + ONE,  # the tag block's checksum
        _tag("s:a,c:17098x6000") + ONE,  # a time that does not read
        ONE.replace(b",0*", b",x*"),  # a field, so the checksum no longer holds
    ]
    for bad in corrupt:
        dedup = Deduplicator(window_s=20)
        assert _payloads(dedup.take(_item(bad, b"a", 1.0))) == [bad]
        assert [i.vessel for i in dedup.take(_item(bad, b"a", 1.0))] == [None]
        assert _payloads(dedup.take(_item(good_tag + ONE, b"b", 1.1))) == [good_tag + ONE]
        assert dedup.duplicates == 0
    dedup = Deduplicator(window_s=20)
    assert dedup.take(_item(PART1, b"a")) == []
    bad_part2 = PART2[:-2] + b"00"
    assert _payloads(dedup.take(_item(bad_part2, b"a"))) == [bad_part2]
    assert dedup.take(_item(PART1, b"b")) == []
    assert _payloads(dedup.take(_item(PART2, b"b"))) == [PART1, PART2]


def test_a_time_line_a_refused_line_used_goes_with_it() -> None:
    dedup = Deduplicator(window_s=20)
    assert dedup.take(_item(PGHP, b"a")) == []
    bad = ONE[:-2] + b"FF"
    assert _payloads(dedup.take(_item(bad, b"a"))) == [PGHP, bad]
    assert _payloads(dedup.take(_item(ONE, b"a"))) == [ONE]  # not dated by that time line


def test_gatehouse_times_tell_a_repeat_from_a_copy() -> None:
    """A moored vessel's report repeated word for word three minutes later by its `$PGHP` time
    is another message, though it arrives seconds after the first."""
    dedup = Deduplicator(window_s=20)
    dedup.take(_item(_pghp(0), b"a", 100.0))
    assert _payloads(dedup.take(_item(ONE, b"a", 100.0))) == [_pghp(0), ONE]
    assert dedup.take(_item(_pghp(0, minute=3), b"a", 105.0)) == []
    later = dedup.take(_item(ONE, b"a", 105.1))  # 3 min later by its own time
    assert _payloads(later) == [_pghp(0, minute=3), ONE]
    assert dedup.take(_item(_pghp(1), b"b", 106.0)) == []
    assert dedup.take(_item(ONE, b"b", 106.0)) == []  # the first again, 1 s off: a copy
    assert dedup.duplicates == 1


@given(st.data())
def test_one_sender_interleaving_messages_in_their_slots_passes_each_whole(
    data: st.DataObject,
) -> None:
    """A feed that merges many stations interleaves the fragments of messages in different
    slots (sequence id, channel): each is joined in its slot, as the decoder joins them."""
    slots = data.draw(
        st.lists(st.tuples(st.sampled_from("0123456789"), st.sampled_from("AB")), unique=True)
        .filter(bool)
        .map(lambda xs: xs[:8])
    )
    messages = []
    for i, (seq, channel) in enumerate(slots):
        parts = data.draw(st.integers(1, 3))
        messages.append(
            [
                _sentence(parts, k, seq if parts > 1 else "", f"M{i:03d}x{k}", channel)
                for k in range(1, parts + 1)
            ]
        )
    queues = [list(m) for m in messages]
    lines = []
    while any(queues):
        queue = data.draw(st.sampled_from([q for q in queues if q]))
        lines.append(queue.pop(0))
    dedup = Deduplicator(window_s=20)
    out = []
    for n, line in enumerate(lines):
        out += dedup.take(_item(line, b"a", n * 0.001))
    got = _payloads(out)
    for message in messages:
        at = got.index(message[0])
        assert got[at : at + len(message)] == message  # whole, together, in order
    assert sorted(got) == sorted(lines)
    assert dedup.flush() == [] and dedup.duplicates == 0


def test_a_time_line_goes_with_the_sentence_it_dates_and_is_dropped_with_it() -> None:
    dedup = Deduplicator(window_s=20)
    for time_line in (TIME, PGHP):
        dedup = Deduplicator(window_s=20)
        assert dedup.take(_item(time_line, b"a")) == []
        assert _payloads(dedup.take(_item(ONE, b"a"))) == [time_line, ONE]
        assert dedup.take(_item(time_line, b"b")) == []
        assert dedup.take(_item(ONE, b"b")) == []  # a duplicate: its time line goes too
        assert dedup.flush() == []
    assert dedup.take(_item(TIME, b"c")) == []
    assert dedup.take(_item(PART1, b"c")) == []
    assert _payloads(dedup.take(_item(PART2, b"c"))) == [TIME, PART1, PART2]


def test_held_lines_pass_as_they_are_after_the_group_wait_or_on_flush_or_forget() -> None:
    dedup = Deduplicator(window_s=20)
    dedup.take(_item(PART1, b"a", 100.0))
    dedup.take(_item(TIME, b"b", 101.0))
    dedup.take(_item(PART1, b"c", 102.0))
    assert dedup.expire(100.0 + GROUP_WAIT_S - 0.01) == []
    assert [(i.key, i.payload) for i in dedup.expire(100.0 + GROUP_WAIT_S)] == [(b"a", PART1)]
    assert _payloads(dedup.forget(b"b")) == [TIME]
    assert dedup.forget(b"b") == []
    assert [(i.key, i.payload) for i in dedup.flush()] == [(b"c", PART1)]
    assert dedup.streams == {}


# ---------------------------------------------------------------- two receivers, any order


@dataclass(frozen=True)
class Unit:
    """One message as a receiver sends it: maybe a time line, then its sentences."""

    index: int
    lines: tuple[bytes, ...]
    fragments: int


@st.composite
def _units(draw: st.DrawFn) -> list[Unit]:
    units = []
    for index in range(draw(st.integers(1, 12))):
        parts = draw(st.sampled_from([1, 1, 2, 3]))
        seq = "" if parts == 1 else str(draw(st.integers(0, 9)))
        channel = draw(st.sampled_from("AB"))
        body = f"B{index:03d}"
        lines = [_sentence(parts, n, seq, f"{body}p{n}", channel) for n in range(1, parts + 1)]
        time_line = draw(st.sampled_from([None, "tag", "pghp"]))
        if time_line == "tag":
            lines.insert(0, _tag(f"c:{1709856000 + index}"))
        elif time_line == "pghp":
            lines.insert(0, _pghp(index))
        units.append(Unit(index, tuple(lines), parts))
    return units


def _copy(units: list[Unit], lost: list[bool]) -> list[tuple[Unit, list[bytes], bool]]:
    """A receiver's copy: a multipart whose `lost` flag is set misses its last fragment."""
    out = []
    for unit, lose in zip(units, lost, strict=False):
        if lose and unit.fragments > 1:
            out.append((unit, list(unit.lines[:-1]), False))
        else:
            out.append((unit, list(unit.lines), True))
    return out


@given(_units(), st.data())
def test_two_receivers_interleaved_anyhow_pass_each_message_once_and_whole(
    units: list[Unit], data: st.DataObject
) -> None:
    lost = {
        key: data.draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
        for key in (b"a", b"b")
    }
    copies = {key: _copy(units, lost[key]) for key in (b"a", b"b")}
    queues = {key: [line for _, lines, _ in copies[key] for line in lines] for key in copies}
    dedup = Deduplicator(window_s=20)
    out: list[Received] = []
    t = 0.0
    while queues[b"a"] or queues[b"b"]:
        ready = [key for key in (b"a", b"b") if queues[key]]
        key = data.draw(st.sampled_from(ready)) if len(ready) > 1 else ready[0]
        t += 0.001
        out += dedup.take(_item(queues[key].pop(0), key, t))
    out += dedup.flush()

    passed_whole: dict[int, list[bytes]] = {}
    for key in (b"a", b"b"):
        mine = [i.payload for i in out if i.key == key]
        sent = [line for _, lines, whole in copies[key] if whole for line in lines]
        it = iter(sent)
        # a receiver's whole messages keep their order (an unfinished one waits for its end)
        assert all(line in it for line in mine if line in sent)
        for unit, lines, whole in copies[key]:
            present = [line in mine for line in lines]
            if whole:
                assert all(present) or not any(present)  # a whole message: all or nothing
                if all(present):
                    at = mine.index(lines[0])
                    assert mine[at : at + len(lines)] == lines  # together, as sent
                    passed_whole.setdefault(unit.index, []).append(key)
            else:
                assert all(present)  # an unfinished one passes as it is
    for unit in units:
        had_whole = [key for key in (b"a", b"b") if copies[key][unit.index][2]]
        assert len(passed_whole.get(unit.index, [])) == (1 if had_whole else 0), unit
    both_whole = sum(copies[b"a"][u.index][2] and copies[b"b"][u.index][2] for u in units)
    assert dedup.duplicates == both_whole


def test_every_line_of_a_message_is_keyed_by_its_vessel_whoever_heard_it() -> None:
    """So that a vessel's messages stay in order in one Kafka partition across receivers."""
    from shipwatch.ais.vessel_keys import vessel_of

    dedup = Deduplicator(window_s=20)
    single = dedup.take(_item(ONE, b"a", 1.0))
    assert [i.vessel for i in single] == [vessel_of(ONE.split(b",")[5])]
    assert dedup.take(_item(PGHP, b"b", 2.0)) == []  # held: it dates the next sentence
    assert dedup.take(_item(PART1, b"b", 2.1)) == []
    group = dedup.take(_item(PART2, b"b", 2.2))
    assert [i.payload for i in group] == [PGHP, PART1, PART2]
    assert {i.vessel for i in group} == {vessel_of(PART1.split(b",")[5])}
    assert None not in {i.vessel for i in group}
    aisstream = b'{"MessageType": "PositionReport", "MetaData": {"MMSI": 273000001}}'
    assert [i.vessel for i in dedup.take(_item(aisstream, b"c", 3.0))] == [b"273000001"]
    other = b"$GPGGA,1,2,3*00"  # names no vessel: keyed by its sender
    assert [i.vessel for i in dedup.take(_item(other, b"c", 3.1))] == [None]


def test_the_mmsi_is_read_from_the_payloads_first_bits() -> None:
    from pyais import encode_dict

    from shipwatch.ais.vessel_keys import vessel_of

    for mmsi in (445123456, 273000001, 1, 999999999):
        line = encode_dict({"type": 1, "mmsi": mmsi, "lat": 1.0, "lon": 2.0})[0]
        assert vessel_of(line.split(",")[5].encode()) == str(mmsi).encode()
    assert vessel_of(b"13u") is None  # too short
    assert vessel_of(b"13u?etP\x7f") == vessel_of(b"13u?etP")  # only the first 7 characters
    assert vessel_of(b"1~u?etPv") is None  # not 6-bit armoured


def test_odd_lines_whose_checksums_hold_pass_as_they_are_and_stop_nothing() -> None:
    """A fragment number that is no number, a `$PGHP` year of eleven digits: ingest refuses
    them; here they must not raise (a TCP feed stopped on one)."""
    dedup = Deduplicator(window_s=20)
    assert dedup.take(_item(PART1, b"a")) == []
    no_number = _sentence(2, 1, "3", "0000").replace(b",2,1,3,", b",2,,3,")
    no_number = _checked(no_number.decode().rsplit("*", 1)[0]).encode()
    assert _payloads(dedup.take(_item(no_number, b"a"))) == [no_number]
    year = _checked("$PGHP,1,99999999999,1,1,0,0,0,0,,,,,").encode()
    assert dedup.take(_item(year, b"a")) == []  # a time line, held for the next sentence
    assert _payloads(dedup.take(_item(ONE, b"a"))) == [year, ONE]


def test_a_sentence_is_dated_as_the_decoder_dates_it() -> None:
    """Its own tag first, else the last time line before it: two receivers whose copies carry
    different time lines before the same message are still one message."""
    dedup = Deduplicator(window_s=20)
    dedup.take(_item(_pghp(0, minute=30), b"a", 1.0))
    dedup.take(_item(_pghp(0), b"a", 1.0))
    assert _payloads(dedup.take(_item(ONE, b"a", 1.0))) != []
    dedup.take(_item(_pghp(1), b"b", 1.1))
    assert dedup.take(_item(ONE, b"b", 1.1)) == []  # 1 s from a's last time line: a copy
