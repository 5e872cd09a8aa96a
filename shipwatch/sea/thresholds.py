"""The at-sea thresholds, with their units and sources, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass, field

from shipwatch.integrity.thresholds import IntegrityRules


@dataclass(frozen=True, slots=True)
class SeaRules:
    """Thresholds of the encounter, loitering and sighting rules (docs/detection.md, "At sea")."""

    # Encounters, after Global Fishing Watch's published definition (Miller et al. 2018).
    encounter_distance_m: float = 500.0  # the pair stays this close ...
    encounter_min_s: float = 2 * 3600  # ... for at least this long
    slow_kn: float = 2.0  # median speed of each vessel over it below this
    fence_clearance_m: float = 10_000.0  # and at least this far from every fence
    # Loitering: one vessel slow this long, clear of every fence (GFW's loitering events).
    loiter_min_s: float = 2 * 3600
    # Fixes at or above this speed never travel to the area cells: a vessel this fast cannot
    # keep a median below `slow_kn` long enough to matter, and they are most of the traffic.
    sample_max_kn: float = 3.0
    # Vessels are compared at common instants: every `tick_s` of event time, each vessel's
    # position interpolated between its fixes; not across a silence longer than `max_interp_s`.
    tick_s: int = 600
    max_interp_s: float = 1800.0
    max_gap_ticks: int = 1  # an encounter survives this many ticks without a close sample
    # Area cells: `cell_deg` square; a sample near an edge also goes to the neighbour cell.
    cell_deg: float = 0.1
    max_vessels_per_cell_tick: int = 400  # bound of one cell's state per tick
    # Sightings: matched to an AIS vessel within this distance plus half the ship's length.
    sighting_match_m: float = 1000.0
    sighting_wait_s: float = 3600.0  # AIS this much newer than the sighting decides it
    retention_s: float = 12 * 3600.0  # samples kept per cell for late sightings
    dark_port_distance_m: float = 20_000.0  # unmatched this near a fence: a dark vessel
    candidate_speed_kn: float = 15.0  # a silent watched vessel could have got there at this
    candidate_lookback_s: float = 48 * 3600.0  # silences this old are forgotten
    # Event time: the stage decides only up to the slowest feeding partition's progress less
    # this much (shipwatch/watermarks.py), so that records a partition applies out of order
    # by up to this long still count.
    lateness_s: float = 600.0
    # The identity and position-tampering checks that join vessels here (shipwatch.integrity).
    integrity: IntegrityRules = field(default_factory=IntegrityRules)

    @property
    def ghost_margin_m(self) -> float:
        """How near a cell edge a sample must be to be copied into the neighbour cell."""
        half_longest_ship_m = 300.0  # sightings and statics allow ships up to 600 m
        return max(self.encounter_distance_m, self.sighting_match_m + half_longest_ship_m)

    @property
    def apart_distance_m(self) -> float:
        """Pairs within this distance but not close are reported apart (ends an encounter)."""
        return 4 * self.encounter_distance_m


SKYLIGHT = SeaRules(encounter_distance_m=250.0, encounter_min_s=1800.0)
"""Skylight's stricter encounter variant: 250 m for 30 minutes."""


def median_of(histogram: list[int], bin_kn: float) -> float:
    """The median speed of a histogram of speeds in bins of `bin_kn` (bins' middles; for an
    even count, halfway between the two middle values, as `statistics.median`)."""
    total = sum(histogram)
    if total == 0:
        return 0.0
    lower = _nth_bin(histogram, (total - 1) // 2)
    upper = _nth_bin(histogram, total // 2)
    return round((lower + upper + 1) / 2 * bin_kn, 2)


def _nth_bin(histogram: list[int], n: int) -> int:
    """The bin of the n-th smallest value (0-based)."""
    seen = 0
    for i, count in enumerate(histogram):
        seen += count
        if seen > n:
            return i
    return len(histogram) - 1


SPEED_BIN_KN = 0.1  # speeds are kept as counts per 0.1 kn: bounded, and order does not matter


def speed_bin(sog: float, rules: SeaRules) -> int:
    """The histogram bin of a speed (the last bin holds everything up to `sample_max_kn`)."""
    last = int(rules.sample_max_kn / SPEED_BIN_KN)
    # 0.3 / 0.1 is 2.9999999999999996 in floating point: a hair up keeps it in its own bin.
    return min(max(int(sog / SPEED_BIN_KN + 1e-9), 0), last)


def empty_histogram(rules: SeaRules) -> list[int]:
    """A histogram with no speeds yet."""
    return [0] * (int(rules.sample_max_kn / SPEED_BIN_KN) + 1)
