"""ADR 44, launches: a launching item's level from the line through its recent sales, and the
replay that recomputes its policy day by day. Small arrays, checked by hand."""

import numpy as np

from inventory.policy.launch import (
    LAUNCH_DAYS,
    MIN_QUIET_DAYS,
    in_launch_phase,
    launch_adjusted_mean,
    launch_level,
)
from inventory.policy.simulation import rolling_forecast_estimates
from inventory.policy.spread import pooled_error_spread


def _sums(y):
    y = np.asarray(y, float)
    x = np.arange(y.size)
    return y.size, y.sum(), (x * y).sum(), (y * y).sum()


def test_a_clean_ramp_is_extrapolated_to_the_middle_of_the_protection_period():
    # y = 2x over 14 days: exact line (t = ∞, no shrinkage); 4 days after the last day
    # (x = 13) the level is 2·17 = 34.
    assert launch_level(*_sums(2.0 * np.arange(14)), 4.0) == 34.0


def test_a_flat_or_falling_launch_keeps_its_mean():
    flat = np.tile([5.0, 7.0], 7)  # slope 2/91 lost in the noise: shrunk to almost nothing
    assert abs(launch_level(*_sums(flat), 4.0) - 6.0) < 0.1
    falling = 20.0 - np.arange(14)  # no negative growth: the mean
    assert launch_level(*_sums(falling), 4.0) == falling.mean()
    # Two days: too few for a slope; no day: no level.
    assert launch_level(*_sums([1.0, 9.0]), 4.0) == 5.0
    assert np.isnan(launch_level(0, 0.0, 0.0, 0.0, 4.0))


def test_a_noisy_slope_is_shrunk_by_its_t_statistic():
    rng = np.random.default_rng(3)
    y = 10.0 + 0.3 * np.arange(14) + rng.normal(0.0, 4.0, 14)
    n, total, weighted, squares = _sums(y)
    mean_x = 6.5
    slope = (weighted - mean_x * total) / (n * (n * n - 1) / 12)
    level = launch_level(n, total, weighted, squares, 4.0)
    assert y.mean() < level < y.mean() + max(slope, 0.0) * (mean_x + 4.0)


def test_launch_phase_needs_a_quiet_stretch_and_a_young_first_sale():
    age = np.array([10.0, 10.0, LAUNCH_DAYS, 0.0, np.nan])
    quiet = np.array([MIN_QUIET_DAYS, MIN_QUIET_DAYS - 1, 400.0, 400.0, 400.0])
    np.testing.assert_array_equal(in_launch_phase(age, quiet), [True, False, False, False, False])
    # The larger of the forecast and the line while launching, the forecast otherwise.
    mean = launch_adjusted_mean([2.0, 9.0, 2.0], [5.0, 5.0, np.nan], [True, True, True])
    np.testing.assert_allclose(mean, [5.0, 9.0, 2.0])
    np.testing.assert_allclose(launch_adjusted_mean([2.0], [5.0], [False]), [2.0])


def test_the_prior_counts_the_days_behind_its_scale():
    # Pool: item 0 (κ = 4/1 = 4). Item 1, no errors, a scale from 30 days: the prior alone,
    # worth n₀ = 2 in the mix but with its 30 days' degrees of freedom; item 2's scale rests
    # on 1 day: never fewer than n + n₀.
    spread, freedom = pooled_error_spread(
        [2.0, 0.0, 0.0], [10.0, 0.0, 0.0], [1.0, 1.0, 1.0], scale_observations=[60.0, 30.0, 1.0]
    )
    np.testing.assert_allclose(spread[1:], [2.0, 2.0])
    np.testing.assert_allclose(freedom[1:], [30.0, 2.0])
    # Item 0: a = 10·4/12, b = 2·4/12 (own and prior terms), ν = (a + b)² / (a²/10 + b²/60).
    a, b = 40 / 12, 8 / 12
    assert abs(freedom[0] - (a + b) ** 2 / (a * a / 10 + b * b / 60)) < 1e-9
    unchanged = pooled_error_spread([2.0, 0.0], [10.0, 0.0], [1.0, 1.0])[1]
    np.testing.assert_allclose(unchanged, [12.0, 2.0])


def test_the_replay_follows_a_ramping_launch_day_by_day():
    # Item 0 sells 10 a day throughout; item 1 is launched on day 300 and ramps up by one
    # unit a day. SES re-fitted weekly lags the ramp; the launch line does not.
    days, start = 420, 330
    history = np.zeros((2, days))
    history[0] = 10.0
    history[1, 300:] = np.arange(1, days - 300 + 1, dtype=float)
    estimates = rolling_forecast_estimates(history, start, days - start, protection_days=[7, 7])
    assert estimates.launching is not None and estimates.launch_spread is not None
    age = start + np.arange(days - start) - 300
    np.testing.assert_array_equal(estimates.launching[1], age < LAUNCH_DAYS)
    assert not estimates.launching[0].any()
    # On day 335 (35 days old, 35 sold yesterday) the next 7 days sell 36 … 42: 273 units.
    assert 260 <= estimates.protection_demand[1, 5] <= 290
    # The mature item keeps its forecast.
    np.testing.assert_allclose(estimates.protection_demand[0], 70.0, rtol=1e-6)
