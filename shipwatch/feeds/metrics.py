"""The feed process's metrics (its own /metrics, `feed_metrics_port`): one label set per source."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry()

MESSAGES = Counter(
    "shipwatch_feed_messages", "Lines or JSON messages received", ["source"], registry=REGISTRY
)
BYTES = Counter("shipwatch_feed_bytes", "Bytes received", ["source"], registry=REGISTRY)
CONNECTED = Gauge(
    "shipwatch_feed_connected", "1 while the source is connected (a listener: listening)",
    ["source"], registry=REGISTRY,
)  # fmt: skip
RECONNECTS = Counter(
    "shipwatch_feed_reconnects", "Connections made again after the first", ["source"],
    registry=REGISTRY,
)  # fmt: skip
LAST_MESSAGE_AGE = Gauge(
    "shipwatch_feed_last_message_age_seconds",
    "Seconds since the source's last message (since the feed started, before the first)",
    ["source"], registry=REGISTRY,
)  # fmt: skip
DROPPED = Counter(
    "shipwatch_feed_dropped",
    "Messages received and not published: buffer_full (UDP, WebSocket), cut (a partial line)",
    ["source", "reason"], registry=REGISTRY,
)  # fmt: skip
MALFORMED = Counter(
    "shipwatch_feed_malformed",
    "Lines sent on although malformed (too_long: cut to the limit; ingest dead-letters them)",
    ["source", "reason"], registry=REGISTRY,
)  # fmt: skip
DUPLICATES = Counter(
    "shipwatch_duplicate_positions",
    "AIS messages dropped as already heard within the window (another receiver, a repeat), "
    "by the source whose copy was dropped: that receiver heard the fix too",
    ["source"], registry=REGISTRY,
)  # fmt: skip
CLOCK_OFFSET = Gauge(
    "shipwatch_feed_clock_offset_seconds",
    "Median of the source's tag-block time minus our receive time, over its last lines",
    ["source"], registry=REGISTRY,
)  # fmt: skip
CLOCK_OFF = Gauge(
    "shipwatch_feed_clock_off",
    "1 while the source's clock is off by more than feed_clock_tolerance_s",
    ["source"], registry=REGISTRY,
)  # fmt: skip
BUFFERED = Gauge(
    "shipwatch_feed_buffered", "Messages waiting for Kafka in the bounded buffer",
    registry=REGISTRY,
)  # fmt: skip
PUBLISHED = Counter(
    "shipwatch_feed_published", "Messages acknowledged by Kafka on the raw topic",
    registry=REGISTRY,
)  # fmt: skip


class SourceMetrics:
    """One source's children, bound once (a labels() lookup per line would cost)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages = MESSAGES.labels(source=source)
        self.bytes = BYTES.labels(source=source)
        self.connected = CONNECTED.labels(source=source)
        self.reconnects = RECONNECTS.labels(source=source)
        self.clock_offset = CLOCK_OFFSET.labels(source=source)
        self.clock_off = CLOCK_OFF.labels(source=source)
        self.buffer_full = DROPPED.labels(source=source, reason="buffer_full")
        self.cut = DROPPED.labels(source=source, reason="cut")
        self.too_long = MALFORMED.labels(source=source, reason="too_long")
        self.duplicates = DUPLICATES.labels(source=source)
        self.last_message = time.time()
        LAST_MESSAGE_AGE.labels(source=source).set_function(lambda: time.time() - self.last_message)
