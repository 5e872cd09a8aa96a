"""The worker's collector settings: fewer young collections, the start-up heap frozen."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from streams import collector


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored")
def test_tuning_collects_the_young_generation_less_often() -> None:
    collector.tune()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *collector.OLDER_THRESHOLDS)


@pytest.mark.usefixtures("restored")
def test_the_start_up_heap_is_frozen_and_its_garbage_collected_first() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    kept = Node()
    garbage = weakref.ref(Node())  # unreachable at once, but for its own cycle
    before = gc.get_freeze_count()
    collector.freeze_start_up_heap()
    assert garbage() is None  # collected, not frozen
    assert gc.get_freeze_count() > before
    walked = {id(o) for o in gc.get_objects()}  # only the unfrozen generations are listed
    assert id(kept) not in walked  # frozen: never walked again
