"""`sound_time`: a line's checksums and tag-block time, read by hand for the feed's every line,
say what `parse_line`'s own reading says."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from pyais.util import checksum

from shipwatch.ais.errors import Rejected
from shipwatch.ais.nmea import _split_tag_block, _verify_checksum, sound_time

SENTENCE = "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0"


def plain(raw: bytes) -> tuple[bool, float | None]:
    """The same question through `parse_line`'s steps (pyais's TagBlock)."""
    line = raw.strip()
    if not line.isascii():
        return False, None
    try:
        tag_time, rest = _split_tag_block(line)
        if not rest:
            return tag_time is not None, tag_time
        _verify_checksum(rest)
    except Rejected:
        return False, None
    return True, tag_time


_stamp = st.one_of(
    st.integers(-10, 5_000_000_000_000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "x", "1e3", " 17", "0x1f", "1_0", "nan", "-inf", "1709856000.5"]),
)
_field = st.one_of(
    _stamp.map(lambda v: f"c:{v}"),
    st.sampled_from(["s:rcv1", "g:1-2-73", "g:bad", "n:12", "t:text", "c", "x:y:z", ""]),
)


@st.composite
def _lines(draw: st.DrawFn) -> bytes:
    fields = ",".join(draw(st.lists(_field, max_size=4)))
    good = f"{checksum(fields.encode()):02X}"
    # Mostly well formed, so that the time in a block whose checksum holds is what is tested.
    check = draw(st.sampled_from([good] * 6 + [good.lower(), "00", "", "G1", "1*2", " 1f"]))
    star = draw(st.sampled_from(["*"] * 6 + ["", "**"]))
    block = f"\\{fields}{star}{check}\\" if draw(st.integers(0, 4)) else ""
    right = f"{SENTENCE}*{checksum(SENTENCE[1:].encode()):02X}"
    sentence = draw(st.sampled_from([right, right, f"{SENTENCE}*00", SENTENCE, ""]))
    return (block + sentence).encode()


def _block(fields: str) -> bytes:
    return f"\\{fields}*{checksum(fields.encode()):02X}\\".encode()


@given(_lines())
@example(_block("c:x,c:1709856000"))  # the last c: counts
@example(_block("c:1709856000,c:x"))
@example(_block("c:1709856000123"))  # milliseconds
@example(b"\\c:1709856000*55\\")
@example(b"\\c:nan*" + f"{checksum(b'c:nan'):02X}".encode() + b"\\")
@example(b"\\s:r,c:1709856000\\")
def test_sound_time_says_what_parse_lines_own_reading_says(line: bytes) -> None:
    assert sound_time(line) == plain(line)
