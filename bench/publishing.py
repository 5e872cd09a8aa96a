"""What the soaks share around their traffic: progress lines, a publisher on a thread of its
own, and the wait for the worker to finish what was published."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

from bench.harness import Worker, applied


def say(text: str) -> None:
    """Progress, on stderr: stdout carries only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class ThreadedPublisher:
    """A publisher that runs its own event loop on a thread; `_publish` sets `started` once
    connected (and `t0`, `t0_epoch` as the first position goes out), and counts `acked`."""

    def __init__(self, name: str) -> None:
        self.handed = 0  # given to the producer
        self.acked = 0  # acknowledged by the broker
        self.fleet_complete_at: int | None = None  # every vessel published once by then
        self.t0 = 0.0  # perf_counter when the first position went out
        self.t0_epoch = 0.0  # the same instant as time.time()
        self.error: BaseException | None = None  # reported by the sampling loop
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Connect and begin; returns once the first position is about to go out."""
        self.thread.start()
        if not self.started.wait(60):
            raise TimeoutError("the publisher did not connect")
        if self.error is not None:
            raise RuntimeError("the publisher failed") from self.error

    def _run(self) -> None:
        try:
            asyncio.run(self._publish())
        except BaseException as exc:
            self.error = exc
            self.started.set()

    async def _publish(self) -> None:
        raise NotImplementedError


def drained(worker: Worker, published: int, wait_s: float, poll_s: float) -> float | None:
    """Seconds until the worker has done every published position (None: not within wait_s)."""
    start = time.perf_counter()
    while time.perf_counter() - start < wait_s:
        if applied(worker.metrics()) >= published:
            return time.perf_counter() - start
        time.sleep(poll_s)
    return None
