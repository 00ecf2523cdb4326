"""Each forecasting method on series whose right answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.engine import baselines, intermittent, smoothing, theta
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import (
    FAST_METHODS,
    GLOBAL_METHODS,
    METHODS,
    OPTIONAL_METHODS,
    forecast,
    method_named,
)

WEEK = np.array([10.0, 12.0, 15.0, 11.0, 20.0, 30.0, 25.0])
DAILY = ForecastSpec(horizon=14, season_length=7)


def weekly_series(weeks: int = 20, level: float = 0.0) -> np.ndarray:
    return np.tile(WEEK, weeks)[None, :] + level


@pytest.mark.parametrize("method", [m for m in FAST_METHODS if m != "sba"])
def test_constant_demand_is_forecast_exactly(method):
    history = np.full((2, 120), 40.0)
    history[1] = 7.0
    result = forecast(history, method, DAILY)
    np.testing.assert_allclose(result.point[0], 40.0, atol=1e-9)
    np.testing.assert_allclose(result.point[1], 7.0, atol=1e-9)
    assert result.point.shape == (2, 14)
    assert result.quantiles.shape == (2, len(DAILY.levels), 14)


def test_sba_on_constant_demand_is_croston_shrunk_by_half_alpha():
    history = np.full((1, 60), 5.0)
    result = intermittent.sba(history, DAILY, alphas=(0.2,))[0]
    np.testing.assert_allclose(result.point, 5.0 * 0.9)


@pytest.mark.parametrize("method", FAST_METHODS)
def test_no_sales_means_no_forecast(method):
    result = forecast(np.zeros((3, 60)), method, DAILY)
    assert np.all(result.point == 0)
    assert np.all(result.quantiles == 0)


@pytest.mark.parametrize(
    "method", ["seasonal_naive", "holt_winters_additive", "holt_winters_multiplicative"]
)
def test_pure_weekly_pattern_is_recovered(method):
    history = weekly_series()
    result = forecast(history, method, DAILY)
    expected = np.tile(WEEK, 2)  # the history ends on a whole week
    np.testing.assert_allclose(result.point[0], expected, atol=1e-6)


def test_theta_recovers_a_seasonal_pattern_without_trend():
    history = weekly_series(30, level=100.0)
    result = forecast(history, "theta", DAILY)
    np.testing.assert_allclose(result.point[0], np.tile(WEEK, 2) + 100.0, rtol=1e-3)


def test_naive_and_moving_average_by_hand():
    history = np.array([[3.0, 5.0, 4.0, 8.0, 6.0]])
    spec = ForecastSpec(horizon=3, season_length=1)
    np.testing.assert_allclose(forecast(history, "naive", spec).point, [[6.0, 6.0, 6.0]])
    averaged = baselines.moving_average(history, spec, window=2)[0]
    np.testing.assert_allclose(averaged.point, [[7.0, 7.0, 7.0]])
    # Naive errors 2, −1, 4, −2: σ² = 25/4, growing with the horizon like a random walk.
    spread = forecast(history, "naive", ForecastSpec(horizon=3, season_length=1, levels=(0.5,)))
    assert spread.quantiles.shape == (1, 1, 3)


def test_seasonal_naive_repeats_last_season_and_falls_back_to_naive_when_short():
    history = np.arange(1.0, 15.0)[None, :]
    result = forecast(history, "seasonal_naive", ForecastSpec(horizon=9, season_length=7))
    np.testing.assert_allclose(result.point[0], [8, 9, 10, 11, 12, 13, 14, 8, 9])
    short = forecast(history[:, :5], "seasonal_naive", ForecastSpec(horizon=2, season_length=7))
    np.testing.assert_allclose(short.point[0], [5, 5])


def test_holt_follows_a_linear_trend_and_damped_flattens_it():
    time = np.arange(300.0)
    history = (50.0 + 2.0 * time)[None, :]
    spec = ForecastSpec(horizon=10, season_length=1)
    trend = forecast(history, "holt", spec).point[0]
    np.testing.assert_allclose(trend, 50.0 + 2.0 * np.arange(300.0, 310.0), rtol=0.01)
    damped = forecast(history, "damped", spec).point[0]
    assert np.all(np.diff(damped) > 0)
    assert damped[-1] <= trend[-1] + 1e-9
    flat = forecast(history, "ses", spec).point[0]
    assert np.ptp(flat) == 0


def test_theta_extrapolates_half_the_trend_of_a_line():
    # Theta on a straight line: SES catches the line, the drift adds half its slope per step
    # (Hyndman & Billah 2003), so the forecast keeps rising but more slowly than the line.
    history = (10.0 + 1.0 * np.arange(100.0))[None, :]
    result = theta.theta(history, ForecastSpec(horizon=5, season_length=1))[0]
    steps = np.diff(result.point[0])
    np.testing.assert_allclose(steps, 0.5, atol=1e-9)
    assert result.params["slope"][0] == pytest.approx(1.0)


def intermittent_demand(periods: int = 400, seed: int = 1) -> np.ndarray:
    """Demand of 4 units in a quarter of the periods: rate 1 unit per period."""
    rng = np.random.default_rng(seed)
    return (4.0 * (rng.random((50, periods)) < 0.25)).astype(float)


def test_croston_sba_and_tsb_estimate_the_demand_rate():
    history = intermittent_demand()
    spec = ForecastSpec(horizon=6, season_length=12)
    croston = intermittent.croston(history, spec, alphas=(0.05,))[0].point.mean()
    sba = intermittent.sba(history, spec, alphas=(0.05,))[0].point.mean()
    tsb = intermittent.tsb(history, spec, alphas=(0.05,), betas=(0.05,))[0].point.mean()
    assert croston == pytest.approx(1.0, rel=0.15)
    assert sba == pytest.approx(1.0, rel=0.15)
    assert tsb == pytest.approx(1.0, rel=0.15)
    assert sba == pytest.approx(croston * (1 - 0.05 / 2))


def test_sba_is_croston_times_one_minus_half_alpha():
    history = intermittent_demand(120, seed=3)
    spec = ForecastSpec(horizon=4, season_length=12)
    for alpha in (0.1, 0.3):
        croston = intermittent.croston(history, spec, alphas=(alpha,))[0]
        sba = intermittent.sba(history, spec, alphas=(alpha,))[0]
        np.testing.assert_allclose(sba.point, croston.point * (1 - alpha / 2))


def test_tsb_decays_after_the_last_sale_but_croston_does_not():
    history = np.zeros((1, 80))
    history[0, [5, 10, 15, 20]] = 6.0  # a part that stopped selling 60 periods ago
    spec = ForecastSpec(horizon=3, season_length=12)
    croston = intermittent.croston(history, spec, alphas=(0.1,))[0].point[0, 0]
    tsb = intermittent.tsb(history, spec, alphas=(0.1,), betas=(0.1,))[0].point[0, 0]
    # Intervals 6 (from the start), then 5, 5, 5: p = 5 + 1 × 0.9³, z = 6 throughout.
    assert croston == pytest.approx(6.0 / (5.0 + 0.9**3))
    assert tsb < 0.01 * croston


def test_single_spike_gives_a_positive_rate_and_a_zero_median():
    history = np.zeros((1, 48))
    history[0, 20] = 9.0
    spec = ForecastSpec(horizon=6, season_length=12)
    for method in ("croston", "sba", "adida", "imapa"):
        result = forecast(history, method, spec)
        assert result.point[0, 0] > 0
        # Most months still sell nothing: the median rounds to zero, and the 90% interval
        # starts at zero and ends at the 90% quantile (all the miss in the upper tail).
        assert round(result.quantile(0.5)[0, 0]) == 0
        lower, upper = result.interval(0.9)
        assert lower[0, 0] == 0 and upper[0, 0] == result.quantile(0.9)[0, 0]
        # From the count distribution, not a normal band around the mean: the median of a
        # skewed count lies below its mean (a normal one would equal it).
        assert result.quantile(0.5)[0, 0] < 0.5 * result.point[0, 0]


def test_adida_forecasts_bucket_totals_spread_evenly():
    history = np.tile([0.0, 0.0, 6.0], 20)[None, :]  # 6 units every third period
    spec = ForecastSpec(horizon=3, season_length=12)
    result = intermittent.adida(history, spec)[0]
    assert result.params["aggregation"][0] == 3
    np.testing.assert_allclose(result.point, 2.0)
    fixed = intermittent.adida(history, spec, aggregation=6)[0]
    np.testing.assert_allclose(fixed.point, 2.0)


def test_imapa_averages_aggregation_levels():
    history = np.tile([0.0, 6.0], 30)[None, :]
    result = intermittent.imapa(history, ForecastSpec(horizon=2, season_length=12), None, 2)[0]
    # k = 1: SES on 0, 6, 0, 6 … settles near the mean of 3; k = 2: bucket totals of 6 → 3.
    assert result.point[0, 0] == pytest.approx(3.0, rel=0.35)
    assert result.params["max_aggregation"][0] == 2


def test_multiplicative_season_scales_with_the_level_and_falls_back_on_zeros():
    history = np.vstack([np.tile(WEEK, 20) * 3.0, np.tile(WEEK, 20)])
    history[1, 3] = 0.0  # one day without sales: no multiplicative season for this series
    results = smoothing.holt_winters_multiplicative(history, DAILY)
    np.testing.assert_allclose(results[0].point[0], np.tile(WEEK, 2) * 3.0, rtol=1e-6)
    assert np.all(np.isfinite(results[0].point[1]))
    additive = smoothing.holt_winters_additive(history[1:], DAILY)[0]
    np.testing.assert_allclose(results[0].point[1], additive.point[0])
    only_zeros = smoothing.holt_winters_multiplicative(history[1:], DAILY)[0]
    np.testing.assert_allclose(only_zeros.point, additive.point)


def test_seasonal_methods_need_two_seasons():
    history = np.tile(WEEK, 1)[None, :] + 10.0
    result = forecast(history, "holt_winters_additive", ForecastSpec(horizon=3, season_length=7))
    assert np.ptp(result.point) < np.ptp(WEEK) / 20  # no season invented from one week


def test_grid_choice_is_reported_per_series():
    rng = np.random.default_rng(5)
    noisy = 100.0 + rng.normal(0, 10, 400)
    walk = 100.0 + np.cumsum(rng.normal(0, 10, 400))
    result = forecast(np.vstack([noisy, walk]), "ses", ForecastSpec(horizon=3, season_length=1))
    # White noise wants little smoothing weight on the latest period; a random walk wants much.
    assert result.params["alpha"][0] <= 0.1
    assert result.params["alpha"][1] >= 0.7


def test_registry_knows_every_method_and_rejects_unknown_names():
    assert set(FAST_METHODS) | set(GLOBAL_METHODS) | set(OPTIONAL_METHODS) == set(METHODS)
    assert not set(FAST_METHODS) & set(GLOBAL_METHODS)
    assert not (set(FAST_METHODS) | set(GLOBAL_METHODS)) & set(OPTIONAL_METHODS)
    with pytest.raises(ValueError, match="unknown forecasting method"):
        method_named("crystal_ball")


def test_auto_ets_slow_tier_picks_a_seasonal_model_for_a_weekly_pattern():
    from forecasting.engine.auto import auto_ets

    rng = np.random.default_rng(2)
    history = (np.tile(WEEK * 4, 8) + rng.normal(0, 1.0, 56))[None, :]
    result = auto_ets(history, ForecastSpec(horizon=7, season_length=7))[0]
    assert result.params["model"][0].endswith(",A)")
    np.testing.assert_allclose(result.point[0], WEEK * 4, atol=4.0)
    assert np.all(np.diff(result.quantiles, axis=1) >= 0)
    short = auto_ets(history[:, :10], ForecastSpec(horizon=2, season_length=7))[0]
    assert short.params["model"][0].endswith(",N)")  # too short for a season
