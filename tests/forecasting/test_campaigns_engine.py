"""Campaigns in the engine (ADR 32): past campaign days are left out of the fitted level,
the uplift is learned per series and pooled by category, future campaign days lift the point
and the quantiles; the import's in-stock flags beat an inferred stockout."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.engine import campaigns
from forecasting.engine.backtest import run_test_bed
from forecasting.engine.forecast import Forecast, ForecastSpec

SPEC = ForecastSpec(horizon=14, season_length=7)


def _mix(seed: int = 3, series: int = 12, days: int = 364, lift: float = 2.0):
    """Poisson series around 20 a day; campaign weeks every ~7 weeks and one in the horizon."""
    rng = np.random.default_rng(seed)
    flags = np.zeros((series, days + SPEC.horizon), dtype=bool)
    for start in range(30, days, 50):
        flags[:, start : start + 5] = True
    flags[:, days + 3 : days + 8] = True  # a known future campaign
    mean = np.where(flags[:, :days], 20.0 * lift, 20.0)
    return rng.poisson(mean).astype(float), flags


def test_uplift_is_learned_and_lifts_future_campaign_days_only():
    history, flags = _mix()
    plain = run_test_bed(history, SPEC, methods=("ses", "seasonal_naive"), folds=2)
    known = run_test_bed(history, SPEC, methods=("ses", "seasonal_naive"), folds=2, campaign=flags)
    assert known.uplift is not None
    assert np.allclose(known.uplift.factor, 2.0, atol=0.25)
    future = flags[:, history.shape[1] :]
    point = known.selected.point
    # Campaign days about twice the others; the days outside at the baseline of ~20 that the
    # filled history gives (the blind run's level is pulled up by the campaigns it cannot see).
    assert np.allclose(point[future].mean() / point[~future].mean(), 2.0, atol=0.3)
    assert abs(point[~future].mean() - 20.0) < 2.5
    assert point[~future].mean() < plain.selected.point[~future].mean()
    upper = known.selected.quantile(0.9)
    assert (upper[future] > point[future]).all()  # the bands are lifted with the point


def test_a_series_with_few_campaigns_borrows_its_categorys_uplift():
    sold = np.full((4, 200), 10.0)
    baseline = np.full((4, 200), 10.0)
    past = np.zeros((4, 200), dtype=bool)
    past[:3, 20:25] = past[:3, 80:85] = True  # three series of the group with two campaigns
    sold[:3][:, 20:25] = sold[:3][:, 80:85] = 30.0  # ×3
    group = np.array([5, 5, 5, 5])
    found = campaigns.learn_uplift(sold, baseline, past, group)
    assert np.isnan(found.own[3]) and found.events.tolist() == [2, 2, 2, 0]
    assert np.allclose(found.factor, found.factor[0])  # the newcomer takes the group's
    # ten campaign days of 30 against a baseline of 10, smoothed by half a unit
    assert found.factor[3] == pytest.approx(300.5 / 100.5, rel=1e-6)
    # With another group and no data, the planner's expected uplift is the prior.
    expected = np.array([np.nan, np.nan, np.nan, 0.5])
    alone = campaigns.learn_uplift(sold, baseline, past, np.array([5, 5, 5, 9]), expected)
    assert alone.factor[3] == pytest.approx(1.5)


def test_lift_multiplies_flagged_days_and_local_mean_skips_excluded_days():
    forecast = Forecast("x", np.ones((2, 4)), np.ones((2, 3, 4)), (0.1, 0.5, 0.9))
    days = np.array([[True, False, False, False], [False, False, False, False]])
    lifted = campaigns.lift(forecast, days, np.array([3.0, 5.0]))
    assert lifted.point.tolist() == [[3, 1, 1, 1], [1, 1, 1, 1]]
    assert lifted.quantiles[0, :, 0].tolist() == [3, 3, 3]
    values = np.array([[1.0, 1.0, 100.0, 1.0, 1.0]])
    excluded = np.array([[False, False, True, False, False]])
    assert campaigns.local_mean(values, excluded, window=2).tolist() == [[1.0] * 5]
    assert campaigns.events(np.array([[True, True, False, True], [False] * 4])).tolist() == [2, 0]


def test_imported_in_stock_flags_beat_an_inferred_stockout_and_imported_stockouts_count():
    rng = np.random.default_rng(1)
    history = rng.poisson(30.0, (1, 300)).astype(float)
    history[0, 150:160] = 0.0  # implausible zeros: inferred as a stockout
    inferred = run_test_bed(history, SPEC, methods=("ses",), folds=2)
    assert inferred.stockout is not None and inferred.stockout[0, 150:160].all()
    in_stock = np.zeros_like(history, dtype=bool)
    in_stock[0, 150:160] = True  # the import says: in stock, nobody bought
    told = run_test_bed(history, SPEC, methods=("ses",), folds=2, in_stock=in_stock)
    assert told.stockout is not None and not told.stockout[0, 150:160].any()
    out = np.zeros_like(history, dtype=bool)
    out[0, 40:42] = True  # two zeros the inference would not flag
    history[0, 40:42] = 0.0
    flagged = run_test_bed(history, SPEC, methods=("ses",), folds=2, stockout=out)
    assert flagged.stockout is not None and flagged.stockout[0, 40:42].all()


def test_campaign_shape_is_checked():
    history, flags = _mix(series=2)
    with pytest.raises(ValueError, match="periods \\+ horizon"):
        run_test_bed(history, SPEC, methods=("ses",), folds=2, campaign=flags[:, :-1])
