"""Reassembly of multi-sentence AIS messages by sequential message id and channel.

Parts of other messages may come in between. A group that cannot complete is given back as
abandoned: when its slot is reused, when it is older than the timeout, when too many groups are
open, or at the end of the input. Nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
Slot = tuple[int | None, str]  # (sequential message id, radio channel)


@dataclass
class Group(Generic[T]):
    """The parts of one message seen so far, by fragment number."""

    count: int
    opened_at: float | None
    parts: dict[int, T] = field(default_factory=dict)

    def in_order(self) -> list[T]:
        """The parts received, by fragment number."""
        return [self.parts[n] for n in sorted(self.parts)]


class Reassembler(Generic[T]):
    """Collects the fragments of multi-sentence messages until each is complete."""

    def __init__(self, timeout: float = 60.0, max_open: int = 1000) -> None:
        self.timeout = timeout
        self.max_open = max_open
        self._open: dict[Slot, Group[T]] = {}

    def __len__(self) -> int:
        return len(self._open)

    def add(
        self, slot: Slot, count: int, number: int, part: T, clock: float | None
    ) -> tuple[list[T] | None, list[Group[T]]]:
        """Add a fragment: (all parts when the message is complete, groups abandoned now)."""
        abandoned: list[Group[T]] = []
        group = self._open.get(slot)
        # A new message in a slot whose last message is unfinished: that one will never be.
        if group is not None and (group.count != count or number in group.parts):
            abandoned.append(self._open.pop(slot))
            group = None
        if group is None:
            if len(self._open) >= self.max_open:
                abandoned.append(self._open.pop(next(iter(self._open))))
            group = self._open[slot] = Group(count, clock)
        group.parts[number] = part
        if len(group.parts) < count:
            return None, abandoned
        del self._open[slot]
        return group.in_order(), abandoned

    def expire(self, now: float) -> list[Group[T]]:
        """Give up the groups opened more than `timeout` seconds before `now`."""
        for group in self._open.values():
            if group.opened_at is None:  # opened before any time was known: time it from now
                group.opened_at = now
        old = [s for s, g in self._open.items() if now - (g.opened_at or now) > self.timeout]
        return [self._open.pop(s) for s in old]

    def drain(self) -> list[Group[T]]:
        """Give up every open group (the input has ended)."""
        groups = list(self._open.values())
        self._open.clear()
        return groups
