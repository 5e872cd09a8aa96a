"""One unit of input as a source received it, before it goes onto the raw topic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Received:
    """A line or JSON message as received, with who sent it and when it came.

    Not frozen: the deduplicator sets `vessel` on the lines of a message as it releases them
    (a frozen dataclass costs a microsecond more to build, once per line at 100,000 lines/s)."""

    source: str  # the source's name: the `source` label of the feed metrics
    key: bytes  # the sender: its lines are framed, grouped and deduplicated together
    payload: bytes  # as received: an NMEA line without its line ending, or one JSON object
    received_at: float  # epoch seconds by our clock: the Kafka timestamp, beside the line's own
    # The vessel's MMSI (as the positions topic keys it), set on every line of a whole message
    # (a multipart's fragments, the time line that dates it): the Kafka key, so that a vessel's
    # messages stay in order in one partition whichever receiver brought each. None: the sender.
    vessel: bytes | None = None
