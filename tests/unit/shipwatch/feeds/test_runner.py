"""Feed: what it needs from settings, a source that cannot start, a publish that fails, and
the drain on stop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence

import pytest
from pydantic import SecretStr

from shipwatch.feeds.errors import FeedError
from shipwatch.feeds.received import Received
from shipwatch.feeds.runner import Feed, Publish
from shipwatch.feeds.sources import parse_sources
from tests.fixtures.feed_servers import NmeaReplayServer, free_port, nmea_recording
from tests.fixtures.waiting import eventually
from tests.unit.shipwatch.feeds.harness import Published, RunningFeed, feed_settings, unique

LINES = nmea_recording(20, multiparts=1)
FIRST_FRAGMENT = next(i for i, line in enumerate(LINES) if b"!AIVDM,2,1," in line)


@pytest.mark.parametrize(
    ("source", "overrides", "message"),
    [
        ("aisstream://", {}, "SHIPWATCH_AISSTREAM_API_KEY"),
        ("aisstream://", {"aisstream_api_key": SecretStr("")}, "SHIPWATCH_AISSTREAM_API_KEY"),
        ("aishub://", {}, "SHIPWATCH_AISHUB_USERNAME"),
        ("aishub://", {"aishub_username": SecretStr("")}, "SHIPWATCH_AISHUB_USERNAME"),
    ],
)
def test_a_source_without_its_credentials_fails_before_anything_starts(
    source: str, overrides: dict[str, object], message: str
) -> None:
    settings = feed_settings(**overrides)
    with pytest.raises(FeedError, match=message):
        Feed(parse_sources([source]), settings, Published())


async def _with_a_taken_port(others: list[str], names: dict[str, str]) -> BaseException | None:
    """Run a feed whose tcp-listen:// port is taken, beside `others`: what it ended with
    (None: it did not end within 2 s)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        url = f"tcp-listen://127.0.0.1:{taken.getsockname()[1]}"
        settings = feed_settings(feed_names={url: unique("busy"), **names})
        feed = Feed(parse_sources([url, *others], settings.feed_names), settings, Published())
        run = asyncio.create_task(feed.run(asyncio.Event()))
        done, _ = await asyncio.wait([run], timeout=2)
        if not done:
            run.cancel()  # (a second cancel reaches the stuck source)
            await asyncio.gather(run, return_exceptions=True)
            return None
        return run.exception()


def test_a_source_that_cannot_start_ends_the_run_with_its_error() -> None:
    other = f"udp://127.0.0.1:{free_port()}"
    error = asyncio.run(_with_a_taken_port([other], {other: unique("udp")}))
    assert isinstance(error, OSError)
    assert "address already in use" in str(error)


def test_a_source_that_cannot_start_ends_the_run_while_a_tcp_source_connects() -> None:
    async def scenario() -> BaseException | None:
        async with NmeaReplayServer(LINES) as server:
            return await _with_a_taken_port([server.url], {server.url: unique("client")})

    assert isinstance(asyncio.run(scenario()), OSError)


def _published_by(publish: Publish, name: str, done: Callable[[], bool]) -> int:
    """Feed LINES from a server through `publish` until `done`; then stop: what it counted."""

    async def scenario() -> int:
        async with NmeaReplayServer(LINES) as server:
            settings = feed_settings(feed_names={server.url: name})
            feed = Feed(parse_sources([server.url], settings.feed_names), settings, publish)
            stop = asyncio.Event()
            run = asyncio.create_task(feed.run(stop))
            await eventually(done, 5, "all published")
            stop.set()
            return (await asyncio.wait_for(run, 5)).published

    return asyncio.run(scenario())


def test_a_batch_the_publisher_refuses_is_offered_again_and_nothing_is_lost() -> None:
    attempts: list[int] = []
    published: list[Received] = []

    async def flaky(items: Sequence[Received]) -> None:
        attempts.append(len(items))
        if len(attempts) == 1:
            raise ConnectionError("the broker is away")
        published.extend(items)

    done = _published_by(flaky, unique("retry"), lambda: len(published) == len(LINES))
    assert done == len(LINES)
    assert [item.payload for item in published] == LINES
    assert attempts[0] == attempts[1]  # the same batch again


def test_what_the_broker_did_not_acknowledge_alone_is_sent_again() -> None:
    """A publish that wrote some partitions and not others: the written lines sent again
    would be written twice."""
    attempts: list[list[bytes]] = []
    written: list[bytes] = []

    async def half(items: Sequence[Received]) -> Sequence[Received]:
        attempts.append([i.payload for i in items])
        if len(attempts) == 1:
            written.extend(i.payload for i in items[::2])
            return items[1::2]  # every other line's partition failed
        written.extend(i.payload for i in items)
        return []

    done = _published_by(half, unique("partial"), lambda: len(written) == len(LINES))
    assert done == len(LINES)
    assert sorted(written) == sorted(LINES)  # each once
    assert attempts[1] == attempts[0][1::2]


def test_stopping_publishes_what_the_deduplicator_still_held() -> None:
    """A multipart whose last fragment never came is held; on stop it is published as it is."""
    name = unique("drain")

    async def scenario() -> RunningFeed:
        server = NmeaReplayServer(LINES)
        server.play_to(FIRST_FRAGMENT + 1)
        async with server, RunningFeed({server.url: name}) as running:
            await eventually(lambda: len(running.published) == FIRST_FRAGMENT, 5, "the lines")
            await asyncio.sleep(0.1)
            assert len(running.published) == FIRST_FRAGMENT  # the fragment is held
        return running

    running = asyncio.run(scenario())
    assert running.published.payloads == LINES[: FIRST_FRAGMENT + 1]
