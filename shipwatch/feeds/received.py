"""One unit of input as a source received it, before it goes onto the raw topic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Received:
    """A line or JSON message as received, with who sent it and when it came."""

    source: str  # the source's name: the `source` label of the feed metrics
    key: bytes  # Kafka key: one sender's lines stay in order in one partition (multiparts)
    payload: bytes  # as received: an NMEA line without its line ending, or one JSON object
    received_at: float  # epoch seconds by our clock: the Kafka timestamp, beside the line's own
