"""The global gradient-boosting model, the yearly profile and the backtest calibration: known
answers on hand-made series, and that none of them looks past an origin."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.engine import calibration, yearly
from forecasting.engine.backtest import _run_methods, fit_yearly, run_test_bed
from forecasting.engine.forecast import Forecast, ForecastSpec
from forecasting.engine.gbm import gbm

WEEK = np.array([10.0, 12.0, 15.0, 11.0, 20.0, 30.0, 25.0])
SPEC = ForecastSpec(horizon=7, season_length=7)
few = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def yearly_sales(series: int = 12, days: int = 900, seed: int = 0) -> np.ndarray:
    """Daily sales: a level per series × weekly pattern × a yearly wave (±30%), Poisson."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    level = rng.uniform(40, 120, (series, 1))
    week = np.tile(WEEK / WEEK.mean(), days // 7 + 1)[:days]
    year = 1.0 + 0.3 * np.sin(2 * np.pi * t / 365.25)
    return rng.poisson(level * week * year).astype(np.float64)


# --- global gradient boosting --------------------------------------------------------


def test_gbm_on_constant_weekly_and_zero_series():
    constant = np.full((6, 150), 40.0)
    weekly = np.tile(np.tile(WEEK, 22)[:150], (6, 1))
    zero = np.zeros((2, 150))
    history = np.vstack([constant, weekly, zero])
    result = gbm(history, SPEC)[0]
    np.testing.assert_allclose(result.point[:6], 40.0, rtol=0.05)
    # The weekly shape comes back: next week is the pattern continued.
    expected = np.tile(WEEK, 23)[150:157]
    assert np.corrcoef(result.point[6], expected)[0, 1] > 0.9
    np.testing.assert_allclose(result.point[6], expected, rtol=0.15)
    assert np.all(result.point[12:] < 1e-2)
    assert np.all(np.diff(result.quantiles, axis=1) >= 0)
    assert np.all(result.quantiles >= 0)


def test_gbm_follows_straight_lines():
    t = np.arange(167)
    lines = np.vstack([20 + 0.5 * t * (1 + i / 10) for i in range(8)])
    result = gbm(lines[:, :160], SPEC)[0]
    np.testing.assert_allclose(result.point, lines[:, 160:], rtol=0.05)
    assert np.all(np.diff(result.point, axis=1) > -0.5)


def test_gbm_single_spike_among_regular_series_forecasts_almost_nothing():
    rng = np.random.default_rng(0)
    weekly = np.tile(WEEK, 23)[:160] * rng.uniform(0.5, 2, (10, 1)) + rng.normal(0, 1, (10, 160))
    spike = np.zeros((2, 160))
    spike[:, 100] = 50.0
    result = gbm(np.vstack([weekly, spike]), SPEC)[0]
    assert np.all(result.point[10:] < 0.5)
    assert np.all(result.quantiles[10:] < 5.0) and np.all(result.quantiles >= 0)


def test_gbm_with_no_sales_at_all_forecasts_nothing():
    result = gbm(np.zeros((3, 80)), SPEC)[0]
    assert np.all(result.point == 0) and np.all(result.quantiles == 0)


def test_gbm_learns_a_promotion_lift():
    rng = np.random.default_rng(1)
    periods = 200
    promo = (rng.random((10, periods + 7)) < 0.15).astype(np.float64)
    promo[:, periods:] = [0, 1, 0, 1, 0, 0, 0]
    history = 20.0 * (1.0 + promo[:, :periods]) + rng.normal(0, 1.0, (10, periods))
    result = gbm(history, SPEC, promo=promo)[0]
    promoted, plain = result.point[:, [1, 3]].mean(), result.point[:, [0, 2, 4, 5, 6]].mean()
    assert promoted > 1.6 * plain
    with pytest.raises(ValueError, match="promo must be"):
        gbm(history, SPEC, promo=promo[:, :periods])


def test_gbm_calendar_from_a_start_date_and_in_the_test_bed():
    history = yearly_sales(series=8, days=500)
    start = dt.date(2020, 1, 6)
    bed = run_test_bed(
        history, SPEC, methods=("seasonal_naive", "ses", "gbm"), folds=2, start_date=start
    )
    assert "gbm" in bed.forecasts and "gbm" in bed.backtest.methods
    assert bed.forecasts["gbm"].point.shape == (8, 7)
    assert bed.seconds["gbm"] > 0


@few
@given(cut=st.integers(120, 140), noise=st.floats(1.0, 500.0), seed=st.integers(0, 50))
def test_gbm_never_depends_on_periods_after_its_origin(cut, noise, seed):
    history = yearly_sales(series=6, days=160, seed=seed)
    changed = history.copy()
    changed[:, cut:] = changed[:, cut:] * 2.0 + noise
    before = gbm(history, SPEC, (cut,))[0]
    after = gbm(changed, SPEC, (cut,))[0]
    np.testing.assert_array_equal(before.point, after.point)
    np.testing.assert_array_equal(before.quantiles, after.quantiles)


# --- yearly profile --------------------------------------------------------------------


def test_yearly_profile_recovers_a_yearly_wave_and_skips_flat_series():
    sales = yearly_sales(series=10, days=900)
    flat = np.random.default_rng(4).poisson(60.0, (2, 900)).astype(np.float64)
    profile = yearly.yearly_profile(np.vstack([sales, flat]), 800, 930)
    truth = 1.0 + 0.3 * np.sin(2 * np.pi * np.arange(930) / 365.25)
    assert profile.rows[:10].all() and not profile.rows[10:].any()
    assert np.max(np.abs(profile.index[:10] - truth)) < 0.08
    np.testing.assert_array_equal(profile.index[10:], 1.0)
    assert 0.5 <= profile.spread_power <= 1.0


def test_month_of_year_index_from_a_calendar():
    start = dt.date(2019, 1, 1)
    months = yearly.months_of(start, 1000)
    assert months[0] == 1 and months[31] == 2 and months[365] == 1
    lift = np.where(months == 12, 0.6, np.where(months == 7, 1.4, 1.0))
    rng = np.random.default_rng(2)
    history = rng.poisson(80.0 * lift[None, :900], (6, 900)).astype(np.float64)
    profile = yearly.yearly_profile(history, 900, 1000, months=months)
    december = profile.index[:, months == 12]
    july = profile.index[:, months == 7]
    assert np.all(np.abs(december / profile.index[:, months == 3].mean() - 0.6) < 0.05)
    assert np.all(np.abs(july / profile.index[:, months == 3].mean() - 1.4) < 0.07)
    with pytest.raises(ValueError, match="months"):
        yearly.yearly_profile(history, 900, 1000, months=months[:10])


def test_yearly_rule_and_count_like_series_are_left_alone():
    # Two years before the cutoff (ADR 23; was a year and a month).
    assert not yearly.wants_yearly(7, 729, None)
    assert yearly.wants_yearly(7, 730, None)
    assert not yearly.wants_yearly(12, 800, None)
    assert yearly.wants_yearly(12, 800, True)
    assert not yearly.wants_yearly(7, 800, False)
    sparse = (np.random.default_rng(0).random((4, 800)) < 0.2).astype(np.float64)
    assert fit_yearly(sparse, SPEC, 800, None) is None


def test_reseason_scales_the_median_by_the_index_and_the_spread_by_its_power():
    profile = yearly.YearlyProfile(
        rows=np.array([True]), index=np.full((1, 10), 0.25), cutoff=5, spread_power=0.5
    )
    raw = Forecast(
        "x", np.full((1, 2), 100.0), np.array([[[80.0] * 2, [100.0] * 2, [120.0] * 2]]),
        (0.1, 0.5, 0.9),
    )  # fmt: skip
    out = profile.reseason(raw, 5)
    np.testing.assert_allclose(out.point, 25.0)
    np.testing.assert_allclose(out.quantiles[0, :, 0], [15.0, 25.0, 35.0])


def test_test_bed_with_a_yearly_pattern_beats_the_one_without():
    history = yearly_sales(series=12, days=900)
    train, actual = history[:, :-28], history[:, -28:]
    spec = ForecastSpec(horizon=28, season_length=7)
    with_year = run_test_bed(train, spec, methods=("ses", "holt_winters_additive"))
    without = run_test_bed(train, spec, methods=("ses", "holt_winters_additive"), yearly=False)
    assert with_year.yearly is not None and without.yearly is None
    error = lambda bed: np.abs(bed.selected.point - actual).mean()  # noqa: E731
    assert error(with_year) < 0.9 * error(without)


@few
@given(noise=st.floats(1.0, 300.0), shift=st.integers(0, 60), seed=st.integers(0, 20))
def test_yearly_profile_and_fold_forecasts_never_see_past_the_first_origin(noise, shift, seed):
    history = yearly_sales(series=6, days=840, seed=seed)  # two years before the origins
    origins = (750 + shift, 770 + shift)
    changed = history.copy()
    changed[:, origins[0] :] = changed[:, origins[0] :] * 1.7 + noise
    profile = fit_yearly(history, SPEC, origins[0], None)
    again = fit_yearly(changed, SPEC, origins[0], None)
    np.testing.assert_array_equal(profile.index, again.index)
    names = ("theta", "holt_winters_additive", "gbm")
    first, _, _ = _run_methods(history, SPEC, names, origins, origins[0], None)
    second, _, _ = _run_methods(changed, SPEC, names, origins, origins[0], None)
    for name in names:
        np.testing.assert_array_equal(first[name][0].point, second[name][0].point)
        np.testing.assert_array_equal(first[name][0].quantiles, second[name][0].quantiles)


# --- calibration --------------------------------------------------------------------


def test_calibration_widens_too_narrow_intervals_and_keeps_the_median():
    rng = np.random.default_rng(0)
    values = 100.0 + rng.normal(0, 10.0, (50, 60))
    levels = (0.05, 0.5, 0.95)
    # A forecaster that believes σ = 5 while it is 10: its 5–95% band must double.
    narrow = np.array([100.0 - 1.645 * 5, 100.0, 100.0 + 1.645 * 5])
    folds = [
        Forecast("m", np.full((50, 10), 100.0), np.tile(narrow[None, :, None], (50, 1, 10)), levels)
        for _ in range(3)
    ]
    fitted = calibration.fit(values, (20, 30, 40), {"m": folds}, np.array(["smooth"] * 50), levels)
    factors = fitted.factors["m"][0]
    assert factors[1] == 1.0
    assert 1.7 < factors[0] < 2.3 and 1.7 < factors[2] < 2.3
    applied = fitted.apply(folds[0], np.array(["smooth"] * 50))
    np.testing.assert_allclose(applied.quantiles[:, 1], 100.0)
    inside = (values[:, 50:60] >= applied.quantiles[:, 0]) & (
        values[:, 50:60] <= applied.quantiles[:, 2]
    )
    assert 0.83 < inside.mean() < 0.96
    # A method or group the calibration has not seen is left as it is.
    other = Forecast("other", folds[0].point, folds[0].quantiles, levels)
    assert fitted.apply(other, np.array(["smooth"] * 50)) is other
    unseen = fitted.apply(folds[0], np.array(["lumpy"] * 50))
    np.testing.assert_array_equal(unseen.quantiles, folds[0].quantiles)


def test_calibration_weighs_every_series_alike_not_by_volume():
    # One group, half fast movers with right bands, half slow movers whose bands are five
    # times too narrow: weighted by raw distance the fast ones set the factor (≈ 1) and the
    # slow ones keep ~27 % coverage; scaled per series, both count (ADR 40, addendum 3).
    rng = np.random.default_rng(1)
    level = np.repeat([1000.0, 10.0], 25)
    sigma = np.repeat([50.0, 10.0], 25)
    believed = np.repeat([50.0, 2.0], 25)
    values = level[:, None] + sigma[:, None] * rng.standard_normal((50, 60))
    levels = (0.05, 0.5, 0.95)
    bands = np.stack([level - 1.645 * believed, level, level + 1.645 * believed], axis=1)
    folds = [
        Forecast(
            "m", np.tile(level[:, None], (1, 10)), np.tile(bands[:, :, None], (1, 1, 10)), levels
        )
        for _ in range(3)
    ]
    group = np.array(["erratic"] * 50)
    fitted = calibration.fit(values, (20, 30, 40), {"m": folds}, group, levels)
    applied = fitted.apply(folds[0], group)
    inside = (values[:, 50:60] >= applied.quantiles[:, 0]) & (
        values[:, 50:60] <= applied.quantiles[:, 2]
    )
    assert fitted.factors["m"][0, 0] > 2.5 and fitted.factors["m"][0, 2] > 2.5
    assert inside[25:].mean() > 0.6
    assert 0.8 < inside.mean() < 0.95


def test_test_bed_calibrates_only_from_the_backtest_folds():
    history = yearly_sales(series=10, days=300)
    bed = run_test_bed(history, SPEC, methods=("ses", "theta"))
    raw = run_test_bed(history, SPEC, methods=("ses", "theta"), calibrate=False)
    assert bed.calibration is not None and raw.calibration is None
    np.testing.assert_array_equal(bed.forecasts["ses"].point, raw.forecasts["ses"].point)
    assert bed.backtest.scores["coverage"].shape == raw.backtest.scores["coverage"].shape
    np.testing.assert_array_equal(bed.backtest.scores["rmse"], raw.backtest.scores["rmse"])
    assert np.all(np.diff(bed.forecasts["theta"].quantiles, axis=1) >= 0)
