"""Dead-letter records: every rejected input with its reason, source and original bytes."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

# Kafka refuses a message over 1 MB by default, and a dead letter carries its bytes twice (text
# and base64): beyond this, it keeps their first part, their size and their SHA-256, so that
# one huge input costs its dead letter's completeness, never the stream.
MAX_KEPT_BYTES = 256 * 1024


def kafka_source(message: Any, **where: int) -> dict[str, Any]:
    """Where a consumed message came from (topic, partition, offset), as dead letters name it."""
    return {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    } | where


def dead_letter(reason: str, detail: str, raw: bytes, source: dict[str, Any], stage: str) -> bytes:
    """The JSON value published on `<namespace>.dead-letters`."""
    whole = raw
    raw = raw[:MAX_KEPT_BYTES]
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    cut = (
        {"raw_size": len(whole), "raw_sha256": hashlib.sha256(whole).hexdigest()}
        if len(whole) > MAX_KEPT_BYTES
        else {}
    )
    record = {
        "reason": reason,
        "detail": detail[:500],
        "stage": stage,
        "source": source,
        "raw": text,
        # The exact bytes, always: text above is a convenience and absent when not UTF-8.
        "raw_b64": base64.b64encode(raw).decode("ascii"),
        **cut,
        "rejected_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return orjson.dumps(record)
