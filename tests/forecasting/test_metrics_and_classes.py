"""Accuracy measures against hand-computed values; demand classification at its thresholds;
the quantile machinery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forecasting.engine import metrics
from forecasting.engine.classification import classify
from forecasting.engine.forecast import (
    Forecast,
    ForecastSpec,
    as_history,
    check_origins,
    demand_quantiles,
    is_count_like,
    prediction_interval,
)

ACTUAL = np.array([[10.0, 0.0, 5.0, 5.0]])
FORECAST = np.array([[8.0, 1.0, 5.0, 8.0]])  # errors −2, +1, 0, +3


def test_point_metrics_by_hand():
    assert metrics.mae(ACTUAL, FORECAST)[0] == pytest.approx(6 / 4)
    assert metrics.rmse(ACTUAL, FORECAST)[0] == pytest.approx(math.sqrt(14 / 4))
    assert metrics.wape(ACTUAL, FORECAST)[0] == pytest.approx(6 / 20)
    assert metrics.bias(ACTUAL, FORECAST)[0] == pytest.approx(2 / 4)
    assert metrics.total_wape(ACTUAL, FORECAST) == pytest.approx(6 / 20)
    assert metrics.total_bias(ACTUAL, FORECAST) == pytest.approx(2 / 20)


def test_scaled_metrics_by_hand():
    history = np.array([[1.0, 3.0, 2.0, 6.0]])  # changes 2, −1, 4
    assert metrics.mase(ACTUAL, FORECAST, history)[0] == pytest.approx((6 / 4) / (7 / 3))
    assert metrics.rmsse(ACTUAL, FORECAST, history)[0] == pytest.approx(
        math.sqrt((14 / 4) / (21 / 3))
    )
    # Seasonal scale with lag 2: |2 − 1|, |6 − 3| → mean 2.
    assert metrics.mase(ACTUAL, FORECAST, history, season_length=2)[0] == pytest.approx(1.5 / 2)


def test_undefined_measures_are_nan_not_zero():
    flat = np.full((1, 5), 3.0)
    zeros = np.zeros((1, 4))
    assert np.isnan(metrics.mase(ACTUAL, FORECAST, flat)[0])
    assert np.isnan(metrics.rmsse(ACTUAL, FORECAST, flat)[0])
    assert np.isnan(metrics.wape(zeros, FORECAST)[0])
    assert np.isnan(metrics.rmsse(ACTUAL, FORECAST, flat[:, :1])[0])
    assert math.isnan(metrics.total_wape(zeros, FORECAST))
    assert math.isnan(metrics.total_bias(zeros, FORECAST))


def test_pinball_and_coverage_by_hand():
    actual = np.array([[10.0, 20.0]])
    quantiles = np.array([[[12.0, 12.0], [15.0, 15.0]]])  # p10 = 12, p90 = 15
    loss = metrics.pinball(actual, quantiles, (0.1, 0.9))
    # p10: y=10 below by 2 → 0.9 × 2 = 1.8; y=20 above by 8 → 0.1 × 8 = 0.8; mean 1.3.
    # p90: y=10 below by 5 → 0.1 × 5 = 0.5; y=20 above by 5 → 0.9 × 5 = 4.5; mean 2.5.
    np.testing.assert_allclose(loss, [[1.3, 2.5]])
    inside = metrics.coverage(np.array([[1.0, 5.0, 9.0, 5.0]]), np.full((1, 4), 2.0), 8.0)
    assert inside[0] == pytest.approx(0.5)


def series_with(sizes: list[float], gap: int) -> np.ndarray:
    """Demand ``sizes`` one every ``gap`` periods, starting with a sale."""
    values = np.zeros(len(sizes) * gap)
    values[::gap] = sizes
    return values


def test_syntetos_boylan_quadrants():
    steady, variable = [10.0, 11.0] * 20, [2.0, 30.0] * 20  # CV² ≈ 0.002 and ≈ 0.76
    history = np.vstack(
        [
            series_with(steady, 1),
            series_with(variable, 1),
            series_with(steady[:20], 2),
            series_with(variable[:20], 2),
            np.zeros(40),
        ]
    )
    result = classify(history)
    assert list(result.pattern) == ["smooth", "erratic", "intermittent", "lumpy", "no_demand"]
    np.testing.assert_allclose(result.adi[:4], [1.0, 1.0, 2.0, 2.0])
    assert result.cv2[1] == pytest.approx(14**2 / 16**2)
    assert list(result.xyz) == ["X", "Y", "Z", "Z", "Z"]  # CV 0.05, 0.88, 1.0, 1.6, none


def test_thresholds_are_at_1_32_and_0_49():
    # ADI exactly 1.32 counts as intermittent: 25 sales in 33 periods.
    values = np.ones(33)
    values[[2, 6, 10, 14, 18, 22, 26, 30]] = 0.0
    exactly = classify(values[None, :])
    assert exactly.adi[0] == pytest.approx(1.32)
    assert exactly.pattern[0] == "intermittent"
    assert classify(values[None, :], adi_cutoff=1.33).pattern[0] == "smooth"
    # CV² exactly 0.49: sizes 0.3 and 1.7 (mean 1, variance 0.49).
    sizes = np.tile([0.3, 1.7], 30)[None, :]
    assert classify(sizes).cv2[0] == pytest.approx(0.49)
    assert classify(sizes).pattern[0] == "erratic"
    assert classify(sizes, cv2_cutoff=0.5).pattern[0] == "smooth"


def test_history_counts_from_the_first_sale_and_flags_new_items():
    launched = np.zeros(200)
    launched[180:] = 5.0
    result = classify(np.vstack([launched, np.full(200, 5.0)]), new_item_periods=56)
    assert list(result.active_periods) == [20, 200]
    assert list(result.new_item) == [True, False]
    assert list(result.pattern) == ["smooth", "smooth"]  # not intermittent for its past zeros
    assert result.xyz[0] == "X"


def test_normal_quantiles_for_large_continuous_demand():
    mean = np.full((1, 2), 100.0)
    variance = np.array([[25.0, 100.0]])
    levels = (0.1, 0.5, 0.9)
    quantiles = demand_quantiles(mean, variance, levels, np.array([False]))
    z = stats.norm.ppf(0.9)
    np.testing.assert_allclose(quantiles[0, :, 0], [100 - 5 * z, 100, 100 + 5 * z])
    np.testing.assert_allclose(quantiles[0, :, 1], [100 - 10 * z, 100, 100 + 10 * z])


def _smoothed_ppf(distribution, levels):
    """Quantile of X + U − ½ (U uniform on [0, 1)), cut at zero, from SciPy's pmf and cdf."""
    k = distribution.ppf(levels)
    below = distribution.cdf(k - 1)
    return np.maximum(k - 0.5 + (np.asarray(levels) - below) / distribution.pmf(k), 0.0)


