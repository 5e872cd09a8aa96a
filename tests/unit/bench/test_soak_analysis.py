"""The soak's analysis on synthetic curves: levelling, leaking, stepping, falling behind."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import pytest

from bench.soak_analysis import Rebalance, Sample, analyse, rebalances, warmup_end

RATE = 200.0


def curve(
    rss: Callable[[float], float],
    minutes: float = 5.0,
    every: float = 5.0,
    lag: Callable[[float], int] = lambda t: 0,
) -> list[Sample]:
    """Samples every `every` s from t=0 (before any traffic) to the end, at RATE positions/s."""
    out = []
    for k in range(int(minutes * 60 / every) + 1):
        t = k * every
        published = int(t * RATE)
        out.append(Sample(t, rss(t), max(0, published - lag(t)), published))
    return out


def levelling(t: float) -> float:
    """85 MB at Ready, climbing to ~100 MB as the fleet joins, flat by two minutes in."""
    return 85.0 + 15.0 * (1 - math.exp(-t / 30.0))


def test_a_levelling_curve_levels_off():
    a = analyse(curve(levelling), RATE, warmup_s=60.0)
    assert a.levels_off
    assert a.kept_up and a.steady and a.warmed_up and a.conclusive
    assert abs(a.slope_last_half_mb_per_min) < 0.1
    assert a.rss_ready_mb == 85.0
    assert a.rss_start_mb == pytest.approx(levelling(60.0))
    assert a.rss_end_mb == pytest.approx(levelling(300.0))
    assert a.rss_max_mb == pytest.approx(levelling(300.0))
    assert a.last_half_from_s == 150.0
    assert 0 <= a.growth_last_half < 0.01


def test_a_steady_leak_does_not_level_off_and_its_slope_is_measured():
    leak = 2.0  # MB per minute, on top of the levelling curve
    a = analyse(curve(lambda t: levelling(t) + leak * t / 60), RATE, warmup_s=60.0)
    assert not a.levels_off
    assert a.slope_last_half_mb_per_min == pytest.approx(leak, abs=0.1)


def test_a_slow_leak_under_the_slope_limit_still_fails_on_growth_over_a_long_run():
    # 0.9 MB/min is under the 1 MB/min limit, but over 30 minutes' last half the RSS grows
    # 13.5 MB on ~100 MB: more than 5 %.
    a = analyse(
        curve(lambda t: levelling(t) + 0.9 * t / 60, minutes=30, every=10), RATE, warmup_s=60
    )
    assert a.slope_last_half_mb_per_min == pytest.approx(0.9, abs=0.05)
    assert a.growth_last_half > 0.05
    assert not a.levels_off


def test_a_step_late_in_the_run_is_caught_by_the_growth_limit():
    # Flat, then 10 MB more for the last 30 s: the fitted slope is ~4 MB/min and the growth 10 %.
    a = analyse(curve(lambda t: 100.0 + (10.0 if t >= 270 else 0.0)), RATE, warmup_s=30.0)
    assert a.growth_last_half == pytest.approx(0.10)
    assert not a.levels_off


def test_noise_and_a_fall_do_not_count_as_a_leak():
    wobble = analyse(curve(lambda t: 100.0 + (0.4 if int(t / 5) % 2 else -0.4)), RATE, 30.0)
    assert wobble.levels_off
    falling = analyse(curve(lambda t: 110.0 - t / 30), RATE, 30.0)
    assert falling.slope_last_half_mb_per_min == pytest.approx(-2.0)
    assert falling.levels_off


def test_a_worker_within_a_second_of_the_traffic_kept_up():
    a = analyse(curve(levelling, lag=lambda t: 150 if t else 0), RATE, warmup_s=60.0)
    assert a.kept_up and a.steady
    assert a.lag_end == 150
    assert a.lag_end_s == pytest.approx(0.75)
    assert a.published_per_s == pytest.approx(RATE)
    assert a.processed_per_s_last_half == pytest.approx(RATE)


def test_a_worker_falling_further_behind_did_not_keep_up():
    # It does 180 of the 200 positions a second: 20 s of traffic behind after 5 minutes.
    a = analyse(curve(levelling, lag=lambda t: int(20 * t)), RATE, warmup_s=60.0)
    assert not a.kept_up
    assert not a.steady
    assert not a.conclusive
    assert a.lag_end == 6000
    assert a.lag_end_s == pytest.approx(30.0)
    assert a.lag_max == 6000
    assert a.processed_per_s_last_half == pytest.approx(180.0)


def test_a_backlog_worked_off_before_the_end_still_kept_up():
    a = analyse(curve(levelling, lag=lambda t: 3000 if 60 <= t < 120 else 0), RATE, 30.0)
    assert a.kept_up
    assert not a.steady  # 15 s behind for a minute: the RSS held a backlog then
    assert a.lag_max == 3000
    assert a.lag_end == 0


def test_a_warmup_past_half_time_moves_the_last_half_later():
    a = analyse(curve(levelling), RATE, warmup_s=200.0)
    assert a.last_half_from_s == 200.0
    assert a.rss_start_mb == pytest.approx(levelling(200.0))


def test_a_run_too_short_for_a_last_half_uses_the_last_three_samples():
    samples = curve(levelling, minutes=0.25)  # 0, 5, 10, 15 s
    a = analyse(samples, RATE, warmup_s=14.0)
    assert a.last_half_from_s == 5.0
    assert not a.warmed_up
    assert not a.conclusive


def test_too_few_samples_are_refused():
    with pytest.raises(ValueError):
        analyse(curve(levelling, minutes=5 / 60), RATE, 0.0)


def test_warmup_ends_when_the_worker_has_done_every_vessels_first_position():
    samples = curve(levelling)  # the worker does 200 positions a second, no lag
    assert warmup_end(samples, fleet_complete_at=14_549, min_s=30.0) == 75.0
    assert warmup_end(samples, fleet_complete_at=1_000, min_s=30.0) == 30.0  # not before min
    assert warmup_end(samples, fleet_complete_at=None, min_s=30.0) == 300.0  # never complete
    assert warmup_end(samples, fleet_complete_at=10**9, min_s=30.0) == 300.0  # never reached


LOG = """\
[2026-11-27 21:45:53,006] [18289] [INFO] Revoking previously assigned partitions set() for group g
[2026-11-27 21:45:54,335] [18289] [INFO] [^---Recovery]: Worker ready
[2026-11-27 21:45:56,000] [18289] [INFO] [^Worker]: Ready
+Topic Partition Set---------------+------------+
[2026-11-27 21:50:54,196] [18289] [INFO] Revoking previously assigned partitions
[2026-11-27 21:50:54,243] [18289] [INFO] [^---Recovery]: Restoring state from changelog topics...
[2026-11-27 21:51:22,473] [18289] [INFO] [^---Recovery]: Worker ready
[2026-11-27 21:51:40,000] [18289] [INFO] Revoking previously assigned partitions
"""


def test_rebalances_after_publishing_began_are_read_from_the_worker_log():
    t0 = datetime.strptime("2026-11-27 21:45:56,000", "%Y-%m-%d %H:%M:%S,%f").timestamp()
    found = rebalances(LOG, t0)
    assert [(r.at_s, r.ready_s, r.restored) for r in found] == [
        (pytest.approx(298.196), pytest.approx(326.473), True),
        (pytest.approx(344.0), None, False),  # still going at the end of the log
    ]
    assert all(isinstance(r, Rebalance) for r in found)
    assert rebalances(LOG, t0 + 3600) == []
