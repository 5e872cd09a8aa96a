"""The webhook sink against a real local HTTP server that fails the first N requests."""

from __future__ import annotations

import asyncio
import base64
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import orjson
import pytest
from aiohttp import web as aioweb
from aiokafka import ConsumerRecord

from streams.bindings.webhook import (
    MAX_RETRY_AFTER_S,
    Policy,
    WebhookConfigError,
    WebhookSink,
    idempotency_key,
    parse_urls,
    post_with_retries,
    redact,
    retry_after,
)

T = TypeVar("T")
ALERT = {"alert_id": "sanctioned_voyage-445123456-abc", "kind": "sanctioned_voyage", "mmsi": 1}
BODY = orjson.dumps(ALERT)
FAST = Policy(max_attempts=4, backoff_s=0.01, timeout_s=5)
NOW = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT, the clock of the Retry-After tests


@dataclass
class Receiver:
    """A webhook receiver that answers `fail_status` to the first `failures` requests."""

    failures: int
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: aioweb.Request) -> aioweb.Response:
        self.received.append((dict(request.headers), await request.read()))
        if len(self.received) <= self.failures:
            return aioweb.Response(status=self.fail_status, headers=self.fail_headers)
        return aioweb.Response(status=204)


async def serving(receiver: Receiver, run: Callable[[str], Awaitable[T]]) -> T:
    """Run `run(url)` while the receiver listens on a free port of 127.0.0.1."""
    app = aioweb.Application()
    app.router.add_post("/hook/{token}", receiver.handle)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        return await run(f"http://127.0.0.1:{port}/hook/s3cret")
    finally:
        await runner.cleanup()


def post(
    receiver: Receiver,
    policy: Policy = FAST,
    draw: Callable[[], float] = lambda: 1.0,  # no jitter: each pause is the full step
    clock: Callable[[], float] = lambda: NOW,
) -> tuple[str | None, list[float]]:
    """POST the alert with retries; returns the outcome and the pauses taken."""
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    async def run(url: str) -> str | None:
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "application/json"}
            return await post_with_retries(session, url, BODY, headers, policy, sleep, draw, clock)

    return asyncio.run(serving(receiver, run)), pauses


def test_a_receiver_that_fails_twice_gets_the_alert_on_the_third_attempt() -> None:
    receiver = Receiver(failures=2)
    outcome, pauses = post(receiver, Policy(max_attempts=4, backoff_s=0.5))
    assert outcome is None
    assert len(receiver.received) == 3
    assert all(body == BODY for _, body in receiver.received)
    assert pauses == [0.5, 1.0]  # exponential backoff


def test_a_receiver_that_never_recovers_gets_every_attempt_then_gives_up() -> None:
    receiver = Receiver(failures=99)
    outcome, pauses = post(receiver)
    assert outcome == "HTTP 503 after 4 attempts"
    assert len(receiver.received) == 4
    assert len(pauses) == 3


def test_a_refusal_is_not_retried_but_too_many_requests_is() -> None:
    refused = Receiver(failures=99, fail_status=400)
    assert post(refused)[0] == "HTTP 400"
    assert len(refused.received) == 1
    throttled = Receiver(failures=1, fail_status=429)
    assert post(throttled)[0] is None
    assert len(throttled.received) == 2


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_alert_is_not_counted_delivered(status: int) -> None:
    """On a 301, 302 or 303 a client sends a GET without the alert; the receiver's 200 to it
    counted as a delivery. The moved receiver must be given its new URL."""
    followed: list[str] = []

    async def moved(request: aioweb.Request) -> aioweb.Response:
        followed.append(request.method)
        return aioweb.Response(status=200)

    async def run() -> str | None:
        app = aioweb.Application()
        app.router.add_route("*", "/moved", moved)

        async def redirect(request: aioweb.Request) -> aioweb.Response:
            return aioweb.Response(status=status, headers={"Location": "/moved"})

        app.router.add_post("/hook", redirect)
        runner = aioweb.AppRunner(app)
        await runner.setup()
        site = aioweb.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        try:
            async with aiohttp.ClientSession() as session:
                return await post_with_retries(session, url, BODY, {}, FAST)
        finally:
            await runner.cleanup()

    outcome = asyncio.run(run())
    assert outcome is not None and outcome.startswith(f"HTTP {status} to ")
    assert "redirects are not followed" in outcome
    assert followed == []


def test_an_unreachable_receiver_is_a_failure_not_a_crash() -> None:
    async def run() -> str | None:
        async with aiohttp.ClientSession() as session:
            return await post_with_retries(
                session, "http://127.0.0.1:9/hook", BODY, {}, Policy(2, 0.01, 2)
            )

    outcome = asyncio.run(run())
    assert outcome is not None and outcome.startswith("ClientConnectorError")
    assert outcome.endswith("after 2 attempts")


