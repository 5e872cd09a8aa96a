"""Per vessel, on the track stage's hot path: fixes in, samples for the area cells out.

Vessels are compared at common instants: every `tick_s` of event time, a travelling vessel's
position interpolated between the two fixes around it is one sample, sent to its area cell
(and to a neighbour cell when near an edge). Only slow vessels clear of every fence travel, or
any vessel near a watched port (where a satellite sighting must be matched against all of
them), so most of the world's fixes end here at two comparisons. Loitering is one vessel's
business and is decided here from the same ticks; watched vessels also report their fixes and
silences to the `watched` cell, where dark sightings look for candidates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geofences.grid import cells_near
from geofences.movement import distance_m, speed_kn
from shipwatch.ais.timefmt import iso_of
from shipwatch.integrity.vessel_checks import IntegrityContext
from shipwatch.sea.thresholds import SPEED_BIN_KN, SeaRules, empty_histogram, median_of, speed_bin
from shipwatch.sea.vessel_track import Loiter, SeaTrack
from shipwatch.sea.zones import SeaZones

Record = dict[str, Any]
WATCHED_KEY = "watched"


@dataclass(frozen=True, slots=True)
class SeaContext:
    """What the sampler needs besides the vessel: thresholds, zones, who is watched."""

    rules: SeaRules
    zones: SeaZones
    watched: Callable[[int, dict[str, Any]], bool]  # (mmsi, latest static data)
    integrity: IntegrityContext | None = None  # the identity and tampering checks, if on


@dataclass(slots=True)
class SeaOut:
    """Records for the sea stage (each with its cell `key`) and events, in order."""

    records: list[Record] = field(default_factory=list)
    events: list[Record] = field(default_factory=list)


def observe(
    sea: SeaTrack | None,
    mmsi: int,
    t: float,
    lat: float,
    lon: float,
    sog: float | None,
    vessel: dict[str, Any],
    ctx: SeaContext,
    out: SeaOut,
) -> SeaTrack | None:
    """Take one fix newer than the last; the vessel's new at-sea state (None: nothing kept)."""
    rules = ctx.rules
    if sea is not None and t <= sea.t:
        return sea  # late or repeated: the interpolation already went past it
    speed = sog
    if speed is None and sea is not None:
        speed = speed_kn(distance_m(sea.lat, sea.lon, lat, lon), t - sea.t)
    slow = speed is not None and speed < rules.sample_max_kn
    near = ctx.zones.near_port(lat, lon)
    watched = ctx.watched(mmsi, vessel)
    if sea is None and not slow and not near and not watched:
        return None  # the common case: under way far from every watched port
    slow_at_sea = slow and ctx.zones.clear(lat, lon)
    travels = slow_at_sea or near
    here = SeaTrack(t, lat, lon, speed, slow_at_sea, travels)
    if sea is None:
        if watched:
            _watch(out, mmsi, here, None, vessel)
        return here if (travels or watched) else None
    here.loiter = sea.loiter
    silent = t - sea.t > rules.max_interp_s
    if silent:
        _left(out, mmsi, sea, vessel, ctx)
        _end_loiter(out, mmsi, here, vessel)
    else:
        _samples(out, mmsi, sea, here, vessel, ctx)
    if watched and (silent or _tick(t, rules) != _tick(sea.t, rules)):
        _watch(out, mmsi, here, sea if silent else None, vessel)
    if not (travels or watched or here.loiter):
        return None
    return here


