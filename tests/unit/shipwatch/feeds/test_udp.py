"""udp://: datagrams as receivers send them (rtl-ais, AIS-catcher -u): a sentence split across
datagrams, several in one, one whole sentence with no line ending."""

from __future__ import annotations

import asyncio

from tests.fixtures.feed_servers import UdpSender, free_port, nmea_recording
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import RunningFeed, connected, heard, unique

LINES = nmea_recording(12, multiparts=1, tag_every=3)


def _datagrams(lines: list[bytes]) -> list[bytes]:
    l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11 = lines
    return [
        l0 + b"\r\n" + l1[:20],  # a whole line, then the start of the next
        l1[20:] + b"\r\n" + l2 + b"\n" + l3 + b"\r\n",  # its end and two more: packed
        l4,  # one whole sentence, no line ending
        l5[:7],  # a sentence in three datagrams, the last one without a line ending
        l5[7:30],
        l5[30:],
        l6 + b"\r",  # CR alone
        b"\n" + l7 + b"\n" + l8,  # the LF of a CRLF cut from its CR, then a packed pair
        b"\r\n",
        l9,
        l10 + b"\r\n" + l11,
    ]


def test_every_sentence_arrives_once_and_whole_however_the_datagrams_cut_them() -> None:
    name = unique("udp")
    port = free_port()
    url = f"udp://127.0.0.1:{port}"
    assert any(line[:1] == b"\\" for line in LINES)  # with tag blocks
    assert any(b"!AIVDM,2," in line for line in LINES)  # and a 2-part message

    async def scenario() -> None:
        async with RunningFeed({url: name}) as running:
            await eventually(lambda: connected(name) == 1, 5, "listening")
            with UdpSender(port) as sender:
                for datagram in _datagrams(LINES):
                    sender.send(datagram)
                    await asyncio.sleep(0.005)
                await eventually(lambda: len(running.published) == len(LINES), 5, "the lines")
            await asyncio.sleep(0.1)
        assert running.published.payloads == LINES
        assert heard(name) == len(LINES)
        assert connected(name) == 0

    asyncio.run(scenario())


def test_two_senders_cutting_sentences_at_the_same_time_are_framed_apart() -> None:
    name = unique("udp-two")
    port = free_port()
    url = f"udp://127.0.0.1:{port}"
    a, b = LINES[0], LINES[1]

    async def scenario() -> None:
        async with RunningFeed({url: name}) as running:
            await eventually(lambda: connected(name) == 1, 5, "listening")
            with UdpSender(port) as one, UdpSender(port) as two:
                one.send(a[:15])
                await asyncio.sleep(0.01)
                two.send(b[:25])
                await asyncio.sleep(0.01)
                one.send(a[15:] + b"\n")
                await asyncio.sleep(0.01)
                two.send(b[25:] + b"\n")
                await eventually(lambda: len(running.published) == 2, 5, "two lines")
        assert running.published.payloads == [a, b]
        assert len({item.key for item in running.published.items}) == 2

    asyncio.run(scenario())