def test_backoff_doubles_and_is_capped() -> None:
    policy = Policy(max_attempts=20, backoff_s=1.0)
    assert [policy.pause(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert policy.pause(15) == 60.0


def record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="ns.alerts",
        partition=1,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=b"445123456",
        value=value,
        checksum=None,
        serialized_key_size=9,
        serialized_value_size=len(value),
        headers=(),
    )


def deliver(good: Receiver, bad: Receiver) -> list[tuple[bytes | None, dict[str, Any]]]:
    """Deliver one alert to two receivers; returns the dead letters written."""
    dead: list[tuple[bytes | None, dict[str, Any]]] = []

    async def to_dead_letters(key: bytes | None, value: bytes) -> None:
        dead.append((key, orjson.loads(value)))

    async def run(good_url: str) -> None:
        async def both(bad_url: str) -> None:
            sink = WebhookSink([good_url, bad_url], FAST, to_dead_letters)
            async with aiohttp.ClientSession() as session:
                await sink.deliver(session, record(BODY))

        await serving(bad, both)

    asyncio.run(serving(good, run))
    return dead


def test_what_never_gets_through_goes_to_dead_letters_with_its_reason() -> None:
    flaky, broken = Receiver(failures=1), Receiver(failures=99, fail_status=500)
    dead = deliver(flaky, broken)
    assert len(flaky.received) == 2  # delivered on the retry: no dead letter for it
    headers, body = flaky.received[-1]
    assert body == BODY
    assert headers["Idempotency-Key"] == idempotency_key(ALERT["alert_id"], BODY)
    assert headers["Idempotency-Key"].startswith(f"{ALERT['alert_id']}.")
    assert headers["Content-Type"] == "application/json"
    ((key, letter),) = dead
    assert key == b"445123456"
    assert letter["reason"] == "webhook_failed"
    assert letter["stage"] == "webhook"
    assert base64.b64decode(letter["raw_b64"]) == BODY
    assert letter["source"] == {"topic": "ns.alerts", "partition": 1, "offset": 42}
    assert "HTTP 500 after 4 attempts" in letter["detail"]
    assert "s3cret" not in letter["detail"]  # the URL's secret path stays out of the topic


def test_urls_are_validated_and_redacted() -> None:
    assert parse_urls(" https://a.example/x , http://b.example:8080/y?token=1,") == [
        "https://a.example/x",
        "http://b.example:8080/y?token=1",
    ]
    assert parse_urls("") == []
    with pytest.raises(WebhookConfigError, match="not an http"):
        parse_urls("ftp://files.example/drop")
    assert redact("https://hooks.example/services/T000/B000/XXXX?x=1") == "https://hooks.example/…"
    assert redact("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080/…"


# ---------------------------------------------------------------- jitter and Retry-After


def test_pauses_have_equal_jitter_between_half_and_all_of_the_step() -> None:
    policy = Policy(max_attempts=20, backoff_s=1.0)
    assert [policy.pause(n, 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert policy.pause(3, 0.5) == 3.0
    assert policy.pause(15, 0.0) == 30.0  # half the 60 s cap
    receiver = Receiver(failures=5)
    outcome, pauses = post(receiver, Policy(max_attempts=6, backoff_s=1.0), random.Random(7).random)
    assert outcome is None and len(receiver.received) == 6
    steps = [1.0, 2.0, 4.0, 8.0, 16.0]
    assert all(step / 2 <= pause <= step for pause, step in zip(pauses, steps, strict=True))
    assert pauses != steps  # drawn, not the plain schedule
    again = post(
        Receiver(failures=5), Policy(max_attempts=6, backoff_s=1.0), random.Random(8).random
    )
    assert again[1] != pauses  # two alerts failing together do not retry in lockstep


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured_on_429_and_503(status: int) -> None:
    receiver = Receiver(failures=2, fail_status=status, fail_headers={"Retry-After": "7"})
    outcome, pauses = post(receiver)
    assert outcome is None and len(receiver.received) == 3
    assert pauses == [7.0, 7.0]


def test_retry_after_as_an_http_date_is_counted_from_now() -> None:
    later = {"Retry-After": "Wed, 21 Oct 2015 07:28:42 GMT"}  # NOW + 42 s
    receiver = Receiver(failures=1, fail_status=503, fail_headers=later)
    assert post(receiver) == (None, [42.0])
    past = {"Retry-After": "Wed, 21 Oct 2015 07:00:00 GMT"}  # already over: the backoff
    assert post(Receiver(failures=1, fail_status=429, fail_headers=past)) == (None, [0.01])


def test_retry_after_is_capped_and_never_shortens_the_backoff() -> None:
    greedy = Receiver(failures=1, fail_status=429, fail_headers={"Retry-After": "86400"})
    assert post(greedy) == (None, [MAX_RETRY_AFTER_S])
    eager = Receiver(failures=2, fail_status=503, fail_headers={"Retry-After": "0"})
    assert post(eager, Policy(max_attempts=4, backoff_s=0.5))[1] == [0.5, 1.0]


def test_retry_after_is_ignored_where_it_means_nothing() -> None:
    # A 500 is retried on the backoff whatever it says; an unreadable header is no header.
    server_error = Receiver(failures=1, fail_status=500, fail_headers={"Retry-After": "30"})
    assert post(server_error) == (None, [0.01])
    garbled = Receiver(failures=1, fail_status=429, fail_headers={"Retry-After": "soon"})
    assert post(garbled) == (None, [0.01])


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("301", MAX_RETRY_AFTER_S),
        ("Wed, 21 Oct 2015 07:29:00 GMT", 60.0),
        ("Wednesday, 21-Oct-15 07:29:00 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("Wed Oct 21 07:29:00 2015", 60.0),  # asctime(), obsolete, GMT unsaid
        ("Wed, 21 Oct 2015 08:28:00 GMT", MAX_RETRY_AFTER_S),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("\u00b2", None),  # a digit to str.isdigit, not to HTTP
        ("next week", None),
    ],
)
def test_retry_after_header_forms(header: str | None, seconds: float | None) -> None:
    assert retry_after(header, NOW) == seconds


def test_a_new_word_on_an_alert_gets_a_new_idempotency_key_and_a_repeat_the_same() -> None:
    retracted = orjson.dumps({**ALERT, "status": "retracted"})
    assert idempotency_key(ALERT["alert_id"], BODY) == idempotency_key(ALERT["alert_id"], BODY)
    assert idempotency_key(ALERT["alert_id"], retracted) != idempotency_key(ALERT["alert_id"], BODY)
