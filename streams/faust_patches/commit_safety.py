"""Offsets are committed only once every table change before them is on its way to Kafka.

Answers faust-streaming 0.15.3: `ProducerBuffer.flush` gives up after 0.1 s without a send, so a
commit can overtake changelog records (faust/transport/producer.py)."""

from __future__ import annotations

import logging
import time
from typing import Any

from faust.transport.producer import ProducerBuffer

log = logging.getLogger(__name__)
# Bounded, so that a worker stopping while the broker is away still stops.
FLUSH_LIMIT_S = 30.0

# Table writes reach their changelog through Faust's ProducerBuffer. Before committing offsets
# Faust flushes it, but its flush gives up after 0.1 s without a send (faust-streaming 0.15.3),
# so on a busy worker a commit could overtake changelog records: killed at that moment, the
# worker came back with its input committed and the state of it lost, and a port call vanished
# (seen here: tests/integration/test_faults.py, 2-5 of 35 alerts missing).


async def flush_until_empty(self: Any) -> None:
    """Flush the buffer until it is empty, for up to FLUSH_LIMIT_S seconds."""
    deadline = time.monotonic() + FLUSH_LIMIT_S
    while self.size:
        if time.monotonic() > deadline:
            log.warning("%d changelog records still unsent after %.0f s", self.size, FLUSH_LIMIT_S)
            return
        await self.flush_atmost(None)


def commit_after_changelogs() -> None:
    """Make every ProducerBuffer flush until it is empty; idempotent."""
    buffer_class: Any = ProducerBuffer
    buffer_class.flush = flush_until_empty
