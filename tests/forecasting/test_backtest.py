"""Rolling-origin backtest, leaderboard, recommendation, selection and ensemble; property tests
for the invariants the Test Bed relies on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.engine.backtest import (
    FALLBACK_BY_PATTERN,
    backtest,
    ensemble,
    recommend,
    rolling_origins,
    run_test_bed,
    select,
)
from forecasting.engine.classification import classify
from forecasting.engine.forecast import Forecast, ForecastSpec
from forecasting.engine.methods import FAST_METHODS, METHODS

SPEC = ForecastSpec(horizon=7, season_length=7)
WEEK = np.array([10.0, 12.0, 15.0, 11.0, 20.0, 30.0, 25.0])


def clear_cases(periods: int = 210, seed: int = 7) -> np.ndarray:
    """Row 0: a weekly pattern with little noise. Row 1: a straight upward line.
    Row 2: a random walk (tomorrow = today + noise)."""
    rng = np.random.default_rng(seed)
    weekly = np.tile(WEEK * 5, periods // 7) + rng.normal(0, 1.0, periods)
    line = 20.0 + 1.5 * np.arange(periods)
    walk = 500.0 + np.cumsum(rng.normal(0, 15.0, periods))
    return np.vstack([weekly, line, walk])


def test_rolling_origins_step_back_from_the_end():
    assert rolling_origins(100, 7, 3) == (79, 86, 93)
    assert rolling_origins(100, 7, 2, step=14) == (79, 93)
    with pytest.raises(ValueError, match="too few"):
        rolling_origins(20, 7, 3)


def test_backtest_scores_every_method_per_series():
    history = clear_cases()
    result = backtest(history, SPEC, folds=3)
    assert result.methods == FAST_METHODS
    assert result.origins == (189, 196, 203)
    for score in ("mae", "rmse", "wape", "bias", "mase", "rmsse", "pinball", "coverage"):
        assert result.scores[score].shape == (3, len(FAST_METHODS))
    assert result.pinball_by_level.shape == (3, len(FAST_METHODS), len(SPEC.levels))
    board = result.leaderboard("rmsse")
    assert board.shape == (3, len(FAST_METHODS))
    with pytest.raises(ValueError, match="rank by"):
        result.leaderboard("coverage")


def test_backtest_picks_the_generating_method_on_clear_cases():
    history = clear_cases()
    result = backtest(history, SPEC, folds=3)
    best = recommend(result, classify(history, new_item_periods=28)).method
    # A fixed weekly pattern around a constant level: the profiled level methods model it too.
    seasonal = {"seasonal_naive", "holt_winters_additive", "holt_winters_multiplicative"}
    assert best[0] in seasonal | {"ses_profiled", "imapa_profiled", "ses_lead_profiled"}
    assert best[1] in {"holt", "damped"}
    assert best[2] in {"naive", "ses"}  # SES with α near 1 is the naive forecast
    walk_board = list(result.leaderboard("mae")[2])
    assert walk_board.index("naive") < walk_board.index("seasonal_naive")
    assert walk_board.index("naive") < walk_board.index("moving_average")


def test_new_items_fall_back_by_pattern():
    history = clear_cases()
    history[1, :190] = 0.0  # launched 20 periods ago
    result = backtest(history, SPEC, folds=3)
    classification = classify(history, new_item_periods=28)
    recommendation = recommend(result, classification)
    assert list(recommendation.reason) == ["backtest", "fallback", "backtest"]
    assert recommendation.method[1] == FALLBACK_BY_PATTERN[classification.pattern[1]]


def test_constant_series_are_ranked_by_rmse_when_scaled_errors_are_undefined():
    history = np.vstack([np.full(63, 5.0), clear_cases(63)[0]])
    result = backtest(history, SPEC, folds=2)
    assert np.isnan(result.scores["rmsse"][0]).all()
    recommendation = recommend(result, classify(history, new_item_periods=1))
    assert recommendation.method[0] != "sba"  # the only method that misses a constant


def test_select_takes_each_series_from_its_method():
    a = Forecast("a", np.zeros((2, 3)), np.zeros((2, 1, 3)), (0.5,))
    b = Forecast("b", np.ones((2, 3)), np.ones((2, 1, 3)), (0.5,))
    chosen = select({"a": a, "b": b}, np.array(["b", "a"], dtype=object))
    np.testing.assert_array_equal(chosen.point, [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(chosen.quantiles[:, 0], [[1, 1, 1], [0, 0, 0]])
    assert chosen.method == "selected"


def test_ensemble_median_and_inverse_error_weights():
    history = clear_cases()
    result = backtest(history, SPEC, methods=("naive", "seasonal_naive", "ses"), folds=2)
    finals = {name: METHODS[name](history, SPEC, None)[0] for name in result.methods}
    median = ensemble(finals, result, size=3)
    stacked = np.stack([finals[name].point for name in result.methods])
    np.testing.assert_allclose(median.point, np.median(stacked, axis=0))
    assert median.params["members"].shape == (3,)
    single = ensemble(finals, result, size=1)
    best = recommend(result, classify(history, new_item_periods=1)).method
    for row, name in enumerate(best):
        np.testing.assert_allclose(single.point[row], finals[name].point[row])
    weighted = ensemble(finals, result, size=2, weighting="inverse_error")
    low = np.minimum.reduce([finals[n].point for n in result.methods])
    high = np.maximum.reduce([finals[n].point for n in result.methods])
    assert np.all((weighted.point >= low - 1e-9) & (weighted.point <= high + 1e-9))
    assert np.all(np.diff(weighted.quantiles, axis=1) >= -1e-9)
    with pytest.raises(ValueError, match="weighting"):
        ensemble(finals, result, weighting="vote")


def test_run_test_bed_end_to_end():
    history = clear_cases(140)
    history[2, :120] = 0.0  # a new item
    bed = run_test_bed(history, SPEC, folds=3)
    assert set(bed.forecasts) >= set(FAST_METHODS)
    assert set(bed.seconds) == set(bed.forecasts)
    assert bed.selected.point.shape == (3, 7)
    assert bed.ensemble.quantiles.shape == (3, len(SPEC.levels), 7)
    assert bed.recommendation.reason[2] == "fallback"
    assert bed.classification.new_item[2]
    for row in range(3):
        name = bed.recommendation.method[row]
        np.testing.assert_allclose(bed.selected.point[row], bed.forecasts[name].point[row])
    # Fewer methods still leave the pattern fallbacks available.
    small = run_test_bed(history, SPEC, methods=("naive", "seasonal_naive"), folds=2)
    assert set(FALLBACK_BY_PATTERN.values()) <= set(small.forecasts)
    # The combination of the best methods competes like any method (ADR 23); without it
    # the backtest holds the asked methods only.
    assert small.backtest.methods == ("naive", "seasonal_naive", "combo")
    plain = run_test_bed(
        history, SPEC, methods=("naive", "seasonal_naive"), folds=2, combo_sizes=()
    )
    assert plain.backtest.methods == ("naive", "seasonal_naive")


demand = arrays(
    np.float64,
    st.tuples(st.integers(1, 3), st.integers(30, 60)),
    elements=st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.0, 7.0, 20.0, 55.0]),
)
fast = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(history=demand, method=st.sampled_from(FAST_METHODS))
def test_quantiles_are_ordered_and_never_negative(history, method):
    result = METHODS[method](history, SPEC, None)[0]
    assert np.all(result.quantiles >= 0)
    assert np.all(np.diff(result.quantiles, axis=1) >= 0)
    assert np.all(result.point >= 0)
    assert np.all(np.isfinite(result.quantiles))


@fast
@given(
    history=demand,
    method=st.sampled_from(FAST_METHODS),
    cut=st.integers(20, 29),
    noise=st.floats(1.0, 1000.0),
)
def test_a_forecast_never_depends_on_periods_after_its_origin(history, method, cut, noise):
    changed = history.copy()
    changed[:, cut:] = changed[:, cut:] * 3.0 + noise
    before = METHODS[method](history, SPEC, (cut,))[0]
    after = METHODS[method](changed, SPEC, (cut,))[0]
    np.testing.assert_array_equal(before.point, after.point)
    np.testing.assert_array_equal(before.quantiles, after.quantiles)


@fast
@given(history=demand, alpha=st.sampled_from([0.05, 0.1, 0.3, 0.5]))
def test_sba_is_always_croston_times_one_minus_half_alpha(history, alpha):
    croston = METHODS["croston"](history, SPEC, None, alphas=(alpha,))[0]
    sba = METHODS["sba"](history, SPEC, None, alphas=(alpha,))[0]
    np.testing.assert_allclose(sba.point, croston.point * (1 - alpha / 2))


@fast
@given(
    history=demand,
    method=st.sampled_from(
        [
            "naive",
            "seasonal_naive",
            "moving_average",
            "ses",
            "holt",
            "damped",
            "holt_winters_additive",
            "theta",
        ]
    ),
    scale=st.sampled_from([0.5, 3.0, 40.0]),
)
def test_point_forecasts_scale_with_demand(history, method, scale):
    # Units in, units out: doubling every sale doubles the forecast (grid choices compare
    # squared errors, which all scale alike).
    base = METHODS[method](history, SPEC, None)[0].point
    scaled = METHODS[method](history * scale, SPEC, None)[0].point
    np.testing.assert_allclose(scaled, base * scale, rtol=1e-6, atol=1e-9)
