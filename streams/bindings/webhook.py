"""The webhook sink: every alert POSTed as JSON to each configured URL, retried, else dead-lettered.

It runs inside the worker as a Faust task with its own consumer group (`<ns>.webhook`), so the
workers share the alerts between them, each alert is posted once per URL (at least once: a
crash repeats it; receivers can use `alert_id` to drop repeats), and the agents never wait on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from shipwatch import metrics
from shipwatch.pipeline.dead_letters import dead_letter, kafka_source
from shipwatch.settings import Settings
from streams.errors import StreamsError
from streams.kafka.config import client_options
from streams.monitoring import supervised

if TYPE_CHECKING:
    from streams.app import Wiring

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
# The longest Retry-After obeyed: a receiver asking for more gets this (the sink's batch waits
# for its slowest alert, so an hour's pause would hold back every other alert).
MAX_RETRY_AFTER_S = 300.0
# The statuses whose Retry-After header is read (RFC 9110: 503; RFC 6585: 429).
RETRY_AFTER_STATUSES = frozenset({429, 503})
CONCURRENCY = 16  # alerts being delivered at once
USER_AGENT = "shipwatch-webhook/1"
# Worth trying again: the receiver is down, overloaded or asks us to slow down.
RETRY_STATUSES = frozenset({408, 425, 429})

DeadLetter = Callable[[bytes | None, bytes], Awaitable[None]]


def idempotency_key(alert_id: str, body: bytes) -> str:
    """The same for a repeat of the same alert record; another for a new word on the same alert
    (a retraction, or a cap alert corrected by a late delivery), which a receiver must not
    drop as a repeat: `<alert_id>.<first 16 hex digits of the record's SHA-256>`."""
    return f"{alert_id}.{hashlib.sha256(body).hexdigest()[:16]}"


class WebhookConfigError(StreamsError):
    """SHIPWATCH_WEBHOOK_URLS holds something that is not an http(s) URL."""


@dataclass(frozen=True)
class Policy:
    """How hard to try: attempts per URL, the first pause (doubled each time), the timeout.

    Pauses use "equal jitter": after failed attempt n the sink waits a uniformly random time
    between half and all of min(60 s, backoff_s * 2**(n-1)). Many alerts failing together (a
    receiver restarting) spread their retries out instead of arriving in lockstep, and every
    pause keeps at least half of its exponential step, so the total wait before giving up
    stays predictable (at least half of the plain schedule's)."""

    max_attempts: int = 6
    backoff_s: float = 1.0
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy of the SHIPWATCH_WEBHOOK_* settings."""
        return cls(
            settings.webhook_max_attempts, settings.webhook_backoff_s, settings.webhook_timeout_s
        )

    def pause(self, attempt: int, draw: float = 1.0) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), equal jitter.

        `draw` is a uniform random number in [0, 1): 1.0 gives the exponential step itself
        (capped at 60 s), 0.0 half of it."""
        step = float(min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1)))
        return step / 2 + step / 2 * draw


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP-date), capped at
    MAX_RETRY_AFTER_S; None when absent or unreadable. `now` is the Unix time."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is always GMT; asctime() form does not say so
            when = when.replace(tzinfo=UTC)
        seconds = max(0.0, when.timestamp() - now)
    return min(MAX_RETRY_AFTER_S, seconds)


def parse_urls(text: str) -> list[str]:
    """The comma-separated URLs of the setting; each must be http(s) with a host."""
    urls = [part.strip() for part in text.split(",") if part.strip()]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookConfigError(f"SHIPWATCH_WEBHOOK_URLS: not an http(s) URL: {redact(url)}")
    return urls


