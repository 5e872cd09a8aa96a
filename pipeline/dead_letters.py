"""Dead-letter records: every rejected input with its reason, source and original bytes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson


def dead_letter(reason: str, detail: str, raw: bytes, source: dict[str, Any], stage: str) -> bytes:
    """The JSON value published on `<namespace>.dead-letters`."""
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    record = {
        "reason": reason,
        "detail": detail[:500],
        "stage": stage,
        "source": source,
        "raw": text,
        # The exact bytes, always: text above is a convenience and absent when not UTF-8.
        "raw_b64": base64.b64encode(raw).decode("ascii"),
        "rejected_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return orjson.dumps(record)