def test_count_quantiles_negative_binomial_and_poisson():
    levels = (0.1, 0.5, 0.9)
    mean = np.array([[2.0], [2.0], [0.0]])
    variance = np.array([[6.0], [1.0], [0.0]])
    quantiles = demand_quantiles(mean, variance, levels, np.array([True, True, True]))
    nb = stats.nbinom(n=2.0**2 / (6.0 - 2.0), p=2.0 / 6.0)
    np.testing.assert_allclose(quantiles[0, :, 0], _smoothed_ppf(nb, levels))
    np.testing.assert_allclose(quantiles[1, :, 0], _smoothed_ppf(stats.poisson(2.0), levels))
    np.testing.assert_allclose(quantiles[2], 0.0)
    # Rounded, each is the whole-unit quantile (smallest k with P(X ≤ k) ≥ level).
    np.testing.assert_array_equal(np.round(quantiles[0, :, 0]), nb.ppf(levels))
    np.testing.assert_array_equal(np.round(quantiles[1, :, 0]), stats.poisson(2.0).ppf(levels))


def test_count_quantiles_are_exceeded_as_often_as_their_level_says():
    # Whole-unit quantiles are at or above the actual at least `level` of the time (95% → 97%
    # for a Poisson of mean 0.7); the smoothed ones are, on average over many items, about
    # `level` of the time: their rounding up or down follows where the level falls in the jump.
    # (Not at low levels: a quantile cut at zero still covers every zero.)
    rng = np.random.default_rng(7)
    means = rng.uniform(0.05, 4.0, 20_000)
    actual = rng.poisson(means)
    levels = (0.8, 0.9, 0.95)
    quantiles = demand_quantiles(
        means[:, None], means[:, None], levels, np.ones(means.size, dtype=bool)
    )[:, :, 0]
    for index, level in enumerate(levels):
        whole = stats.poisson(means).ppf(level)
        assert np.mean(actual <= whole) > level + 0.02
        assert np.mean(actual <= quantiles[:, index]) == pytest.approx(level, abs=0.015)


def test_normal_quantiles_never_go_below_zero():
    quantiles = demand_quantiles(
        np.array([[1.0]]), np.array([[100.0]]), (0.05, 0.5), np.array([False])
    )
    assert quantiles[0, 0, 0] == 0.0


def test_count_like_means_whole_units_that_are_sparse_or_small():
    history = np.array(
        [[0, 3, 0, 0, 2, 0], [40, 50, 45, 60, 52, 48], [4, 5, 3, 6, 2, 5], [0.5, 0, 0, 1.5, 0, 0]]
    )
    assert list(is_count_like(history)) == [True, False, True, False]


