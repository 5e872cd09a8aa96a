"""Building the pure core from settings: the one place that loads fences, routes, watchlist and
sanctions lists."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from alerts.context import RuleContext
from alerts.routes import DEFAULT_ROUTES, load_routes
from alerts.sanctions import split_paths
from alerts.watchlist import Watchlist, load, load_sanctions
from geofences.index import FenceIndex
from geofences.loader import load_dir
from shipwatch.cargo import CargoFactors
from shipwatch.integrity.status_files import IdentityStatus, load_statuses
from shipwatch.integrity.thresholds import IntegrityRules
from shipwatch.sea.thresholds import SKYLIGHT, SeaRules
from shipwatch.settings import Settings

log = logging.getLogger(__name__)


def build_core(
    geofences_dir: Path, settings: Settings | None = None
) -> tuple[FenceIndex, RuleContext]:
    """The fence index and the rule context; without settings, the defaults."""
    fences = load_dir(geofences_dir)
    roles = {f.id: f.role for f in fences}
    names = {f.id: f.name for f in fences}
    if settings is None:
        return FenceIndex(fences), RuleContext(fence_roles=roles, fence_names=names)
    ctx = RuleContext(
        fence_roles=roles,
        fence_names=names,
        routes=load_routes(settings.routes_file) if settings.routes_file else DEFAULT_ROUTES,
        watchlist=watchlist_from(settings),
        cargo=cargo_factors(settings),
        cap_bbl=settings.cap_bbl,
        cap_shares=tuple(sorted(settings.cap_shares)),
        sea_rules=sea_rules_from(settings),
        integrity=settings.integrity and settings.at_sea,
        identity_statuses=statuses_from(settings),
    )
    return FenceIndex(fences), ctx


def cargo_factors(settings: Settings) -> CargoFactors:
    """The cargo estimate's factors as set."""
    return CargoFactors(
        settings.block_coefficient, settings.seawater_t_per_m3, settings.barrels_per_tonne
    )


def watchlist_from(settings: Settings) -> Watchlist:
    """The watchlist file's vessels (or none) and those of the sanctions lists."""
    watchlist = load(settings.watchlist_file) if settings.watchlist_file else Watchlist()
    for path in split_paths(settings.sanctions_files):
        entries = load_sanctions([path])
        watchlist.add_sanctions(entries)
        log.info("sanctions list %s: %d vessel entries", path, len(entries))
    return watchlist


def sea_rules_from(settings: Settings) -> SeaRules:
    """The at-sea thresholds: the preset, with any threshold set on its own."""
    preset = SKYLIGHT if settings.sea_preset == "skylight" else SeaRules()
    overrides: dict[str, Any] = {
        "encounter_distance_m": settings.encounter_distance_m,
        "encounter_min_s": settings.encounter_min_s,
        "slow_kn": settings.encounter_max_median_kn,
        "fence_clearance_m": settings.fence_clearance_m,
        "loiter_min_s": settings.loiter_min_s,
        "dark_port_distance_m": settings.dark_port_distance_m,
        "sighting_wait_s": settings.sighting_wait_s,
        "lateness_s": settings.watermark_lateness_s,
    }
    integrity = replace(
        IntegrityRules(),
        port_radius_m=settings.integrity_port_radius_m,
        new_after_days=settings.identity_new_days,
    )
    return replace(
        preset, integrity=integrity, **{k: v for k, v in overrides.items() if v is not None}
    )


def statuses_from(settings: Settings) -> Mapping[int, IdentityStatus]:
    """The status lists' ships (scrapped, lost), read at start."""
    paths = split_paths(settings.identity_status_files)
    statuses = load_statuses(paths) if paths else {}
    for path in paths:
        log.info("identity status list %s read", path)
    return statuses
