"""Timeline builders: a vessel's track as a few readable legs, turned into positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ais.records import Position
from scenarios.geo import CHONGJIN_BERTH, PRODUCTS_BERTH

T0 = datetime(2024, 3, 7, tzinfo=UTC)
VOSTOCHNY_BERTH = PRODUCTS_BERTH  # in Wrangel Bay, off the oil-products berths
OUTSIDE_VOSTOCHNY = (42.60, 133.05)  # about 12 km south of the fence
OUTSIDE_CHONGJIN = (41.65, 129.95)
FAR_SOUTH = (40.0, 132.0)  # open sea, hundreds of km from both ports
DPRK_TANKER = 445_123_456
RUSSIAN_TANKER = 273_456_789


@dataclass
class Timeline:
    """Builds positions of one vessel leg by leg; `t` moves forward as legs are added."""

    mmsi: int = DPRK_TANKER
    t: datetime = T0
    positions: list[Position] = field(default_factory=list)

    def fix(self, lat: float, lon: float, sog: float | None) -> Timeline:
        """One fix at the current time."""
        self.positions.append(Position(mmsi=self.mmsi, ts=self.t, lat=lat, lon=lon, sog=sog))
        return self

    def sail(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        hours: float,
        every_min: float = 10,
        sog: float = 10.0,
    ) -> Timeline:
        """Straight line from start to end, a fix every `every_min` minutes."""
        steps = max(1, round(hours * 60 / every_min))
        for i in range(steps + 1):
            f = i / steps
            lat = start[0] + (end[0] - start[0]) * f
            lon = start[1] + (end[1] - start[1]) * f
            self.fix(lat, lon, sog)
            if i < steps:
                self.t += timedelta(minutes=every_min)
        return self

    def stay(
        self, at: tuple[float, float], hours: float, every_min: float = 10, sog: float = 0.0
    ) -> Timeline:
        """Stopped at a point for a while."""
        return self.sail(at, at, hours, every_min, sog)

    def dark(self, hours: float) -> Timeline:
        """No reports for a while."""
        self.t += timedelta(hours=hours)
        return self

    def wait(self, minutes: float) -> Timeline:
        """Advance time a little before the next leg."""
        self.t += timedelta(minutes=minutes)
        return self


def loading_then_delivery(mmsi: int = DPRK_TANKER) -> list[Position]:
    """The story: load at Vostochny, sail to Chongjin, offload."""
    return (
        Timeline(mmsi)
        .sail(OUTSIDE_VOSTOCHNY, VOSTOCHNY_BERTH, hours=1)
        .wait(10)
        .stay(VOSTOCHNY_BERTH, hours=6)
        .wait(10)
        .sail(VOSTOCHNY_BERTH, OUTSIDE_VOSTOCHNY, hours=1)
        .wait(10)
        .sail(OUTSIDE_VOSTOCHNY, OUTSIDE_CHONGJIN, hours=16)
        .wait(10)
        .sail(OUTSIDE_CHONGJIN, CHONGJIN_BERTH, hours=1)
        .wait(10)
        .stay(CHONGJIN_BERTH, hours=8)
        .wait(10)
        .sail(CHONGJIN_BERTH, OUTSIDE_CHONGJIN, hours=1)
        .positions
    )


def dark_loading_then_delivery(mmsi: int = DPRK_TANKER, gap_h: float = 20) -> list[Position]:
    """Goes dark 11 km off Vostochny, reappears there, then delivers to Chongjin."""
    return (
        Timeline(mmsi)
        .sail(FAR_SOUTH, OUTSIDE_VOSTOCHNY, hours=10)
        .dark(gap_h)
        .sail(OUTSIDE_VOSTOCHNY, OUTSIDE_CHONGJIN, hours=16)
        .wait(10)
        .sail(OUTSIDE_CHONGJIN, CHONGJIN_BERTH, hours=1)
        .wait(10)
        .stay(CHONGJIN_BERTH, hours=8)
        .positions
    )


def merged(*legs: Timeline | list[Any]) -> list[Any]:
    """The records of several vessels (timelines, or lists of records) in event-time order.

    Records at the same instant keep the order they were given in (stable sort)."""
    records: list[Any] = []
    for leg in legs:
        records.extend(leg.positions if isinstance(leg, Timeline) else leg)
    return sorted(records, key=lambda r: r.ts if hasattr(r, "ts") else _sighting_time(r))


def _sighting_time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["ts"].replace("Z", "+00:00"))


def sighting(
    sighting_id: str,
    at: datetime,
    where: tuple[float, float],
    length_m: float | None = 120.0,
    source: str | None = "sentinel-1",
) -> dict[str, Any]:
    """A satellite sighting in its published JSON form (what `Detector.process_json` takes)."""
    return {
        "kind": "sighting",
        "sighting_id": sighting_id,
        "ts": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lat": where[0],
        "lon": where[1],
        "length_m": length_m,
        "source": source,
    }
