"""A worker resumes its input only after seeking it, so no fetched message is thrown away.

Answers faust-streaming 0.15.3: `Recovery.on_recovery_completed` resumes partitions while the
consumer still fetches (faust-streaming issues #216, #221 and #596 describe this family)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faust.tables.recovery import Recovery

# Why (faust-streaming 0.15.3): when table recovery ends, `Recovery.on_recovery_completed`
# resumes the stream partitions while the consumer's flow is still running from reading the
# changelogs, then awaits `perform_seek`, then calls `flow_control.resume()`, which clears every
# agent queue. A message fetched in that window can be processed, cleared from its queue, or
# dropped by the fetch loop as already read once the seek has moved it back, and its offset is
# committed all the same. A worker killed mid-stream came back without 1-5 of 35 alerts in about
# 1 run of 5; in one, the lost voyage event had been produced during the restarted worker's seek
# (tests/integration/test_faults.py, docs/guarantees.md).
#
# Stopping the flow first makes the fetch loop wait: the partitions are resumed and sought with
# nothing in flight, and Faust's own `resume_flow()` at the end starts fetching from the
# committed offsets.

_Step = Callable[..., Awaitable[None]]
_PATCHED = "_shipwatch_seek_before_fetch"


def _stop_fetching_first(step: _Step) -> _Step:
    async def wrapped(self: Any, generation_id: int = 0) -> None:
        self.app.consumer.stop_flow()
        self.app.flow_control.suspend()
        await step(self, generation_id=generation_id)

    setattr(wrapped, _PATCHED, True)
    wrapped.__name__ = step.__name__
    wrapped.__doc__ = step.__doc__
    return wrapped


def seek_before_fetch() -> None:
    """Make Faust stop fetching before it resumes and seeks the stream partitions; idempotent."""
    recovery: Any = Recovery
    for name in ("on_recovery_completed", "_resume_streams"):
        step = getattr(recovery, name)
        if not getattr(step, _PATCHED, False):
            setattr(recovery, name, _stop_fetching_first(step))
