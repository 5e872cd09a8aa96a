"""Outlet: one bounded buffer; a TCP source waits for room, a UDP or WebSocket source drops and
counts; duplicates are counted in shipwatch_duplicate_positions_total."""

from __future__ import annotations

import asyncio

from shipwatch.feeds.dedup import Deduplicator
from shipwatch.feeds.outlet import Outlet, Source
from shipwatch.feeds.sources import parse_source
from tests.fixtures.feed_servers import nmea_recording
from tests.unit.shipwatch.feeds.harness import duplicates, heard, sample, unique

LINES = nmea_recording(10, multiparts=0)


def _source(prefix: str) -> Source:
    name = unique(prefix)
    return Source(parse_source("udp://:1", {"udp://:1": name}), 300.0)


def test_a_sender_that_cannot_wait_drops_and_counts_what_finds_the_buffer_full() -> None:
    source = _source("full")

    async def scenario() -> None:
        outlet = Outlet(3, Deduplicator(20.0))
        for line in LINES[:5]:
            outlet.offer(source, b"k", [line])
        assert [i.payload for i in outlet.buffer] == LINES[:3]
        assert sample("shipwatch_feed_dropped_total", source=source.name, reason="buffer_full") == 2
        assert heard(source.name) == 5  # heard, all the same
        assert [i.payload for i in await outlet.take(10, 0)] == LINES[:3]
        outlet.offer(source, b"k", [LINES[5]])
        assert [i.payload for i in outlet.buffer] == [LINES[5]]

    asyncio.run(scenario())


def test_a_sender_that_can_wait_waits_for_room() -> None:
    source = _source("wait")

    async def scenario() -> None:
        outlet = Outlet(2, Deduplicator(20.0))
        await outlet.put(source, b"k", LINES[:2])
        putting = asyncio.create_task(outlet.put(source, b"k", LINES[2:4]))
        await asyncio.sleep(0.05)
        assert not putting.done()  # full: the TCP source stops reading
        assert [i.payload for i in await outlet.take(1, 0)] == LINES[:1]
        await asyncio.wait_for(putting, 1)
        assert [i.payload for i in await outlet.take(10, 0)] == LINES[1:4]

    asyncio.run(scenario())


def test_a_sender_stopped_while_it_waits_for_room_loses_nothing_it_read() -> None:
    """Its lines were read off the socket and counted as heard: the stop publishes them."""
    source = _source("stopped")

    async def scenario() -> None:
        outlet = Outlet(2, Deduplicator(20.0))
        await outlet.put(source, b"k", LINES[:2])
        waiting = asyncio.create_task(outlet.put(source, b"k", LINES[2:5]))
        await asyncio.sleep(0.01)
        assert not waiting.done() and len(outlet.buffer) == 2
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        outlet.close()
        assert [i.payload for i in await outlet.take(10, 0)] == LINES[:5]

    asyncio.run(scenario())


def test_duplicates_are_counted_once_each() -> None:
    a, b = _source("dup-a"), _source("dup-b")

    async def scenario() -> None:
        before = duplicates()
        outlet = Outlet(100, Deduplicator(20.0))
        await outlet.put(a, b"a", LINES)
        outlet.offer(b, b"b", LINES)
        assert duplicates() - before == len(LINES)
        assert [i.payload for i in await outlet.take(100, 0)] == LINES

    asyncio.run(scenario())


def test_a_message_longer_than_ingest_reads_is_cut_and_counted() -> None:
    """A WebSocket message of megabytes would be refused by the broker for its size and sent
    again for ever, holding up everything behind it: cut, it is dead-lettered as too large."""
    from shipwatch.ais.raw_message import MAX_MESSAGE_BYTES
    from shipwatch.feeds.outlet import MAX_UNIT_BYTES

    source = _source("huge")

    async def scenario() -> None:
        outlet = Outlet(10, Deduplicator(20.0))
        huge = b'{"MetaData": {"MMSI": 273000001}, "x": "' + b"y" * 2_000_000 + b'"}'
        outlet.offer(source, b"k", [huge, LINES[0]])
        taken = [i.payload for i in await outlet.take(10, 0)]
        assert taken == [huge[:MAX_UNIT_BYTES], LINES[0]]
        assert len(taken[0]) == MAX_MESSAGE_BYTES + 1  # ingest: too large, dead-lettered
        assert sample("shipwatch_feed_malformed_total", source=source.name, reason="too_long") == 1

    asyncio.run(scenario())
