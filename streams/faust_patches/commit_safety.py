"""Offsets are committed only once every table change before them is on its way to Kafka, and
never after a crash.

Answers faust-streaming 0.15.3: `ProducerBuffer.flush` gives up after 0.1 s without a send, so a
commit can overtake changelog records (faust/transport/producer.py); and a stopping consumer
commits what its streams acknowledged, the message whose agent raised included (faust/streams.py
acknowledges in a `finally`), even after a crash."""

from __future__ import annotations

import logging
import time
from typing import Any

from faust.transport.consumer import Consumer
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


# Faust commits the acknowledged offsets once more when its consumer stops, and a crashed worker
# stops too. A stream acknowledges its current message in a `finally` (faust/streams.py,
# `_py_aiter`), so the message whose agent raised is acknowledged as the agent's generator is
# closed, and that last commit would take its offset past the message whose output was never
# made: with the broker reachable, the output is lost. Once the app has crashed nothing more is
# committed; the restarted worker reads again from the last commit made before the crash.
# The commit raises rather than returns: the stopping consumer then ends as it did when that
# commit failed on the stopped producer, instead of waiting on a broker that may be gone.
class CrashedNoCommit(RuntimeError):
    """A crashed worker's consumer asked to commit: it never does."""


async def _commit_unless_crashed(self: Any, tps: Any, start_new_transaction: bool) -> bool:
    if self.app._crashed.is_set():
        if not getattr(self, "_shipwatch_told_no_commit", False):
            self._shipwatch_told_no_commit = True
            log.warning("the worker crashed: no offset is committed from now on")
        raise CrashedNoCommit("the worker crashed: no offset is committed")
    return bool(await _commit_tps(self, tps, start_new_transaction=start_new_transaction))


_commit_tps = Consumer._commit_tps


def no_commit_after_crash() -> None:
    """Make a crashed worker's consumer commit nothing more; idempotent."""
    consumer_class: Any = Consumer
    consumer_class._commit_tps = _commit_unless_crashed
