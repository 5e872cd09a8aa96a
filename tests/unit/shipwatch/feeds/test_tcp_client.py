"""tcp://: the real TcpClient against a receiver's server replaying a recording: a cut in the
middle of a line, a server that refuses connections for a while, a quiet server."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from pydantic import SecretStr

from tests.fixtures.feed_servers import NmeaReplayServer, nmea_recording
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import (
    RunningFeed,
    connected,
    cut,
    feed_settings,
    heard,
    reconnects,
    unique,
)

LINES = nmea_recording(200)
CUT_AT = 120


@pytest.mark.parametrize("refuse", ["close", "reset"])
def test_a_cut_mid_line_then_refusals_lose_no_line_and_glue_none(
    refuse: Literal["close", "reset"],
) -> None:
    """The server sends half of line 120 and closes, refuses connections for ~1 s (its
    listening socket closed, or each connection closed at once), then goes on from line 120:
    every line arrives once, whole, in order; the half line is counted as cut, never sent."""
    name = unique(f"replay-{refuse}")

    async def scenario() -> None:
        async with NmeaReplayServer(LINES, cut_at=CUT_AT, refuse_s=1.0, refuse=refuse) as server:
            samples: list[tuple[bool, float]] = []  # (server refusing, connected gauge)

            async def watch() -> None:
                while True:
                    samples.append((server.refusing, connected(name)))
                    await asyncio.sleep(0.01)

            async with RunningFeed({server.url: name}) as running:
                watching = asyncio.create_task(watch())
                await eventually(lambda: len(running.published) >= len(LINES), 10, "all lines")
                await asyncio.sleep(0.1)  # nothing more may come
                assert connected(name) == 1  # the resumed connection is held
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
            assert connected(name) == 0  # stopped
            assert server.cuts == 1
            if refuse == "reset":
                assert server.refused >= 1

        published = running.published
        assert published.payloads == LINES  # each once, in order, none glued or partial
        assert {item.source for item in published.items} == {name}
        assert all(b"\r" not in p and b"\n" not in p for p in published.payloads)
        assert cut(name) == 1
        # Every connection after the first counts: the resumed one, and with refuse="reset"
        # each one accepted and closed at once in between.
        assert server.connections == 2
        assert reconnects(name) == server.connections - 1 + server.refused
        assert heard(name) == len(LINES)
        assert any(refusing and gauge == 0 for refusing, gauge in samples)
        assert samples[-1][1] == 1

    asyncio.run(scenario())


def test_connected_is_one_only_while_a_connection_is_up() -> None:
    name = unique("gauge")

    async def scenario() -> None:
        async with NmeaReplayServer(LINES[:10]) as server, RunningFeed({server.url: name}) as run:
            await eventually(lambda: len(run.published) == 10, 5, "ten lines")
            assert connected(name) == 1
            assert reconnects(name) == 0
            await server.close()  # the receiver goes away
            await eventually(lambda: connected(name) == 0, 5, "connected back to 0")
        assert cut(name) == 0  # it ended on a line ending: nothing was cut

    asyncio.run(scenario())


def test_a_quiet_source_is_reconnected_once_then_kept_over_many_quiet_periods() -> None:
    """A server that accepts and sends nothing: after feed_quiet_s the client reconnects
    once, at once, and then stays connected however long the silence lasts."""
    name = unique("quiet")
    quiet_s = 0.2

    async def scenario() -> None:
        async with (
            NmeaReplayServer([]) as server,
            RunningFeed({server.url: name}, feed_quiet_s=quiet_s),
        ):
            await eventually(lambda: server.connections == 2, 3, "the one reconnect")
            await asyncio.sleep(quiet_s * 5)  # five more quiet periods
            assert server.connections == 2
            assert reconnects(name) == 1
            assert connected(name) == 1

    asyncio.run(scenario())


def test_data_after_the_quiet_reconnect_rearms_the_watchdog() -> None:
    """Once lines flow again, a later silence is again worth one reconnect."""
    name = unique("quiet-again")
    quiet_s = 0.2

    async def scenario() -> None:
        server = NmeaReplayServer(LINES[:4])
        server.play_to(0)
        async with server, RunningFeed({server.url: name}, feed_quiet_s=quiet_s) as running:
            await eventually(lambda: server.connections == 2, 3, "the first quiet reconnect")
            server.play_to(2)
            await eventually(lambda: len(running.published) == 2, 3, "two lines")
            await eventually(lambda: server.connections == 3, 3, "a second quiet reconnect")
            await asyncio.sleep(quiet_s * 4)
            assert server.connections == 3
            server.play_to(4)
            await eventually(lambda: len(running.published) == 4, 3, "the rest")
        assert running.published.payloads == LINES[:4]
        assert reconnects(name) == 2

    asyncio.run(scenario())


def test_the_login_line_is_sent_after_connecting() -> None:
    """feed_tcp_login (Spire's `A|T|<token>`) goes first on every connection."""
    name = unique("login")

    async def scenario() -> None:
        async with NmeaReplayServer(LINES[:3]) as server:
            settings = feed_settings(
                feed_names={server.url: name}, feed_tcp_login=SecretStr("A|T|token")
            )
            async with RunningFeed({server.url: name}, settings) as running:
                await eventually(lambda: len(running.published) == 3, 5, "three lines")
        assert server.from_clients == [b"A|T|token\r\n"]

    asyncio.run(scenario())
