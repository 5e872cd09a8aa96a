"""`/healthz` and `/readyz` on the worker's web port, for an orchestrator (systemd, Kubernetes).

`/healthz` answers 200 once the worker's event loop serves requests at all. `/readyz` answers
200 once the worker has its partitions and every table partition it owns has been recovered
from its changelog, and 503 with the reasons otherwise: still joining the group, rebalancing,
recovering (with how many changelog records are left and for how long it has been at it), a
recovery stalled (streams/recovery_watch.py), a flush of the track stage stuck, or the ingest
process down or crash-looping (streams/bindings/ingest_process.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web as aioweb
from faust.types import AppT

from streams.recovery_watch import RecoveryWatch

JSON = {"Content-Type": "application/json"}


class Readiness:
    """Why the worker is not ready yet, read from Faust's state at each request."""

    def __init__(
        self,
        app: AppT,
        watch: RecoveryWatch | None = None,
        flushing_for: Callable[[], float] | None = None,
        stuck_after_s: float = 60.0,
        ingest_trouble: Callable[[], str | None] | None = None,
    ) -> None:
        self.app = app
        self.watch = watch
        self.flushing_for = flushing_for  # seconds the track stage's flush has been under way
        self.stuck_after_s = stuck_after_s
        self.ingest_trouble = ingest_trouble  # the ingest process's, when it runs in one
        self.recovering_since: float | None = None

    def reasons(self) -> list[str]:
        """What holds the worker back; empty when it is ready."""
        app: Any = self.app
        found = []
        recovery = app.tables.recovery
        if not app.consumer_generation_id:
            found.append("not yet in the consumer group: no partitions assigned")
        if app.rebalancing:
            found.append("rebalancing: partitions are moving between workers")
        if app.in_recovery or not recovery.completed.is_set():
            now = time.monotonic()
            if self.recovering_since is None:
                self.recovering_since = now
            left = recovery.active_remaining_total()
            found.append(
                f"recovering tables: {left} changelog records left, "
                f"for {now - self.recovering_since:.0f} s"
            )
            if self.watch is not None and self.watch.stalled_s:
                found.append(
                    f"recovery stalled: no changelog record for {self.watch.stalled_s:.0f} s "
                    "with records left"
                )
        else:
            self.recovering_since = None
        flushing = self.flushing_for() if self.flushing_for else 0.0
        if flushing >= self.stuck_after_s:
            found.append(f"flush stuck: the track stage's flush has waited {flushing:.0f} s")
        ingest = self.ingest_trouble() if self.ingest_trouble else None
        if ingest:
            found.append(ingest)
        return found


def register(app: AppT, readiness: Readiness | None = None) -> Readiness:
    """Add /healthz and /readyz to the app's web server."""
    readiness = readiness or Readiness(app)

    async def healthz(web: Any, request: Any) -> Any:
        return aioweb.Response(body=b'{"status":"ok"}', headers=JSON)

    async def readyz(web: Any, request: Any) -> Any:
        reasons = readiness.reasons()
        # `reason` in one line for a probe's log, `reasons` each on its own for a person.
        answer = {"ready": not reasons, "reason": "; ".join(reasons) or None, "reasons": reasons}
        body = orjson.dumps(answer)
        return aioweb.Response(body=body, status=503 if reasons else 200, headers=JSON)

    app.page("/healthz")(healthz)
    app.page("/readyz")(readyz)
    return readiness
