"""A table recovery that stops making progress is noticed, reported and unstuck without a person.

Faust's recovery (faust-streaming 0.15.3) only logs `No event received for active tp` every 5 s
when a changelog partition it waits for sends nothing; the worker then never processes its
partitions. `streams/faust_patches/changelog_rewind.py` removes the one cause found; this watch
is for any other. Every few seconds it compares what is left to read with when each partition
last delivered a record. A partition with records left and none for `recovery_stall_s` is
stalled, and the worker, one step per further `recovery_stall_s` without progress:
  1. reads it again from just after the last record its table applied (`reread`);
  2. restarts the recovery, which seeks every changelog partition again (`restart`);
  3. stops itself with an error (`stop`): its supervisor (systemd, Kubernetes, compose) starts
     it again, and the others take its partitions meanwhile; a restart has always cleared it.
Each step counts `shipwatch_recovery_stalls_total{action}`; /readyz says stalled meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from faust.types import AppT

from shipwatch import metrics
from streams.faust_patches.changelog_rewind import read_from

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
ACTIONS = metrics.RECOVERY_ACTIONS
# A group rebalancing, with no recovery under way, for this many stall periods is stuck too:
# Faust's recovery loop can end for good on a timeout (faust/tables/recovery.py, `_wait`).
REBALANCE_STALLS = 3


@dataclass
class Stall:
    """What the watch decided at one look: the stalled partitions and the step to take."""

    partitions: list[Any]
    action: str
    stalled_s: float


@dataclass
class RecoveryWatch:
    """The decisions, from plain numbers: no Faust here, so they are tested alone."""

    stall_s: float
    steps: int = 0  # steps taken since the last progress
    last_step_at: float | None = None
    rebalancing_since: float | None = None
    stalled_s: float = 0.0
    seen: dict[Any, float] = field(default_factory=dict)  # partition -> last record's arrival

    def look(
        self,
        now: float,
        *,
        recovering: bool,
        rebalancing: bool,
        started_at: float | None,
        remaining: Mapping[Any, int],
        received_at: Mapping[Any, float],
    ) -> Stall | None:
        """The step to take now, if any."""
        if not recovering:
            self.stalled_s = 0.0
            if not rebalancing:
                self._progressed()
                self.rebalancing_since = None
                return None
            if self.rebalancing_since is None:
                self.rebalancing_since = now
            waited = now - self.rebalancing_since
            if waited < REBALANCE_STALLS * self.stall_s:
                return None
            # Rebalancing with no recovery under way: only a restart or a stop can help.
            return self._step(now, [], waited, first="restart")
        self.rebalancing_since = None
        start = started_at if started_at is not None else now
        if any(received_at.get(tp, start) > self.seen.get(tp, start) for tp in received_at):
            self._progressed()  # a record arrived since the last look
        self.seen = dict(received_at)
        quiet = {tp: now - received_at.get(tp, start) for tp, left in remaining.items() if left}
        stuck = sorted((tp for tp, q in quiet.items() if q >= self.stall_s), key=str)
        self.stalled_s = max((quiet[tp] for tp in stuck), default=0.0)
        if not stuck:
            self._progressed()
            return None
        return self._step(now, stuck, self.stalled_s, first="reread")

    def _step(self, now: float, stuck: list[Any], stalled_s: float, first: str) -> Stall | None:
        if self.last_step_at is not None and now - self.last_step_at < self.stall_s:
            return None  # give the last step its time
        ladder = ACTIONS[ACTIONS.index(first) :]
        action = ladder[min(self.steps, len(ladder) - 1)]
        self.steps += 1
        self.last_step_at = now
        return Stall(stuck, action, stalled_s)

    def _progressed(self) -> None:
        self.steps, self.last_step_at = 0, None


async def watch_recovery(app: AppT, watch: RecoveryWatch) -> None:
    """Look at the table recovery every few seconds and act on a stall (an app task)."""
    faust_app: Any = app
    while not faust_app.should_stop:
        await faust_app.sleep(CHECK_EVERY_S)
        recovery = faust_app.tables.recovery
        recovering = bool(faust_app.in_recovery)
        remaining = dict(recovery.active_remaining()) if recovering else {}
        metrics.RECOVERY_REMAINING.set(sum(max(0, n) for n in remaining.values()))
        stall = watch.look(
            time.monotonic(),
            recovering=recovering,
            rebalancing=bool(faust_app.rebalancing),
            started_at=recovery._recovery_started_at,
            remaining=remaining,
            received_at=dict(recovery._active_events_received_at),
        )
        metrics.RECOVERY_STALLED_SECONDS.set(watch.stalled_s)
        if stall is not None:
            await act(faust_app, stall)


async def act(app: Any, stall: Stall) -> None:
    """Take the step: read again, restart the recovery, or stop the worker."""
    recovery, consumer = app.tables.recovery, app.consumer
    metrics.RECOVERY_STALLS.labels(action=stall.action).inc()
    log.error(
        "table recovery stalled for %.0f s on %s (flow active: %s, generation %s): %s",
        stall.stalled_s,
        [str(tp) for tp in stall.partitions] or "no partition (rebalancing, not recovering)",
        consumer.flow_active,
        app.consumer_generation_id,
        stall.action,
    )
    if stall.action == "reread":
        applied = recovery.active_offsets
        targets = {tp: read_from(applied.get(tp)) for tp in stall.partitions}
        try:
            await consumer.seek_wait(targets)
        except Exception as exc:  # a rebalance moved them: the next recovery seeks anyway
            log.warning("could not seek the stalled changelog partitions back: %r", exc)
    elif stall.action == "restart":
        recovery.signal_recovery_start.set()
    else:
        await app.crash(RuntimeError(f"table recovery stalled on {stall.partitions}"))
