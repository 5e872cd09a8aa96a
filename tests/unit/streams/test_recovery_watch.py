"""The recovery watch's decisions: a stalled partition is read again, then the recovery
restarted, then the worker stopped, one step per stall period without progress."""

from __future__ import annotations

from streams.recovery_watch import RecoveryWatch

STALL = 60.0


def look(watch: RecoveryWatch, now: float, **state: object):
    given = {
        "recovering": True,
        "rebalancing": True,
        "started_at": 0.0,
        "remaining": {"tracks-0": 10},
        "received_at": {},
    } | state
    return watch.look(now, **given)  # type: ignore[arg-type]


def test_a_recovery_receiving_records_is_left_alone():
    watch = RecoveryWatch(STALL)
    for now in range(0, 600, 5):
        assert look(watch, now, received_at={"tracks-0": now - 1.0}) is None
    assert watch.stalled_s == 0.0


def test_a_partition_silent_for_the_stall_period_is_read_again_then_restarted_then_stopped():
    watch = RecoveryWatch(STALL)
    assert look(watch, 55.0) is None
    first = look(watch, 60.0)
    assert first is not None and first.action == "reread" and first.partitions == ["tracks-0"]
    assert watch.stalled_s == 60.0
    assert look(watch, 65.0) is None  # the step gets a stall period to work
    second = look(watch, 120.0)
    assert second is not None and second.action == "restart"
    third = look(watch, 180.0)
    assert third is not None and third.action == "stop"
    assert look(watch, 240.0).action == "stop"  # type: ignore[union-attr]


def test_only_partitions_with_records_left_can_stall():
    watch = RecoveryWatch(STALL)
    remaining = {"tracks-0": 0, "sea-1": 5}
    stall = look(watch, 100.0, remaining=remaining, received_at={"sea-1": 90.0})
    assert stall is None
    stall = look(watch, 150.0, remaining=remaining, received_at={"sea-1": 90.0})
    assert stall is not None and stall.partitions == ["sea-1"]


def test_progress_after_a_step_starts_the_ladder_again():
    watch = RecoveryWatch(STALL)
    assert look(watch, 60.0).action == "reread"  # type: ignore[union-attr]
    assert look(watch, 70.0, received_at={"tracks-0": 68.0}) is None  # records flow again
    # ... and stop again, later: the first step again, not the next one.
    assert look(watch, 130.0, received_at={"tracks-0": 68.0}).action == "reread"  # type: ignore[union-attr]


def test_a_finished_recovery_clears_the_stall():
    watch = RecoveryWatch(STALL)
    assert look(watch, 60.0) is not None
    assert look(watch, 65.0, recovering=False, rebalancing=False) is None
    assert watch.stalled_s == 0.0 and watch.steps == 0


def test_rebalancing_without_a_recovery_for_three_periods_restarts_then_stops():
    watch = RecoveryWatch(STALL)
    state = {"recovering": False, "rebalancing": True}
    assert look(watch, 0.0, **state) is None
    assert look(watch, 179.0, **state) is None
    restart = look(watch, 180.0, **state)
    assert restart is not None and restart.action == "restart" and restart.partitions == []
    assert look(watch, 240.0, **state).action == "stop"  # type: ignore[union-attr]
