"""A vessel page's cargo estimate: what its recorded loadings and deliveries moved, in barrels."""

from __future__ import annotations

from typing import Any

from shipwatch.cargo import CHANGE_MIN_M, CargoFactors, estimate_barrels
from shipwatch.history.model import VesselHistory

BASIS = (
    "hull length x beam x draught change x block coefficient x seawater density, in barrels "
    "of refined products; draught changes under {min} m are not counted"
)


def cargo_of(history: VesselHistory, factors: CargoFactors) -> dict[str, Any]:
    """Loadings (voyages that left loaded) and deliveries (calls that ended lighter), each
    with its estimate, and the estimate aboard after the latest of them."""
    length, beam = history.identity.get("length"), history.identity.get("beam")
    moves: list[dict[str, Any]] = []
    for event in history.events:
        if event.get("kind") == "voyage" and event.get("loaded"):
            before, after = event.get("origin_draught_before"), event.get("origin_draught_after")
            if before is None or after is None:
                continue
            change, at, port = after - before, event.get("departed_at"), event.get("origin")
            route = None
        elif event.get("kind") == "delivery":
            change, at, port = -float(event["discharged_m"]), event["arrived_at"], event["port"]
            route = f"{event.get('origin')}->{port}"
            length, beam = event.get("length") or length, event.get("beam") or beam
        else:
            continue
        if abs(change) < CHANGE_MIN_M:
            continue
        barrels = estimate_barrels(length, beam, change, factors)
        moves.append(
            {
                "at": at,
                "port": port,
                "route": route,
                "kind": "loaded" if change > 0 else "delivered",
                "draught_change_m": round(change, 2),
                "barrels": barrels,
            }
        )
    moves.sort(key=lambda move: str(move["at"]))
    aboard = None
    if moves and moves[-1]["kind"] == "loaded":
        aboard = moves[-1]["barrels"]
    deliveries = [m for m in moves if m["kind"] == "delivered"]
    delivered = [m["barrels"] for m in deliveries if m["barrels"]]
    return {
        "estimated_barrels": aboard,
        "delivered_barrels": sum(delivered) if delivered else None,
        "movements": moves,
        "deliveries": deliveries,
        "hull": {"length_m": length, "beam_m": beam},
        "basis": BASIS.format(min=CHANGE_MIN_M),
    }
