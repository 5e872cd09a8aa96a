"""aishub://: the real AisHub against a local server shaped like AISHub's ws.php. Polls are
made one at a time (`poll`), or by the `run` loop with its waits recorded instead of slept
(aishub_interval_s is at least 60 s by validation)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
import orjson
import pytest
from pydantic import SecretStr

from shipwatch.feeds import aishub
from shipwatch.feeds.backoff import THROTTLED_S
from shipwatch.feeds.errors import FeedError, TooManyRequests
from shipwatch.feeds.runner import Feed
from shipwatch.feeds.sources import parse_sources
from tests.fixtures.feed_servers import TOO_FREQUENT, AisHubServer, aishub_answer, aishub_vessel
from tests.unit.shipwatch.feeds.harness import (
    Published,
    connected,
    duplicates,
    feed_settings,
    unique,
)

T1, T2 = "2024-03-08 00:00:00 GMT", "2024-03-08 00:01:00 GMT"
BOX = (40.0, 41.5, 130.0, 131.5)


def _feed(server: AisHubServer, name: str) -> tuple[Feed, Any]:
    settings = feed_settings(
        feed_names={"aishub://": name},
        aishub_username=SecretStr("AH_user"),
        aishub_url=server.url,
        aishub_box=BOX,
    )
    feed = Feed(parse_sources(["aishub://"], settings.feed_names), settings, Published())
    return feed, feed.connections[0]


async def _taken(feed: Feed) -> list[Any]:
    return [(item.key, orjson.loads(item.payload)) for item in await feed.outlet.take(100, 0)]


def test_each_vessel_is_published_alone_and_an_unchanged_time_is_a_duplicate() -> None:
    name = unique("aishub")
    v1, v2 = aishub_vessel(273_200_001, T1), aishub_vessel(273_200_002, T1, lat=40.5)
    now = [v1, v2]

    async def scenario() -> None:
        async with AisHubServer(lambda: list(now), min_interval_s=0) as server:
            feed, hub = _feed(server, name)
            async with aiohttp.ClientSession() as session:
                await hub.poll(session)
                assert await _taken(feed) == [(name.encode(), v1), (name.encode(), v2)]
                assert connected(name) == 1

                before = duplicates()
                await hub.poll(session)  # the same reports again
                assert await _taken(feed) == []
                assert duplicates() - before == 2

                moved = aishub_vessel(273_200_001, T2, lat=40.2)
                now[0] = moved
                await hub.poll(session)  # one vessel has a new report
                assert await _taken(feed) == [(name.encode(), moved)]
                assert duplicates() - before == 3
            assert server.polls[0] == {
                "username": "AH_user",
                "format": "1",
                "output": "json",
                "compress": "0",
                "latmin": "40.0",
                "latmax": "41.5",
                "lonmin": "130.0",
                "lonmax": "131.5",
            }
            assert len(server.polls) == 3

    asyncio.run(scenario())


def test_a_poll_that_comes_too_soon_is_refused_and_publishes_nothing() -> None:
    name = unique("aishub-soon")

    async def scenario() -> None:
        vessels = [aishub_vessel(273_200_003, T1)]
        async with AisHubServer(vessels, min_interval_s=60) as server:
            feed, hub = _feed(server, name)
            async with aiohttp.ClientSession() as session:
                await hub.poll(session)
                assert len(await _taken(feed)) == 1
                with pytest.raises(TooManyRequests, match="Too frequent requests"):
                    await hub.poll(session)
                assert await _taken(feed) == []
            assert server.refused == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (429, TooManyRequests, "HTTP 429"),
        (500, FeedError, "HTTP 500"),
        ([{"ERROR": True, "ERROR_MESSAGE": "Unknown username"}], FeedError, "Unknown username"),
        ({"not": "a list"}, FeedError, "unexpected shape"),
    ],
)
def test_error_answers(answer: Any, error: type[Exception], match: str) -> None:
    name = unique("aishub-error")

    async def scenario() -> None:
        async with AisHubServer([], answers=[answer]) as server:
            feed, hub = _feed(server, name)
            async with aiohttp.ClientSession() as session:
                with pytest.raises(error, match=match) as raised:
                    await hub.poll(session)
            if error is FeedError:
                assert not isinstance(raised.value, TooManyRequests)
            assert await _taken(feed) == []

    asyncio.run(scenario())


class _Done(Exception):
    """Ends the run loop from inside its wait."""


def test_the_run_loop_waits_the_interval_and_thirty_minutes_after_too_frequent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = unique("aishub-run")
    first = [aishub_vessel(273_200_004, T1), aishub_vessel(273_200_005, T1)]
    later = [aishub_vessel(273_200_004, T2), aishub_vessel(273_200_005, T2)]
    answers = [aishub_answer(first), aishub_answer(first), TOO_FREQUENT, 500, aishub_answer(later)]

    async def scenario() -> None:
        async with AisHubServer([], answers=answers) as server:
            feed, hub = _feed(server, name)
            waits: list[float] = []
            floors: list[float] = []
            published: list[int] = []

            async def recorded_sleep(seconds: float) -> None:
                waits.append(seconds)
                floors.append(hub.backoff.floor_s)
                published.append(len(feed.outlet.buffer))
                if len(waits) == len(answers):
                    raise _Done
                await asyncio.sleep(0)

            monkeypatch.setattr(aishub, "asyncio", SimpleNamespace(sleep=recorded_sleep))
            before = duplicates()
            with pytest.raises(_Done):
                await hub.run()
            assert len(server.polls) == len(answers)
            assert waits[0] == waits[1] == 60.0  # the interval after a good answer
            assert waits[2] >= THROTTLED_S  # too frequent: at least 30 minutes
            assert floors[2] >= THROTTLED_S
            assert floors[3] >= THROTTLED_S and waits[3] >= THROTTLED_S  # until a good answer
            assert waits[4] == 60.0 and floors[4] == 0  # a good answer starts over
            assert published == [2, 2, 2, 2, 4]  # the repeat and the refusals add nothing
            assert duplicates() - before == 2
            payloads = [orjson.loads(item.payload) for item in feed.outlet.buffer]
            assert payloads == first + later

    asyncio.run(scenario())
