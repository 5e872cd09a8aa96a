"""What every Faust-bound stage does around its work: count, time, contain, dead-letter.

One loop for the one-message-at-a-time agents (sea, voyage, alert, cap): a message whose work
raises is dead-lettered with its source and the stream goes on; a send the broker never took
stops the worker instead, because dead-lettering it would let the message's offset be
committed without its output (the restarted worker reads it again). The track stage, which
acknowledges frames only at its flush, uses `send_dead_letter` and its own lock.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError
from faust.types import EventT, StreamT, TopicT

from shipwatch import metrics
from shipwatch.pipeline.dead_letters import dead_letter, kafka_source
from streams.errors import KafkaUnavailable

log = logging.getLogger(__name__)
Handler = Callable[[EventT[bytes]], Awaitable[None]]
Crash = Callable[[BaseException], Awaitable[None]]  # the app's crash: stops the worker


async def send_dead_letter(
    topic: TopicT,
    event: EventT[bytes],
    reason: str,
    detail: str,
    raw: bytes,
    stage: str,
    **where: int,
) -> Any:
    """Dead-letter a consumed message (or one record of it, `where` in it), counted by reason;
    the send's future, for a caller that must wait for it."""
    metrics.REJECTED.labels(reason=reason).inc()
    value = dead_letter(reason, detail, raw, kafka_source(event.message, **where), stage)
    return await topic.send(key=event.key, value=value)


async def guarded(
    stage: str, stream: StreamT[bytes], handle: Handler, dead_letters: TopicT, crash: Crash
) -> None:
    """Run `handle` on every message of the stream; one that fails costs only itself."""
    # Bound once: a labels() lookup per message is what made Faust's own sensor costly.
    taken = metrics.STAGE_MESSAGES.labels(stage=stage)
    spent = metrics.STAGE_SECONDS.labels(stage=stage)
    errors = metrics.PROCESSING_ERRORS.labels(stage=stage)
    async for event in stream.events():
        taken.inc()
        started = time.perf_counter()
        try:
            await handle(event)
        except (KafkaError, KafkaUnavailable) as exc:
            log.critical("%s: a send failed, stopping: %r", stage, exc)
            await crash(exc)
            raise
        except Exception as exc:  # one bad message never stops the stream
            errors.inc()
            detail = "".join(traceback.format_exception_only(exc)).strip()
            raw = event.value if isinstance(event.value, bytes) else b""
            await send_dead_letter(dead_letters, event, "internal_error", detail, raw, stage)
        spent.observe(time.perf_counter() - started)
