"""Level methods on a seasonally adjusted history (ADR 40)."""

from __future__ import annotations

import numpy as np

from forecasting.engine import profiled
from forecasting.engine.forecast import ForecastSpec
from forecasting.engine.methods import forecast

WEEK = np.array([10.0, 12.0, 15.0, 11.0, 20.0, 30.0, 25.0])
DAILY = ForecastSpec(horizon=14, season_length=7)


def test_a_clean_weekly_pattern_is_recovered_and_carried_into_the_forecast():
    history = np.tile(WEEK, 30)[None, :]
    factors = profiled.seasonal_profile(history, 7)
    np.testing.assert_allclose(factors[0], WEEK / WEEK.mean(), rtol=1e-9)
    for method in ("ses_profiled", "imapa_profiled"):
        result = forecast(history, method, DAILY)
        # 210 days = 30 whole weeks: the horizon starts on the weekday of day 0.
        np.testing.assert_allclose(result.point[0], np.tile(WEEK, 2), rtol=1e-6)
        assert np.all(np.diff(result.quantiles, axis=1) >= -1e-9)


def test_noise_without_a_pattern_is_shrunk_toward_flat():
    rng = np.random.default_rng(3)
    noise = rng.poisson(5.0, size=(200, 364)).astype(float)
    factors = profiled.seasonal_profile(noise, 7)
    raw = np.stack([noise[:, d::7].mean(axis=1) for d in range(7)], axis=1)
    raw = raw / noise.mean(axis=1, keepdims=True)
    # Shrinkage takes most of the sampling noise out of the factors.
    assert np.abs(factors - 1.0).mean() < 0.5 * np.abs(raw - 1.0).mean()
    np.testing.assert_allclose(factors.mean(axis=1), 1.0)


def test_short_empty_or_unseasonal_series_keep_a_flat_profile():
    assert np.all(profiled.seasonal_profile(np.zeros((2, 70)), 7) == 1.0)
    assert np.all(profiled.seasonal_profile(np.tile(WEEK, 3)[None, :], 7) == 1.0)
    assert np.all(profiled.seasonal_profile(np.tile(WEEK, 30)[None, :], 1) == 1.0)
    # Launched three weeks before the end: too few seasons since the first sale.
    late = np.concatenate([np.zeros(189), np.tile(WEEK, 3)])[None, :]
    assert np.all(profiled.seasonal_profile(late, 7) == 1.0)


def test_each_origin_sees_only_the_history_before_it():
    rng = np.random.default_rng(5)
    history = np.tile(WEEK, 40)[None, :] + rng.normal(0, 2, size=(1, 280))
    origins = (210, 238)
    changed = history.copy()
    changed[:, 210:] *= 3.0  # what happens after the first origin
    first = profiled.imapa_profiled(history, DAILY, origins)[0]
    again = profiled.imapa_profiled(changed, DAILY, origins)[0]
    np.testing.assert_allclose(first.point, again.point)
    np.testing.assert_allclose(first.quantiles, again.quantiles)
    alone = profiled.imapa_profiled(history[:, :210], DAILY, None)[0]
    np.testing.assert_allclose(first.point, alone.point)
