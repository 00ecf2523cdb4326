"""SES with the smoothing constant chosen by the lead-time error (ADR 40 addendum)."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.engine import smoothing
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import FAST_METHODS, forecast

SPEC = ForecastSpec(horizon=28, season_length=7)


def _sparse(rng: np.random.Generator, series: int, periods: int) -> np.ndarray:
    """Stationary lumpy demand: sells on ~20 % of days, over-dispersed sizes, mean 1 a day."""
    occurs = rng.random((series, periods)) < 0.2
    sizes = rng.negative_binomial(1, 1 / 5.0, size=(series, periods)) + 1
    return np.where(occurs, sizes, 0).astype(float)


def test_sparse_noise_gets_a_long_memory_that_one_step_errors_never_choose():
    rng = np.random.default_rng(11)
    history = _sparse(rng, 60, 700)
    lead = smoothing.ses_lead(history, SPEC)[0]
    one_step = smoothing.ses(history, SPEC)[0]
    # The one-step error of a stationary series is flat in α near the smallest grid point, the
    # lead-time error is not: the lead-time α sits below the whole one-step grid.
    assert np.median(lead.params["alpha"]) < min(smoothing.SES_ALPHAS)
    # and its level is closer to the true mean (5 · 0.2 = 1 unit a day).
    assert np.mean((lead.point[:, 0] - 1.0) ** 2) < 0.5 * np.mean((one_step.point[:, 0] - 1.0) ** 2)


def test_a_level_shift_is_followed_quickly():
    history = np.concatenate([np.full(400, 10.0), np.full(200, 30.0)])[None, :]
    result = smoothing.ses_lead(history, SPEC)[0]
    assert result.params["alpha"][0] >= 0.05
    assert result.point[0, 0] == pytest.approx(30.0, rel=0.01)


def test_the_level_starts_at_the_first_sale_and_never_sold_is_zero():
    launched = np.concatenate([np.zeros(500), np.full(150, 8.0)])
    history = np.stack([launched, np.zeros(650)])
    result = smoothing.ses_lead(history, SPEC)[0]
    # The zeros before the launch never pull the level of a long memory down.
    assert result.point[0, 0] == pytest.approx(8.0)
    assert np.all(result.point[1] == 0.0)
    assert np.all(np.isfinite(result.quantiles))


def test_each_origin_sees_only_the_history_before_it():
    rng = np.random.default_rng(5)
    history = _sparse(rng, 8, 400)
    origins = (300, 328)
    changed = history.copy()
    changed[:, 300:] *= 4.0
    first = smoothing.ses_lead(history, SPEC, origins)[0]
    again = smoothing.ses_lead(changed, SPEC, origins)[0]
    np.testing.assert_allclose(first.point, again.point)
    alone = smoothing.ses_lead(history[:, :300], SPEC)[0]
    np.testing.assert_allclose(first.point, alone.point)


def test_shrinkage_pulls_each_series_toward_its_groups_choice():
    rng = np.random.default_rng(2)
    history = _sparse(rng, 40, 600)
    own = smoothing.ses_lead(history, SPEC, shrinkage=0.0)[0].params["alpha"]
    pooled = smoothing.ses_lead(history, SPEC, shrinkage=1.0)[0].params["alpha"]
    assert len(np.unique(pooled)) == 1  # one group (all intermittent), one choice
    assert len(np.unique(own)) > 1
    with pytest.raises(ValueError):
        smoothing.ses_lead(history, SPEC, shrinkage=1.5)


def test_the_profiled_variant_is_a_fast_method_and_keeps_the_weekly_pattern():
    assert "ses_lead_profiled" in FAST_METHODS
    week = np.array([10.0, 12.0, 15.0, 11.0, 20.0, 30.0, 25.0])
    result = forecast(np.tile(week, 30)[None, :], "ses_lead_profiled", SPEC)
    np.testing.assert_allclose(result.point[0], np.tile(week, 4), rtol=1e-6)


def test_too_short_a_history_for_any_lead_window_takes_the_one_step_choice():
    # 60 periods, horizon 28: no window starts two horizons after the first sale.
    history = np.concatenate([np.full(30, 10.0), np.full(30, 30.0)])[None, :]
    result = smoothing.ses_lead(history, SPEC)[0]
    assert result.params["alpha"][0] == max(smoothing.LEAD_ALPHAS)
    assert result.point[0, 0] == pytest.approx(30.0, rel=0.01)
