"""Two receivers, one sea: one `Feed` with two tcp:// sources replaying the same recording
publishes each message once, multipart messages included, whichever receiver was first."""

from __future__ import annotations

import asyncio
from collections import Counter

from shipwatch.feeds.received import Received
from tests.fixtures.feed_servers import NmeaReplayServer, messages_of, nmea_recording
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import RunningFeed, duplicates, heard, unique

LINES = nmea_recording(200, multiparts=3)
MESSAGES = messages_of(LINES)
MULTIPARTS = [i for i, line in enumerate(LINES) if b"!AIVDM,2,1," in line]


def _by_source(items: list[Received]) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for item in items:
        out.setdefault(item.source, []).append(item.payload)
    return out


def _is_subsequence(part: list[bytes], whole: list[bytes]) -> bool:
    it = iter(whole)
    return all(line in it for line in part)


def _check_each_message_once(items: list[Received]) -> None:
    assert Counter(item.payload for item in items) == Counter(LINES)  # each line once
    per_source = _by_source(items)
    for lines in per_source.values():
        assert _is_subsequence(lines, LINES)  # a receiver's lines keep their order
    for first in MULTIPARTS:  # a multipart comes whole from one receiver, its parts together
        fragments = (LINES[first], LINES[first + 1])
        (sender,) = {i.source for i in items if i.payload in fragments}
        lines = per_source[sender]
        at = lines.index(fragments[0])
        assert lines[at : at + 2] == list(fragments)


def test_two_receivers_replaying_the_same_recording_publish_each_message_once() -> None:
    a, b = unique("rx-a"), unique("rx-b")

    async def scenario() -> None:
        before = duplicates()
        async with NmeaReplayServer(LINES) as one, NmeaReplayServer(LINES) as two:
            async with RunningFeed({one.url: a, two.url: b}) as running:
                await eventually(
                    lambda: heard(a) == heard(b) == len(LINES), 10, "both copies heard"
                )
                await eventually(lambda: len(running.published) == len(LINES), 5, "published")
                await asyncio.sleep(0.1)
            summary = running.summary
        assert summary is not None
        assert len(running.published) == len(LINES)
        _check_each_message_once(running.published.items)
        assert duplicates() - before == len(MESSAGES)  # one copy's messages, multiparts once
        assert summary.duplicates == len(MESSAGES)
        assert summary.published == len(LINES)
        # Evidence of who heard what: each receiver's copies that another had brought first.
        published_by = {s: sum(1 for i in running.published.items if i.source == s) for s in (a, b)}
        assert duplicates(a) + duplicates(b) == len(MESSAGES)
        assert duplicates(a) > 0 or published_by[a] == len(LINES)

    asyncio.run(scenario())


def test_a_multipart_whose_fragments_come_partly_from_each_receiver_is_published_once() -> None:
    """Receiver A's first fragment, then all of B's message, then A's second fragment (B's
    copy passes, whole; A's is dropped, whole); and the other way round for the next one."""
    a, b = unique("rx-a"), unique("rx-b")
    m1, m2 = MULTIPARTS[0], MULTIPARTS[1]

    async def scenario() -> None:
        before = duplicates()
        one, two = NmeaReplayServer(LINES), NmeaReplayServer(LINES)
        one.play_to(0)
        two.play_to(0)
        async with one, two, RunningFeed({one.url: a, two.url: b}) as running:
            for server, upto, source in (
                (one, m1 + 1, a),  # A: up to m1's first fragment
                (two, m1 + 2, b),  # B: up to m1's second fragment: B's m1 is complete first
                (one, m2 + 1, a),  # A: m1's second fragment (a duplicate), up to m2's first
                (two, m2 + 1, b),  # B: up to m2's first fragment
                (one, len(LINES), a),  # A completes m2 first
                (two, len(LINES), b),
            ):
                await eventually(lambda s=server: s.connections == 1, 5, "connected")
                server.play_to(upto)
                await eventually(lambda s=source, n=upto: heard(s) == n, 5, f"{source} {upto}")
            await eventually(lambda: len(running.published) == len(LINES), 5, "published")
            await asyncio.sleep(0.1)
        items = running.published.items
        _check_each_message_once(items)
        senders = {i.payload: i.source for i in items}
        assert senders[LINES[m1]] == senders[LINES[m1 + 1]] == b
        assert senders[LINES[m2]] == senders[LINES[m2 + 1]] == a
        assert duplicates() - before == len(MESSAGES)

    asyncio.run(scenario())
