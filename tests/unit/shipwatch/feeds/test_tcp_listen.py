"""tcp-listen://: receivers connect to the feed and push lines (AIS-catcher -P, AIS Dispatcher)."""

from __future__ import annotations

import asyncio
import contextlib
import random

from tests.fixtures.feed_servers import nmea_recording
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import (
    RunningFeed,
    connected,
    cut,
    heard,
    reconnects,
    unique,
)

LINES = nmea_recording(60, multiparts=2)


async def _listening_port(running: RunningFeed) -> int:
    listener = running.connections[0]
    await eventually(lambda: listener.server is not None and listener.server.sockets, 5, "listen")
    return int(listener.server.sockets[0].getsockname()[1])


async def _push(port: int, data: bytes, rng: random.Random) -> None:
    """Connect, send `data` in pieces cut at arbitrary bytes (each its own write), leave."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        at = 0
        while at < len(data):
            size = rng.randint(1, 40)
            writer.write(data[at : at + size])
            await writer.drain()
            at += size
            if rng.random() < 0.3:
                await asyncio.sleep(0.002)  # let the feed read what it has
    finally:
        writer.close()
        await writer.wait_closed()


def test_pushed_lines_split_anywhere_arrive_once_and_a_partial_last_line_never() -> None:
    name = unique("listen")
    url = "tcp-listen://127.0.0.1:0"
    rng = random.Random(7)
    endings = [b"\r\n", b"\n", b"\r"]
    first = b"".join(line + rng.choice(endings) for line in LINES[:40])
    partial = LINES[40][:25]  # the receiver goes away in the middle of this line
    second = b"".join(line + b"\r\n" for line in LINES[41:])

    async def scenario() -> None:
        async with RunningFeed({url: name}) as running:
            port = await _listening_port(running)
            await _push(port, first + partial, rng)
            await eventually(lambda: cut(name) == 1, 5, "the partial line counted as cut")
            await _push(port, second, rng)  # another connection: its first line is whole
            await eventually(lambda: len(running.published) == len(LINES) - 1, 5, "the lines")
            await asyncio.sleep(0.1)
        assert running.published.payloads == LINES[:40] + LINES[41:]
        assert partial not in running.published.payloads
        assert heard(name) == len(LINES) - 1
        assert cut(name) == 1
        assert reconnects(name) == 0  # receivers come and go: the listener never went away
        assert connected(name) == 0  # the feed stopped: not listening any more

    asyncio.run(scenario())


def test_two_receivers_pushing_at_once_keep_their_own_lines_apart() -> None:
    """Each receiver has its own framer and key: lines are never glued across receivers."""
    name = unique("listen-two")
    url = "tcp-listen://127.0.0.1:0"
    half = len(LINES) // 2
    # Both halves end on a whole message (no multipart is split between the receivers).
    assert b"!AIVDM,2,1," not in LINES[half - 1]

    async def scenario() -> None:
        async with RunningFeed({url: name}) as running:
            port = await _listening_port(running)
            await asyncio.gather(
                _push(port, b"".join(x + b"\n" for x in LINES[:half]), random.Random(1)),
                _push(port, b"".join(x + b"\n" for x in LINES[half:]), random.Random(2)),
            )
            await eventually(lambda: len(running.published) == len(LINES), 5, "the lines")
        items = running.published.items
        assert sorted(i.payload for i in items) == sorted(LINES)
        keys = {i.key for i in items}
        assert len(keys) == 2
        for key in keys:
            mine = [i.payload for i in items if i.key == key]
            assert mine in (LINES[:half], LINES[half:])

    asyncio.run(scenario())


def test_connected_is_one_while_listening() -> None:
    name = unique("listen-gauge")
    url = "tcp-listen://127.0.0.1:0"

    async def scenario() -> None:
        async with RunningFeed({url: name}) as running:
            port = await _listening_port(running)
            assert connected(name) == 1  # listening, no receiver yet
            await _push(port, LINES[0] + b"\n", random.Random(3))
            await eventually(lambda: len(running.published) == 1, 5, "the line")
            await asyncio.sleep(0.05)
            assert connected(name) == 1  # the receiver left; still listening
        assert connected(name) == 0

    asyncio.run(scenario())


def test_stop_returns_while_a_receiver_is_still_connected_and_pushing() -> None:
    name = unique("listen-stop")
    url = "tcp-listen://127.0.0.1:0"

    async def scenario() -> None:
        async with RunningFeed({url: name}) as running:
            port = await _listening_port(running)
            _, writer = await asyncio.open_connection("127.0.0.1", port)

            closed_by_the_feed = asyncio.Event()

            async def pushing() -> None:
                try:
                    for n in range(100_000):  # every line new: none is dropped as a duplicate
                        writer.write(b"$GPTXT,01,01,02,line %d*00\r\n" % n)
                        await writer.drain()
                        await asyncio.sleep(0.005)
                except ConnectionError:
                    closed_by_the_feed.set()  # a stopping feed closes its receivers' connections

            push = asyncio.create_task(pushing())
            try:
                await eventually(lambda: len(running.published) > 5, 5, "lines flowing")
                await running.stopped(within_s=1.5)  # the drain takes a few batches at most
                await asyncio.sleep(0.2)
                flowing = len(running.published)
                await asyncio.sleep(0.2)
                assert len(running.published) == flowing  # nothing published after the stop
                await asyncio.wait_for(closed_by_the_feed.wait(), 2)
            finally:
                push.cancel()
                await asyncio.gather(push, return_exceptions=True)
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

    asyncio.run(scenario())
