"""A write-back cache of per-vessel state: changed states are written out once per flush.

Kafka Streams' record cache, for one stage: the stage reads and changes state objects here; a
flush takes the changed ones (`take`) and the binding makes them durable. The objects stay
cached: a changed one is newer than the table's value and is what the stage must read; an
unchanged one equals the table's, and is forgotten once two flushes have passed without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")


class WriteBack(Generic[S]):
    """States by MMSI, loaded on first use, changed in place or replaced, flushed in bulk."""

    def __init__(self, load: Callable[[int], S | None], new: Callable[[], S]) -> None:
        self._load = load
        self._new = new
        self.states: dict[int, S] = {}
        self.dirty: set[int] = set()
        self.fresh: set[int] = set()  # loaded or taken since the last take

    def get(self, mmsi: int) -> S:
        """The vessel's current state: the cached object, else the stored one, else a new one."""
        state = self.states.get(mmsi)
        if state is None:
            state = self._load(mmsi)
            if state is None:
                state = self._new()
            self.states[mmsi] = state
            self.fresh.add(mmsi)
        return state

    def put(self, mmsi: int, state: S) -> None:
        """Keep a new or changed state to be written at the next flush."""
        self.states[mmsi] = state
        self.dirty.add(mmsi)

    def take(self) -> dict[int, S]:
        """The states changed since the last take, to be written now; a flush starts here.

        The objects stay: the next take forgets those not changed again by then (the table
        holds them). So a vessel heard in every flush interval is parsed from the table once,
        not once a flush (a state's JSON costs about 6 µs to parse), and the cache holds at most
        the vessels heard in two intervals."""
        changed = {mmsi: self.states[mmsi] for mmsi in self.dirty}
        # No flush is under way now, so a state unchanged since the last take is the table's
        # (that flush has written it).
        self.states = {mmsi: self.states[mmsi] for mmsi in self.fresh | self.dirty}
        self.fresh, self.dirty = self.dirty, set()
        return changed

    def drop(self) -> None:
        """Forget everything not yet written: the partitions moved, their input is read again."""
        self.states.clear()
        self.dirty.clear()
        self.fresh.clear()