def _tick(t: float, rules: SeaRules) -> int:
    return int(t // rules.tick_s)


def _samples(
    out: SeaOut, mmsi: int, a: SeaTrack, b: SeaTrack, vessel: dict[str, Any], ctx: SeaContext
) -> None:
    """One sample per tick in (a.t, b.t], interpolated; slow at sea only if both ends are.

    The first tick after the vessel stopped being slow at sea says it left, placed where it
    was last slow: there its partners still are, and their pairs end."""
    rules = ctx.rules
    both_slow = a.slow_at_sea and b.slow_at_sea
    first = _tick(a.t, rules) + 1
    if a.slow_at_sea and not b.slow_at_sea:  # at the next tick, even one after b
        _sample(out, mmsi, first * rules.tick_s, a.lat, a.lon, b.sog, False, True, vessel, ctx)
        _end_loiter(out, mmsi, b, vessel)
        first += 1
    for n in range(first, _tick(b.t, rules) + 1):
        tick_t = n * rules.tick_s
        f = (tick_t - a.t) / (b.t - a.t)
        lat, lon = a.lat + f * (b.lat - a.lat), a.lon + f * (b.lon - a.lon)
        if a.travels or b.travels:
            _sample(out, mmsi, tick_t, lat, lon, b.sog, both_slow, False, vessel, ctx)
        if both_slow and b.sog is not None:
            _extend_loiter(out, mmsi, b, tick_t, lat, lon, b.sog, vessel, rules)
        else:
            _end_loiter(out, mmsi, b, vessel)


def _left(out: SeaOut, mmsi: int, a: SeaTrack, vessel: dict[str, Any], ctx: SeaContext) -> None:
    """The vessel fell silent: say so at its next tick where it was last seen."""
    if a.slow_at_sea:
        tick_t = (_tick(a.t, ctx.rules) + 1) * ctx.rules.tick_s
        _sample(out, mmsi, tick_t, a.lat, a.lon, a.sog, False, True, vessel, ctx, gone=True)


def _sample(
    out: SeaOut,
    mmsi: int,
    tick_t: float,
    lat: float,
    lon: float,
    sog: float | None,
    slow_at_sea: bool,
    left: bool,
    vessel: dict[str, Any],
    ctx: SeaContext,
    gone: bool = False,
) -> None:
    rules = ctx.rules
    record: Record = {
        "kind": "sample",
        "mmsi": mmsi,
        "t": int(tick_t),
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "sog": None if sog is None else round(sog, 1),
        "slow": slow_at_sea,
        "left": left,  # no longer slow at sea: a pair it was in is over
        # Fell silent: sent only when the vessel's next fix comes, so hours behind the
        # watermark; it ends pairs but never matches a sighting (that decision is made).
        "gone": gone,
        "draught": vessel.get("draught"),
        "name": vessel.get("name"),
        "imo": vessel.get("imo"),
    }
    for i, key in enumerate(cells_near(lat, lon, rules.cell_deg, rules.ghost_margin_m)):
        out.records.append({**record, "key": key, "home": i == 0})


def _extend_loiter(
    out: SeaOut,
    mmsi: int,
    here: SeaTrack,
    tick_t: float,
    lat: float,
    lon: float,
    sog: float,
    vessel: dict[str, Any],
    rules: SeaRules,
) -> None:
    run = here.loiter
    if run is None:
        run = here.loiter = Loiter(tick_t, tick_t, speeds=empty_histogram(rules))
    run.last_t, run.n = tick_t, run.n + 1
    run.sum_lat, run.sum_lon = run.sum_lat + lat, run.sum_lon + lon
    run.speeds[speed_bin(sog, rules)] += 1
    long_enough = run.last_t - run.start_t >= rules.loiter_min_s
    if not run.reported and long_enough and median_of(run.speeds, SPEED_BIN_KN) < rules.slow_kn:
        run.reported = True
        out.events.append(_loitering(mmsi, run, None, vessel))


def _end_loiter(out: SeaOut, mmsi: int, here: SeaTrack, vessel: dict[str, Any]) -> None:
    run, here.loiter = here.loiter, None
    if run is not None and run.reported:
        out.events.append(_loitering(mmsi, run, iso_of(run.last_t), vessel))


def _loitering(mmsi: int, run: Loiter, ended_at: str | None, vessel: dict[str, Any]) -> Record:
    return {
        "kind": "loitering",
        "mmsi": mmsi,
        "started_at": iso_of(run.start_t),
        "ended_at": ended_at,
        "lat": round(run.sum_lat / run.n, 5),
        "lon": round(run.sum_lon / run.n, 5),
        "median_sog": median_of(run.speeds, SPEED_BIN_KN),
        "duration_s": round(run.last_t - run.start_t),
        "name": vessel.get("name"),
        "imo": vessel.get("imo"),
    }


def _watch(
    out: SeaOut, mmsi: int, here: SeaTrack, before: SeaTrack | None, vessel: dict[str, Any]
) -> None:
    """A watched vessel's fix, and the silence before it if there was one; with its type and
    size, which a new identity after a silence is compared by (`identity_swap`)."""
    out.records.append(
        {
            "kind": "watch",
            "key": WATCHED_KEY,
            "mmsi": mmsi,
            "t": here.t,
            "lat": here.lat,
            "lon": here.lon,
            "silent_from": None if before is None else [before.t, before.lat, before.lon],
            "size": [
                vessel.get("ship_type"),
                vessel.get("length"),
                vessel.get("beam"),
                vessel.get("name"),
                vessel.get("imo"),
            ],
        }
    )


def tick_floor(t: float, rules: SeaRules) -> int:
    """The tick at or before `t`, in epoch seconds."""
    return int(math.floor(t / rules.tick_s) * rules.tick_s)
