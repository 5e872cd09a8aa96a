"""Builders and helpers the tests share: one module, so that no test imports another test file."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TimedOut(AssertionError):
    """What `wait_until` raises when the condition never held."""


def wait_until(
    check: Callable[[], T | None], timeout: float = 30.0, what: str = "", every: float = 0.1
) -> T:
    """Poll `check` until it gives something truthy, and return that; fail after `timeout` s.

    The one way tests wait for something to happen: never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout:.0f} s waiting for {what or check}")
        time.sleep(every)
