"""What the at-sea rules remember of one vessel: its last fix and its open loitering run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Loiter:
    """An open run of slow ticks clear of every fence; `reported` once it counts."""

    start_t: float
    last_t: float
    n: int = 0
    sum_lat: float = 0.0
    sum_lon: float = 0.0
    reported: bool = False
    speeds: list[int] = field(default_factory=list)  # histogram, rules.SPEED_BIN_KN wide

    def to_list(self) -> list[Any]:
        """Compact JSON form (it lives inside every loitering vessel's stored state)."""
        return [
            self.start_t,
            self.last_t,
            self.n,
            self.sum_lat,
            self.sum_lon,
            self.reported,
            self.speeds,
        ]

    @classmethod
    def from_list(cls, v: list[Any]) -> Loiter:
        """Inverse of to_list."""
        return cls(v[0], v[1], v[2], v[3], v[4], bool(v[5]), list(v[6]))


@dataclass(slots=True)
class SeaTrack:
    """The vessel's last fix as the at-sea rules saw it (arrival order, newer each time)."""

    t: float
    lat: float
    lon: float
    sog: float | None
    slow_at_sea: bool  # slow enough and clear of every fence: may be part of an encounter
    travels: bool  # its samples go to the area cells
    loiter: Loiter | None = None

    def to_list(self) -> list[Any]:
        """Compact JSON form for the vessel's stored state."""
        loiter = self.loiter.to_list() if self.loiter else None
        return [self.t, self.lat, self.lon, self.sog, self.slow_at_sea, self.travels, loiter]

    @classmethod
    def from_list(cls, v: list[Any]) -> SeaTrack:
        """Inverse of to_list."""
        loiter = Loiter.from_list(v[6]) if v[6] else None
        return cls(v[0], v[1], v[2], v[3], bool(v[4]), bool(v[5]), loiter)
