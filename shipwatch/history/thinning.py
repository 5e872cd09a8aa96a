"""Which fixes the vessel pages keep: all of them on the fences' map areas, few elsewhere.

A vessel at sea reports every 2 to 10 s; its page needs its path, not every report. Away from
the fences a fix is kept when the vessel's last kept fix is `every_s` of event time older, or
when its course has turned by `turn_deg` since then, so that a track drawn from the kept fixes
bends where the vessel did. The memory is one entry per vessel, bounded by `keep`.
"""

from __future__ import annotations

from typing import TypeVar

EVERY_S = 300.0  # one fix per vessel per 5 min of event time away from the fences
TURN_DEG = 30.0  # ... and every course change this large since the last kept fix
T = TypeVar("T")
KEEP = 200_000  # vessels remembered; past it all are forgotten (their next fixes are kept)


def turned(cog: float | None, before: float | None, turn_deg: float) -> bool:
    """Whether the course changed by at least `turn_deg` degrees (either way round)."""
    if cog is None or before is None:
        return False
    change = abs(cog - before) % 360.0
    return min(change, 360.0 - change) >= turn_deg


class Thinner:
    """The last kept fix's time and course per MMSI; `keep` decides one fix at a time."""

    def __init__(
        self, every_s: float = EVERY_S, turn_deg: float = TURN_DEG, keep: int = KEEP
    ) -> None:
        self.every_s, self.turn_deg, self.capacity = every_s, turn_deg, keep
        self.kept: dict[int, tuple[float, float | None]] = {}

    def keep(self, mmsi: int, t: float, cog: float | None, on_map: bool) -> bool:
        """Keep this fix? Always on a map area; elsewhere when `every_s` from the last kept
        one (before or after it) or turned from its course."""
        # On ingest's hot path for every position: a dict lookup and two comparisons for most.
        last = self.kept.get(mmsi)
        if last is not None and not on_map:
            last_t, last_cog = last
            if -self.every_s < t - last_t < self.every_s and (
                cog is None or last_cog is None or not turned(cog, last_cog, self.turn_deg)
            ):
                return False
            if t < last_t:
                return True  # a late fix that fills a hole: kept, the clock stays where it is
        elif last is None and len(self.kept) >= self.capacity:
            self.kept.clear()  # rare: every vessel's next fix is kept, then thinned again
        self.kept[mmsi] = (t, cog)
        return True


def evenly(items: list[T], most: int) -> list[T]:
    """At most `most` of the items, evenly spread, the first and the last always among them."""
    if len(items) <= most:
        return items
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]
