"""Geography of the reference scenario: ports, berths, sea routes and small spherical helpers.

Points are (lat, lon) in degrees, unlike GeoJSON. Every leg the plans sail, sampled every 50 m,
and every berth were checked against the full-resolution GSHHG coastline (with the
roaring-landmask package, a one-off check and not a dependency): no track crosses land.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geofences.earth import EARTH_RADIUS_M, METRES_PER_DEGREE

Point = tuple[float, float]  # (lat, lon), degrees

METRES_PER_NM = 1852.0


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: Point, b: Point) -> float:
    """Initial true bearing from a to b, 0 <= bearing < 360."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dl = math.radians(b[1] - a[1])
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def offset(p: Point, north_m: float, east_m: float) -> Point:
    """The point north_m and east_m away from p (local flat approximation, fine below 10 km)."""
    lat = p[0] + north_m / METRES_PER_DEGREE
    lon = p[1] + east_m / (METRES_PER_DEGREE * math.cos(math.radians(p[0])))
    return lat, lon


def lerp(a: Point, b: Point, f: float) -> Point:
    """The point a fraction f of the way from a to b, linear in lat/lon."""
    return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f


@dataclass(frozen=True)
class Port:
    """A harbour: where ships leave the open sea for it and how they reach its berths."""

    id: str  # the fence id in geofences/fences
    sea: Point  # turning point at sea, more than 5 km outside the fence
    approach: tuple[Point, ...]  # waypoints from `sea` to the inner harbour, in order
    anchorage_after: int = 0  # approach waypoints passed before turning off to an anchorage
    fenced: bool = True  # whether the bundled fences watch it (the detector sees only those)

    def distance_m(self, p: Point) -> float:
        """How far p is from the port: to the nearest approach waypoint.

        The waypoints lie inside the fence or just outside it (Vostochny's first, Nakhodka
        Bay's mouth, 1.7 km out), so from the open sea this is the distance to the fence within
        a few km: the plans keep far enough from every distance threshold for that not to matter.
        """
        return min(distance_m(p, w) for w in self.approach)


# Vostochny: the fence covers Nakhodka Bay's eastern side and Wrangel Bay, whose mouth opens
# west into Nakhodka Bay; the open sea is reached south past the bay's western shore.
VOSTOCHNY = Port(
    id="vostochny",
    sea=(42.6200, 133.0500),
    approach=(
        (42.6950, 132.9850),  # Nakhodka Bay's mouth, 1.7 km south of the fence
        (42.7250, 132.9900),
        (42.7560, 133.0300),  # off the mouth of Wrangel Bay
        (42.7525, 133.0620),
    ),
    anchorage_after=2,
)
# Inner Wrangel Bay: the oil-products berth the DPRK tankers use, and a second one.
PRODUCTS_BERTH = (42.7445, 133.0690)
SECOND_BERTH = (42.7485, 133.0630)
# An anchorage in Nakhodka Bay 100 m inside the fence's west edge (lon 132.976).
EDGE_ANCHORAGE = offset((42.7380, 132.9760), 0.0, 100.0)

# Chongjin: the fence covers both harbours; ships come in from the south-east.
CHONGJIN = Port(
    id="chongjin",
    sea=(41.7000, 129.9500),
    approach=((41.7520, 129.8450),),  # harbour entrance
)
CHONGJIN_BERTH = (41.7650, 129.8150)
CHONGJIN_WEST_BERTH = (41.7645, 129.8050)

# Rajin (Rason), DPRK: where the other DPRK tankers deliver. Deliberately not fenced: a call
# there is invisible to the detector, as any unwatched port is.
RAJIN = Port(id="rajin", sea=(42.1200, 130.3300), approach=((42.1850, 130.3000),), fenced=False)
RAJIN_BERTH = (42.2250, 130.3020)

# Every port of the story, in id order (the order the detector lists fences in).
PORTS = (CHONGJIN, RAJIN, VOSTOCHNY)

# Where ships enter and leave the covered area (the edge of the receivers' range).
SOUTH_EXIT = (41.9000, 132.7150)  # on the way to Busan (35.0 N 129.5 E)
EAST_EXIT = (42.3000, 134.2000)  # towards Japan's west coast
DPRK_EXIT = (42.2000, 132.1000)  # towards the DPRK's north-east coast

# Coastal route past Chongjin: the straight leg from PASS_IN to PASS_OUT crosses the fence's
# south-east corner (7.5 km of it inside), where coasters stay clear of the harbour moles.
PASS_SOUTH = (41.3000, 129.9500)
PASS_IN = (41.7000, 129.8300)
PASS_OUT = (41.8000, 129.8720)
PASS_TURN = (41.8200, 129.9500)
PASS_NORTH = (42.1200, 130.3500)
NORTHBOUND = (PASS_IN, PASS_OUT, PASS_TURN, PASS_NORTH)
SOUTHBOUND = (PASS_TURN, PASS_OUT, PASS_IN, PASS_SOUTH)
