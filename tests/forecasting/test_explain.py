"""Forecast explanations (ADR 39): the parts add up to the point forecast, known forecasts come
apart into the parts they were built from, and the gradient-boosting model names the inputs it
leaned on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.engine import explain
from forecasting.engine.backtest import run_test_bed
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.gbm import FEATURES, gbm
from forecasting.engine.smoothing import holt_winters_additive

WEEK = np.array([-3.0, -1.0, 0.0, 1.0, 2.0, 4.0, -3.0])  # sums to zero


def test_a_line_with_a_weekly_pattern_a_year_and_a_campaign_comes_apart():
    horizon = 28
    h = np.arange(horizon)
    baseline = 50.0 + 0.5 * h + np.tile(WEEK, 4)
    index = 1.0 + 0.2 * np.sin(h / 9.0)
    factor = np.where((h >= 10) & (h < 14), 1.5, 1.0)
    point = (baseline * index * factor)[None, :]
    parts = explain.decompose(
        point, yearly_index=index[None, :], campaign_factor=factor[None, :]
    ).parts
    np.testing.assert_allclose(parts["level"], 50.0, atol=1e-9)
    np.testing.assert_allclose(parts["trend"][0], 0.5 * h, atol=1e-9)
    np.testing.assert_allclose(parts["weekly"][0], np.tile(WEEK, 4), atol=1e-9)
    np.testing.assert_allclose(parts["yearly"][0], baseline * index - baseline, atol=1e-9)
    np.testing.assert_allclose(parts["promotion"][0], point[0] - baseline * index, atol=1e-9)
    np.testing.assert_allclose(parts["other"], 0.0, atol=1e-9)
    assert parts["promotion"][0, 9] == 0 and parts["promotion"][0, 10] > 0


def test_a_flat_forecast_is_all_level_and_a_short_horizon_has_no_weekly_part():
    flat = explain.decompose(np.full((3, 28), 7.0)).parts
    np.testing.assert_allclose(flat["level"], 7.0)
    for name in ("trend", "weekly", "yearly", "promotion", "other"):
        np.testing.assert_allclose(flat[name], 0.0, atol=1e-12)
    short = explain.decompose(np.array([[1.0, 5.0, 2.0, 8.0, 3.0]])).parts
    assert np.all(short["weekly"] == 0)  # fewer than two weeks: no weekly fit
    np.testing.assert_allclose(explain.Explanation(short).total(), [[1.0, 5.0, 2.0, 8.0, 3.0]])


def test_holt_winters_additive_splits_into_level_and_weekly_only():
    rng = np.random.default_rng(3)
    history = 40.0 + np.tile(WEEK * 3, 30)[None, :] + rng.normal(0, 0.5, (4, 210))
    forecast = holt_winters_additive(history, ForecastSpec(horizon=28))[0]
    parts = explain.decompose(forecast.point).parts
    # The chosen grid has no trend or a slowly learnt damped one: the line and the week carry it.
    assert np.abs(parts["other"]).max() < 0.05 * forecast.point.mean()
    assert np.corrcoef(parts["weekly"][0], np.tile(WEEK, 4))[0, 1] > 0.95


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    point=arrays(
        np.float64, st.tuples(st.integers(1, 4), st.integers(1, 35)), elements=st.floats(0, 1e5)
    ),
    data=st.data(),
)
def test_the_parts_always_sum_to_the_point_forecast(point, data):
    multipliers = arrays(np.float64, point.shape, elements=st.floats(0.05, 20.0))
    index = data.draw(st.none() | multipliers)
    factor = data.draw(st.none() | multipliers)
    result = explain.decompose(point, yearly_index=index, campaign_factor=factor)
    assert set(result.parts) == set(explain.COMPONENTS)
    np.testing.assert_allclose(result.total(), point, rtol=1e-9, atol=1e-6)


def test_bad_multipliers_are_refused():
    with pytest.raises(ValueError, match="positive"):
        explain.decompose(np.ones((1, 7)), campaign_factor=np.zeros((1, 7)))
    with pytest.raises(ValueError, match="campaign_factor must be"):
        explain.decompose(np.ones((1, 7)), campaign_factor=np.ones((1, 6)))
    with pytest.raises(ValueError, match="series, horizon"):
        explain.decompose(np.ones(7))


def test_the_test_bed_forecast_explained_with_its_own_multipliers_sums_exactly():
    rng = np.random.default_rng(5)
    days, horizon = 800, 28
    t = np.arange(days + horizon)
    season = 1.0 + 0.3 * np.sin(2 * np.pi * t / 365.25)
    campaign = np.zeros((6, days + horizon), dtype=bool)
    for start in (100, 300, 500, 700, days + 5):
        campaign[:, start : start + 4] = True
    demand = 30.0 * season * np.where(campaign, 1.8, 1.0)
    history = rng.poisson(demand[:, :days]).astype(float)
    bed = run_test_bed(history, ForecastSpec(horizon=horizon), folds=2, campaign=campaign)
    assert bed.yearly is not None and bed.uplift is not None
    index, factor = explain.horizon_multipliers(
        series=6, periods=days, horizon=horizon, yearly_rows=bed.yearly.rows,
        yearly_index=bed.yearly.index, campaign=campaign, uplift=bed.uplift.factor,
    )  # fmt: skip
    parts = explain.decompose(bed.selected.point, yearly_index=index, campaign_factor=factor)
    np.testing.assert_allclose(parts.total(), bed.selected.point, rtol=1e-9, atol=1e-9)
    promoted = parts.parts["promotion"][:, 5:9]
    assert np.all(promoted > 0) and np.all(parts.parts["promotion"][:, :5] == 0)
    assert np.abs(parts.parts["yearly"]).max() > 0


def test_gbm_reports_which_inputs_it_leaned_on():
    rng = np.random.default_rng(1)
    periods = 200
    promo = (rng.random((10, periods + 7)) < 0.15).astype(np.float64)
    history = 20.0 * (1.0 + promo[:, :periods]) + rng.normal(0, 1.0, (10, periods))
    folds, final = gbm(history, ForecastSpec(horizon=7), (150, periods), promo=promo)
    assert "importance" not in folds.params  # only the served forecast is explained
    importance = final.params["importance"][0]
    assert set(importance) == set(FEATURES)
    assert sum(importance.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(importance, key=importance.get) == "promo"
    assert all(entry is importance for entry in final.params["importance"])
