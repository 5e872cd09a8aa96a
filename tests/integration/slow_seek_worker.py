"""`shipwatch worker` whose seek after each recovery is slow, for the kill -9 test.

When a restarted worker finishes recovering its tables, Faust resumes the input and seeks it to
the committed offsets. In faust-streaming 0.15.3 messages fetched in that window could be lost
(see streams/faust_patches/recovery_order.py): a voyage event produced during it was committed
and never reached the alert agent. The window lasts milliseconds; each seek here waits a second
before and after, as on a slow broker, so that more of the restart happens inside it. Without
the fix the test failed in 1 of 3 runs with this, 1 of 6 without it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from faust.transport.consumer import Consumer

from shipwatch.cli.main import main

SEEK_DELAY_S = 1.0


def slow_seeks() -> None:
    """Make every `Consumer.perform_seek` take SEEK_DELAY_S longer on each side."""
    seek = Consumer.perform_seek

    async def perform_seek(self: Any) -> None:
        await asyncio.sleep(SEEK_DELAY_S)
        await seek(self)
        await asyncio.sleep(SEEK_DELAY_S)

    setattr(Consumer, "perform_seek", perform_seek)  # noqa: B010


if __name__ == "__main__":
    slow_seeks()
    sys.exit(main(sys.argv[1:]))