def redact(url: str) -> str:
    """Scheme and host only: webhook paths and queries often carry secret tokens."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


async def post_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    policy: Policy,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    draw: Callable[[], float] = random.random,
    clock: Callable[[], float] = time.time,
) -> str | None:
    """POST until a 2xx; None when delivered, else why the last attempt failed.

    Between attempts: the policy's jittered backoff (`draw` is its random source), or longer
    when a 429 or 503 carries a Retry-After (never sooner than the receiver asks, up to
    MAX_RETRY_AFTER_S; `clock` gives the Unix time its HTTP-date form is counted from)."""
    detail = "not attempted"
    for attempt in range(1, policy.max_attempts + 1):
        asked: float | None = None
        try:
            timeout = aiohttp.ClientTimeout(total=policy.timeout_s)
            # Redirects are not followed: on a 301, 302 or 303 aiohttp sends a GET without the
            # alert, and the receiver's 200 to it counted as delivered.
            async with session.post(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as reply:
                if 200 <= reply.status < 300:
                    return None
                detail = f"HTTP {reply.status}"
                if 300 <= reply.status < 400:
                    moved = redact(reply.headers.get("Location", "?"))
                    return f"{detail} to {moved}: redirects are not followed; give the new URL"
                if reply.status < 500 and reply.status not in RETRY_STATUSES:
                    return detail  # the receiver refuses this alert: trying again cannot help
                if reply.status in RETRY_AFTER_STATUSES:
                    asked = retry_after(reply.headers.get("Retry-After"), clock())
        except (aiohttp.ClientError, TimeoutError) as exc:
            detail = f"{type(exc).__name__}: {exc}"[:300]
        if attempt < policy.max_attempts:
            metrics.WEBHOOK_RETRIES.inc()
            pause = policy.pause(attempt, draw())
            await sleep(pause if asked is None else max(pause, asked))
    return f"{detail} after {policy.max_attempts} attempts"


class WebhookSink:
    """Delivers one alert to every URL; what never gets through goes to dead-letters."""

    def __init__(self, urls: Sequence[str], policy: Policy, dead_letter_to: DeadLetter) -> None:
        self.urls = list(urls)
        self.policy = policy
        self.dead_letter_to = dead_letter_to
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def deliver(
        self, session: aiohttp.ClientSession, message: ConsumerRecord[Any, Any]
    ) -> None:
        """Post one alert record to each URL at once; dead-letter each URL that failed."""
        body: bytes = message.value or b""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        try:
            alert_id = orjson.loads(body).get("alert_id")
        except (orjson.JSONDecodeError, AttributeError):
            alert_id = None
        if alert_id:
            headers["Idempotency-Key"] = idempotency_key(str(alert_id), body)
        async with self.limit:
            failures = await asyncio.gather(
                *(post_with_retries(session, url, body, headers, self.policy) for url in self.urls)
            )
        source = kafka_source(message)
        for url, failure in zip(self.urls, failures, strict=True):
            if failure is None:
                metrics.WEBHOOK_DELIVERIES.labels(result="delivered").inc()
                continue
            log.warning("webhook %s: alert %s not delivered: %s", redact(url), alert_id, failure)
            value = dead_letter(
                "webhook_failed", f"{redact(url)}: {failure}", body, source, "webhook"
            )
            await self.dead_letter_to(message.key, value)
            metrics.WEBHOOK_DELIVERIES.labels(result="dead_lettered").inc()
            metrics.REJECTED.labels(reason="webhook_failed").inc()


class _StartAtEnd(ConsumerRebalanceListener):  # type: ignore[misc]
    """A partition the group never read starts at its end, committed so a crash cannot skip."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to do: offsets are committed after each delivered batch."""

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Commit the end offset of partitions without a committed offset, then say so."""
        fresh = [tp for tp in assigned if await self.consumer.committed(tp) is None]
        if fresh:
            ends = await self.consumer.end_offsets(fresh)
            for tp in fresh:
                self.consumer.seek(tp, ends[tp])
            await self.consumer.commit({tp: ends[tp] for tp in fresh})
        log.info("webhook sink: assigned %d alerts partition(s)", len(assigned))


async def run_sink(settings: Settings, sink: WebhookSink) -> None:
    """Consume the alerts topic in the `<ns>.webhook` group and deliver each batch, forever."""
    consumer = AIOKafkaConsumer(
        **client_options(settings),
        group_id=f"{settings.namespace}.webhook",
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    consumer.subscribe([settings.topic("alerts")], listener=_StartAtEnd(consumer))
    await consumer.start()
    try:
        async with aiohttp.ClientSession() as session:
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=CONCURRENCY * 4)
                records = [m for messages in batch.values() for m in messages]
                if not records:
                    continue
                await asyncio.gather(*(sink.deliver(session, m) for m in records))
                try:
                    await consumer.commit()
                except KafkaError as exc:  # a rebalance: the next owner repeats this batch
                    log.warning("webhook sink: commit failed, alerts may be posted again: %s", exc)
    finally:
        await consumer.stop()


def register(wiring: Wiring) -> None:
    """Run the sink in the worker when SHIPWATCH_WEBHOOK_URLS is set."""
    settings = wiring.settings
    urls = parse_urls(settings.webhook_urls)
    if not urls:
        return
    topic = wiring.topics["dead-letters"]

    async def to_dead_letters(key: bytes | None, value: bytes) -> None:
        await (await topic.send(key=key, value=value))

    sink = WebhookSink(urls, Policy.from_settings(settings), to_dead_letters)

    async def webhook_sink() -> None:
        log.info("webhook sink: posting every alert to %s", ", ".join(map(redact, urls)))
        await run_sink(settings, sink)

    wiring.app.task(supervised("webhook sink", webhook_sink))
