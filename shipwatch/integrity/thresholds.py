"""The integrity thresholds, with their units and sources, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IntegrityRules:
    """Thresholds of the identity and position-tampering rules (docs/detection.md, "Integrity")."""

    # Scope of the alerts: watched vessels, and any vessel this near a watched port (a fence
    # whose role is loading or discharge). Everything else is an event only.
    port_radius_m: float = 50_000.0
    # One ship cannot be at two fixes this far apart at this speed: Global Fishing Watch's
    # segmenter splits a track at about 25 kn (Kroodsma et al. 2018).
    feasible_kn: float = 25.0
    feasible_slack_m: float = 2_000.0  # position error of two fixes, added to the reach
    # Identity groups (one IMO, or one name and size) compare one fix per vessel and hour.
    identity_fix_s: int = 3600
    identity_keep_s: float = 48 * 3600.0  # a vessel's last fix in a group is forgotten after
    # An MMSI not seen for this long is new (`identity_swap` candidates), once its type and
    # size come (a class A ship sends them every 6 minutes) within this long of its first fix.
    new_after_days: float = 30.0
    new_static_wait_s: float = 3600.0
    swap_size_tolerance: float = 0.05  # length and beam each within 5 %
    swap_window_s: float = 48 * 3600.0  # a new identity this soon after the silence began
    swap_speed_kn: float = 15.0  # the silent vessel could have got there at this speed
    # ... and it stays silent this long after the new identity began: one ship does not
    # transmit under both identities (decided this much later).
    swap_confirm_s: float = 6 * 3600.0
    # On land: this many consecutive fixes this far inland, outside every fence.
    on_land_fixes: int = 3
    on_land_m: float = 1_000.0
    # Jumps: this many impossible jumps (fixes the tracker held out as glitches) within this
    # long; jumps of this many vessels this near each other in this long: GNSS interference.
    jumps_min: int = 3
    jumps_window_s: float = 6 * 3600.0
    interference_vessels: int = 3
    interference_radius_m: float = 50_000.0
    interference_window_s: float = 3600.0
    # Imagery: a watched vessel's AIS position at least this far inside a scene's footprint,
    # with no sighting of the scene within the matching distance (the sea rules') of it.
    scene_inside_m: float = 1_000.0
