"""`shipwatch worker` that pauses each flush between durable state and acknowledged frames.

For the kill -9 test: the track stage's flush writes the changed states to the changelog, waits
for the broker, and only then acknowledges the frames. Here it logs FLUSH_MARK and waits
PAUSE_S at that point, so a test can kill the worker exactly there: state durable, offsets not.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from shipwatch.cli.main import main
from streams.bindings.track import TrackBinding

FLUSH_MARK = "slow flush: states durable, frames not yet acknowledged"
PAUSE_S = 3.0


def slow_acknowledgements() -> None:
    """Make every `TrackBinding.acknowledge` of a flush with frames wait PAUSE_S first."""
    acknowledge = TrackBinding.acknowledge

    async def paused(self: TrackBinding, frames: list[Any]) -> None:
        if frames:
            logging.getLogger(__name__).warning("%s (%d frames)", FLUSH_MARK, len(frames))
            await asyncio.sleep(PAUSE_S)
        await acknowledge(self, frames)

    setattr(TrackBinding, "acknowledge", paused)  # noqa: B010


if __name__ == "__main__":
    slow_acknowledgements()
    sys.exit(main(sys.argv[1:]))
