"""tag_time (the `c:` of a line's tag block) and ClockWatch (the source's offset from ours)."""

from __future__ import annotations

import pytest

from shipwatch.feeds.clock import SAMPLES, ClockWatch, tag_time

SENTENCE = b"!AIVDM,1,1,,A,15M67F@P1a9D0R0FtPH3Q2l1P000,0*02"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"\\c:1709856000*55\\" + SENTENCE, 1709856000.0),
        (b"\\s:rcv1,c:1709856000*6E\\" + SENTENCE, 1709856000.0),
        (b"\\g:1-2-73,s:rcv1,c:1709856000.25*00\\" + SENTENCE, 1709856000.25),
        (b"\\c:1709856000123*00\\" + SENTENCE, 1709856000.123),  # milliseconds
        (b"\\c:1709856000*55\\", 1709856000.0),  # a tag block alone
        (b"\\s:rcv1,c:1709856000\\" + SENTENCE, 1709856000.0),  # no checksum
        (SENTENCE, None),  # no tag block
        (b"\\s:rcv1*00\\" + SENTENCE, None),  # no c:
        (b"\\c:soon*00\\" + SENTENCE, None),  # not a number
        (b"\\c:nan*00\\" + SENTENCE, None),  # read as a float, but no time
        (b"\\c:inf*00\\" + SENTENCE, None),
        (b"\\c:1709856000*55" + SENTENCE, None),  # not closed
        (b"!AIVDM,1,1,,A,c:1709856000,0*00", None),  # c: outside a tag block
        (b"\\t:c:1709856000*00\\" + SENTENCE, None),  # c: inside another field's text
        (b"\\s:r*00,c:1709856000\\" + SENTENCE, None),  # after the checksum
        (b"", None),
    ],
)
def test_tag_time(line: bytes, expected: float | None) -> None:
    assert tag_time(line) == expected


def test_the_offset_is_the_median_and_the_verdict_is_reported_when_it_changes() -> None:
    watch = ClockWatch(tolerance_s=300)
    now = 1709856000.0
    assert watch.observe(SENTENCE, now) is None  # no time of its own: not a sample
    assert watch.offset is None
    for _ in range(2):
        assert watch.observe(b"\\c:%d*00\\" % (now + 10) + SENTENCE, now) is None  # within
    assert watch.offset == 10
    assert watch.observe(b"\\c:%d*00\\" % (now + 5000) + SENTENCE, now) is None  # median 10
    assert watch.observe(b"\\c:%d*00\\" % (now + 5000) + SENTENCE, now) is True  # 2505
    assert watch.offset == 2505
    assert watch.off
    assert watch.observe(b"\\c:%d*00\\" % (now + 5000) + SENTENCE, now) is None  # no change
    for _ in range(SAMPLES):
        verdict = watch.observe(b"\\c:%d*00\\" % now + SENTENCE, now)
        if verdict is not None:
            assert verdict is False
            break
    assert not watch.off
    assert watch.offset is not None and abs(watch.offset) <= 300