def test_spec_history_and_origin_validation():
    with pytest.raises(ValueError, match="horizon"):
        ForecastSpec(horizon=0)
    with pytest.raises(ValueError, match="season_length"):
        ForecastSpec(horizon=1, season_length=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ForecastSpec(horizon=1, levels=(0.0, 0.5))
    with pytest.raises(ValueError, match="ascending"):
        ForecastSpec(horizon=1, levels=(0.9, 0.1))
    with pytest.raises(ValueError, match="finite"):
        as_history(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="2-D"):
        as_history(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="at least one period"):
        as_history(np.zeros((2, 0)))
    assert as_history([1.0, 2.0]).shape == (1, 2)
    assert check_origins(10, None) == (10,)
    with pytest.raises(ValueError, match="origins"):
        check_origins(10, (0,))
    with pytest.raises(ValueError, match="origins"):
        check_origins(10, (11,))


def test_forecast_quantile_lookup():
    forecast = Forecast("x", np.zeros((1, 2)), np.arange(6.0).reshape(1, 3, 2), (0.1, 0.5, 0.9))
    np.testing.assert_array_equal(forecast.quantile(0.5), [[2.0, 3.0]])
    with pytest.raises(KeyError):
        forecast.quantile(0.25)


def test_the_90_percent_interval_puts_the_whole_miss_above_when_nothing_lies_below():
    levels = (0.05, 0.1, 0.5, 0.9, 0.95)
    # Item 0 sells about 50 a day: equal tails. Item 1 sells nothing on most days: p05 is zero,
    # so [0, p95] would hold 95%; the interval is [0, p90].
    quantiles = np.array(
        [[[40.0], [42.0], [50.0], [58.0], [60.0]], [[0.0], [0.0], [0.2], [1.4], [2.1]]]
    )
    lower, upper = prediction_interval(quantiles, levels, 0.9)
    np.testing.assert_allclose(lower[:, 0], [40.0, 0.0])
    np.testing.assert_allclose(upper[:, 0], [60.0, 1.4])
    # Half a unit or more is not the floor; below it is (it rounds to zero).
    quantiles[1, 0, 0] = 0.4
    lower, upper = prediction_interval(quantiles, levels, 0.9)
    assert (lower[1, 0], upper[1, 0]) == (0.0, 1.4)
    quantiles[1, 0, 0] = 0.6
    lower, upper = prediction_interval(quantiles, levels, 0.9)
    assert (lower[1, 0], upper[1, 0]) == (0.6, 2.1)
    # An 80% interval is [p10, p90] (its shifted level, p80, is not forecast); a 90% one
    # needs p05 and p95.
    lower, upper = prediction_interval(quantiles, levels, 0.8)
    np.testing.assert_allclose(lower[:, 0], [42.0, 0.0])
    np.testing.assert_allclose(upper[:, 0], [58.0, 1.4])
    with pytest.raises(KeyError):
        prediction_interval(quantiles[:, 1:4], levels[1:4], 0.9)


def test_the_interval_covers_about_its_level_on_zero_heavy_counts():
    # Poisson items with a mean of 0.02–0.6 a period (zero 55–98% of the time): [p05, p95]
    # holds at least 95% of the actuals whatever is done, the interval about 90% (92% here:
    # the half-unit smoothing puts level 0.9 at 1 unit or more for means above about 0.2).
    rng = np.random.default_rng(3)
    means = rng.uniform(0.02, 0.6, 30_000)
    actual = rng.poisson(means)[:, None]
    levels = (0.05, 0.1, 0.5, 0.9, 0.95)
    forecast = Forecast(
        "x",
        means[:, None],
        demand_quantiles(means[:, None], means[:, None], levels, np.ones(means.size, bool)),
        levels,
    )
    outer = metrics.coverage(actual, forecast.quantile(0.05), forecast.quantile(0.95)).mean()
    inside = metrics.coverage(actual, *forecast.interval(0.9)).mean()
    assert outer > 0.94
    assert inside == pytest.approx(0.9, abs=0.03)
    # Means of 2.3–3: zero 5–10% of the time, so p05 lies between 0 and half a unit (its
    # whole-unit quantile is 0): the interval starts at zero there and holds about 90% (with
    # [p05, p95] it would leave out every zero: 88%).
    means = rng.uniform(2.3, 3.0, 30_000)
    actual = rng.poisson(means)[:, None]
    quantiles = demand_quantiles(means[:, None], means[:, None], levels, np.ones(means.size, bool))
    inside = metrics.coverage(actual, *prediction_interval(quantiles, levels)).mean()
    assert inside == pytest.approx(0.9, abs=0.015)
