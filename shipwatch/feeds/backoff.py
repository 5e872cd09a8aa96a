"""When to try again: exponential backoff with full jitter, capped, and a floor after refusals.

Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the n-th wait is uniform
in [0, min(cap, base * 2^n)], so that many clients cut at once do not come back at once. After
a service says "too many requests" every wait is at least `THROTTLED_S` until a connection
holds: aisstream.io blocks clients that reconnect eagerly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

BASE_S = 1.0
THROTTLED_S = 1800.0  # at least 30 minutes after "too many requests"
STABLE_S = 60.0  # a connection that held this long starts the backoff over


@dataclass
class Backoff:
    """The waits between attempts of one source."""

    cap_s: float
    base_s: float = BASE_S
    attempt: int = 0
    floor_s: float = 0.0

    def next_delay(self, draw: Callable[[], float] = random.random) -> float:
        """The wait before the next attempt."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return max(self.floor_s, draw() * ceiling)

    refused: bool = False  # "too many requests" since the last connection ended

    def throttled(self, floor_s: float = THROTTLED_S) -> None:
        """The service refused us for asking too often: wait at least `floor_s` from now on."""
        self.floor_s = max(self.floor_s, floor_s)
        self.refused = True

    def held(self, seconds: float) -> None:
        """A connection lasted `seconds`: if it was stable, and not ended by a refusal, start
        over (a service that throttles a long session still wants the long wait)."""
        if seconds >= STABLE_S and not self.refused:
            self.reset()
        self.refused = False

    def reset(self) -> None:
        """It worked: the next wait starts from the shortest again, with no floor."""
        self.attempt, self.floor_s = 0, 0.0
