"""Records held under one key until the watermark has passed each one's time plus a wait.

Dark sightings and new identities wait beside the watched vessels like this: a list in time
order, a record once (by its identity), released in order. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from shipwatch.sea.store import SeaStore

Record = dict[str, Any]


def hold(
    store: SeaStore,
    key: str,
    rec: Record,
    identity: Callable[[Record], Hashable],
    most: int | None = None,
) -> None:
    """Keep the record in time order (then by identity), once; at most `most`, the newest."""
    held: list[Record] = store.get(key) or []
    mine = identity(rec)
    if any(identity(h) == mine for h in held):
        return
    ranked = sorted([*held, rec], key=lambda h: (h["t"], identity(h)))
    store.put(key, ranked if most is None else ranked[-most:])


def release(store: SeaStore, key: str, w: float, wait_s: float) -> list[Record]:
    """The held records whose wait the watermark has passed, in time order."""
    held: list[Record] = store.get(key) or []
    due = [h for h in held if h["t"] + wait_s <= w]
    if due:
        rest = held[len(due) :]
        if rest:
            store.put(key, rest)
        else:
            store.delete(key)
    return due


def due_at(store: SeaStore, key: str, wait_s: float) -> float | None:
    """When the first held record's wait ends."""
    held: list[Record] = store.get(key) or []
    return held[0]["t"] + wait_s if held else None
