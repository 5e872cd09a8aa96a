"""Cargo from a draught change and the hull, and the running total against the UN cap."""

from __future__ import annotations

from dataclasses import dataclass

CHANGE_MIN_M = 0.5  # a draught change at least this large is cargo, not trim or typing
UN_CAP_BBL = 500_000.0  # UN Security Council resolution 2397: refined products to the DPRK a year
CAP_SHARES = (0.5, 0.8, 1.0)  # shares of the cap whose crossing raises cap_threshold


@dataclass(frozen=True)
class CargoFactors:
    """length × beam × Δdraught × block coefficient × seawater density = tonnes."""

    block_coefficient: float = 0.8  # fullness of a small product tanker's hull
    seawater_t_per_m3: float = 1.025
    barrels_per_tonne: float = 7.5  # refined products (diesel ~7.5, gasoline ~8.5)


def estimate_barrels(
    length_m: float | None, beam_m: float | None, change_m: float, f: CargoFactors
) -> float | None:
    """Barrels moved by a draught change of `change_m`; None without the hull's size."""
    if not length_m or not beam_m:
        return None
    tonnes = length_m * beam_m * abs(change_m) * f.block_coefficient * f.seawater_t_per_m3
    return round(tonnes * f.barrels_per_tonne)


def crossed(before: float, after: float, cap: float, shares: tuple[float, ...]) -> list[float]:
    """The shares of the cap that a total crossed going from `before` to `after`."""
    return [s for s in shares if before < s * cap <= after]
