"""aisstream://: the real AisStream against a local WebSocket server speaking aisstream.io's
protocol: the subscription within 3 s, JSON messages, abrupt closes, and "too many requests"."""

from __future__ import annotations

import asyncio
from typing import Literal

import aiohttp
import orjson
import pytest
from pydantic import SecretStr

from shipwatch.feeds.backoff import THROTTLED_S
from tests.fixtures.feed_servers import AisStreamServer, Behaviour, aisstream_position
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import RunningFeed, connected, reconnects, unique

BOXES = [[[33.0, 127.0], [47.0, 142.0]], [[1.5, 2.5], [3.5, 4.5]]]
MESSAGES = [aisstream_position(273_100_000 + n, 42.0 + n / 100, 133.0, second=n) for n in range(6)]


def _feed(server: AisStreamServer, name: str) -> RunningFeed:
    return RunningFeed(
        {"aisstream://": name},
        aisstream_api_key=SecretStr("k"),
        aisstream_url=server.url,
        aisstream_boxes=BOXES,
        aisstream_mmsi=["273100001"],
        aisstream_message_types=["PositionReport"],
    )


def _quick(running: RunningFeed) -> None:
    """The first waits of the backoff in tens of milliseconds, not seconds (the same full
    jitter and doubling: only its base is smaller)."""
    running.connections[0].backoff.base_s = 0.02


@pytest.mark.parametrize(
    ("close", "binary"), [("1011", False), ("drop", True)], ids=["close-1011", "dropped"]
)
def test_messages_are_published_as_received_and_a_close_is_followed_by_a_reconnect(
    close: Literal["1011", "drop"], binary: bool
) -> None:
    name = unique(f"aisstream-{close}")

    async def scenario() -> None:
        server = AisStreamServer(MESSAGES, per_connection=3, close=close, binary=binary)
        async with server, _feed(server, name) as running:
            _quick(running)
            await eventually(lambda: len(running.published) == 6, 5, "six messages")
            await eventually(lambda: server.connections == 3, 5, "the third connection")
            await eventually(lambda: connected(name) == 1, 5, "connected")
            assert reconnects(name) == 2
        assert running.published.payloads == [orjson.dumps(m) for m in MESSAGES]
        assert {item.key for item in running.published.items} == {name.encode()}
        assert server.timed_out == 0
        assert len(server.subscriptions) == 3  # one per connection
        for subscription in server.subscriptions:
            assert subscription == {
                "APIKey": "k",
                "BoundingBoxes": BOXES,
                "FiltersShipMMSI": ["273100001"],
                "FilterMessageTypes": ["PositionReport"],
            }
        assert all(delay < 3.0 for delay in server.subscription_delays)
        assert connected(name) == 0

    asyncio.run(scenario())


@pytest.mark.parametrize("refusal", ["http429", "too_many"])
def test_too_many_requests_sets_a_backoff_floor_of_thirty_minutes(refusal: Behaviour) -> None:
    """After HTTP 429 on the upgrade, or `{"error": "Too many requests"}` after the
    subscription, the next wait is at least 30 min (not waited for: the feed is stopped)."""
    name = unique(f"aisstream-{refusal}")

    async def scenario() -> None:
        server = AisStreamServer(MESSAGES, per_connection=3, plan=["stream", refusal])
        async with server, _feed(server, name) as running:
            _quick(running)
            stream = running.connections[0]
            await eventually(lambda: server.connections == 2, 5, "the refused connection")
            await eventually(lambda: stream.backoff.floor_s >= THROTTLED_S, 5, "the floor")
            assert stream.backoff.floor_s >= 1800
            assert stream.backoff.next_delay() >= 1800
            await asyncio.sleep(0.2)
            assert server.connections == 2  # not asked again
        assert running.published.payloads == [orjson.dumps(m) for m in MESSAGES[:3]]
        assert all(b"error" not in p for p in running.published.payloads)

    asyncio.run(scenario())


def test_another_refusal_is_no_throttle_and_is_not_published() -> None:
    """A bad key (`{"error": "Api Key Is Not Valid"}`) is retried with the ordinary backoff."""
    name = unique("aisstream-badkey")

    async def scenario() -> None:
        server = AisStreamServer(MESSAGES, api_key="another")
        async with server, _feed(server, name) as running:
            _quick(running)
            await eventually(lambda: server.connections >= 2, 5, "retried")
            assert running.connections[0].backoff.floor_s == 0
        assert running.published.payloads == []
        assert server.sent == 0

    asyncio.run(scenario())


def test_the_server_closes_a_connection_that_does_not_subscribe_in_time() -> None:
    """The local server holds aisstream.io's rule (within 3 s; shortened here)."""

    async def scenario() -> None:
        async with (
            AisStreamServer(MESSAGES, subscribe_within_s=0.2) as server,
            aiohttp.ClientSession() as session,
            session.ws_connect(server.url) as ws,
        ):
            message = await ws.receive(timeout=2)
            assert message.type == aiohttp.WSMsgType.CLOSE
            assert ws.close_code == 1008
        assert server.timed_out == 1
        assert server.sent == 0

    asyncio.run(scenario())


def test_a_quiet_subscription_is_reconnected_once_then_kept() -> None:
    name = unique("aisstream-quiet")

    async def scenario() -> None:
        async with AisStreamServer([]) as server:  # it takes the subscription, sends nothing
            running = RunningFeed(
                {"aisstream://": name},
                aisstream_api_key=SecretStr("k"),
                aisstream_url=server.url,
                feed_quiet_s=0.2,
            )
            async with running:
                _quick(running)
                await eventually(lambda: server.connections == 2, 3, "the one reconnect")
                await asyncio.sleep(1.0)  # five more quiet periods
                assert server.connections == 2
                assert reconnects(name) == 1
                assert connected(name) == 1

    asyncio.run(scenario())
