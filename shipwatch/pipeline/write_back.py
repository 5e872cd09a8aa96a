"""A write-back cache of per-vessel state: changed states are written out once per flush.

Kafka Streams' record cache, for one stage: the stage reads and changes state objects here; a
flush takes the changed ones (`take`), the binding makes them durable, and then `written`
forgets what the table now holds. Until then the objects here are newer than the table's
values and are what the stage must read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

S = TypeVar("S")


class WriteBack(Generic[S]):
    """States by MMSI, loaded on first use, changed in place or replaced, flushed in bulk."""

    def __init__(self, load: Callable[[int], S | None], new: Callable[[], S]) -> None:
        self._load = load
        self._new = new
        self.states: dict[int, S] = {}
        self.dirty: set[int] = set()

    def get(self, mmsi: int) -> S:
        """The vessel's current state: the cached object, else the stored one, else a new one."""
        state = self.states.get(mmsi)
        if state is None:
            state = self._load(mmsi)
            if state is None:
                state = self._new()
            self.states[mmsi] = state
        return state

    def put(self, mmsi: int, state: S) -> None:
        """Keep a new or changed state to be written at the next flush."""
        self.states[mmsi] = state
        self.dirty.add(mmsi)

    def take(self) -> dict[int, S]:
        """The states changed since the last take, to be written now; a flush starts here."""
        changed = {mmsi: self.states[mmsi] for mmsi in self.dirty}
        # No flush is under way now, so an unchanged state is the table's: no need to keep it.
        self.states = dict(changed)
        self.dirty = set()
        return changed

    def written(self, mmsis: Iterable[int]) -> None:
        """The table holds these now: forget those not changed again since `take`."""
        for mmsi in mmsis:
            if mmsi not in self.dirty:
                self.states.pop(mmsi, None)

    def drop(self) -> None:
        """Forget everything not yet written: the partitions moved, their input is read again."""
        self.states.clear()
        self.dirty.clear()
