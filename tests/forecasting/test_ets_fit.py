"""ETS with parameters estimated by a batched optimiser (issue 18, ADR 40 addendum 2)."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.engine import smoothing
from forecasting.engine.backtest import LAUNCH, LAUNCH_MEMBERS, run_test_bed
from forecasting.engine.forecast import ForecastSpec

SPEC = ForecastSpec(horizon=28, season_length=7)


def _simulate_ana(rng: np.random.Generator, alpha: np.ndarray, gamma: np.ndarray, periods: int):
    """ETS(A,N,A) series with known α and γ (error-correction form), level 100, σ = 3."""
    n, m = len(alpha), 7
    level = np.full(n, 100.0)
    season = rng.normal(0.0, 8.0, (n, m))
    season -= season.mean(axis=1, keepdims=True)
    out = np.empty((n, periods))
    for t in range(periods):
        error = rng.normal(0.0, 3.0, n)
        out[:, t] = level + season[:, t % m] + error
        level = level + alpha * error
        season[:, t % m] += gamma * error
    return out


def _simulate_aadn(rng: np.random.Generator, alpha, beta, phi, periods: int):
    n = len(alpha)
    level, slope = np.full(n, 200.0), np.full(n, 0.5)
    out = np.empty((n, periods))
    for t in range(periods):
        error = rng.normal(0.0, 2.0, n)
        base = level + phi * slope
        out[:, t] = base + error
        level = base + alpha * error
        slope = phi * slope + beta * error
    return out


def test_recovers_known_level_and_season_smoothing():
    rng = np.random.default_rng(3)
    alpha = rng.uniform(0.05, 0.6, 80)
    gamma = rng.uniform(0.02, 0.25, 80) * (1 - alpha)
    history = _simulate_ana(rng, alpha, gamma, 700)
    centre, sse = smoothing.fit_ets(history, 700, smoothing.SEASON_ADDITIVE, 7, trend=False)
    a, b, g, p = smoothing._ets_params(centre, False, True)
    assert np.all(b == 0.0) and np.all(p == 1.0)
    assert np.median(np.abs(a - alpha)) < 0.04
    assert np.corrcoef(a, alpha)[0, 1] > 0.95
    assert np.median(np.abs(g - gamma)) < 0.04
    assert np.corrcoef(g, gamma)[0, 1] > 0.7
    # The optimiser improves on the best point of the grid the Holt-Winters method uses
    # (same start, same scored periods).
    grid = smoothing.SmoothingGrid.product(
        smoothing.SEASONAL_ALPHAS, gammas=smoothing.SEASONAL_GAMMAS, trends=((0.0, 1.0),)
    )
    initial = smoothing.ets_start(history, 700, smoothing.SEASON_ADDITIVE, 7, False)
    columns = tuple(
        np.broadcast_to(p, (80, len(p))) for p in (grid.alpha, grid.beta, grid.gamma, grid.phi)
    )
    at = np.array([700])
    grid_sse = smoothing._ets_pass(
        history, columns, smoothing.SEASON_ADDITIVE, 7, False, initial, at
    )
    best = grid_sse[0][0].min(axis=1)
    assert np.all(sse <= best * (1 + 1e-9))
    assert np.mean(sse < best * 0.999) > 0.5


def test_recovers_a_damped_trend():
    rng = np.random.default_rng(8)
    alpha = np.full(40, 0.3)
    beta = np.full(40, 0.05)
    phi = np.full(40, 0.9)
    history = _simulate_aadn(rng, alpha, beta, phi, 600)
    centre, _ = smoothing.fit_ets(history, 600, smoothing.SEASON_NONE, 1, trend=True)
    a, b, g, p = smoothing._ets_params(centre, True, False)
    assert np.all(g == 0.0)
    assert np.median(a) == pytest.approx(0.3, abs=0.06)
    assert np.median(b) == pytest.approx(0.05, abs=0.04)
    assert 0.8 <= np.median(p) <= 0.96
    assert np.all(b <= a) and np.all((p >= 0.8) & (p <= 0.98))


def test_a_weekly_series_gets_a_seasonal_form_and_a_level_series_none():
    rng = np.random.default_rng(1)
    weekly = 50 + 20 * np.sin(2 * np.pi * np.arange(500) / 7) + rng.normal(0, 2, 500)
    flat = 50 + rng.normal(0, 5, 500)
    result = smoothing.ets(np.stack([weekly, flat]), SPEC)[0]
    forms = [smoothing.ETS_FORMS[i] for i in result.params["form"]]
    assert forms[0][1] != smoothing.SEASON_NONE
    assert forms[1][1] == smoothing.SEASON_NONE
    truth = 50 + 20 * np.sin(2 * np.pi * np.arange(500, 528) / 7)
    assert np.sqrt(np.mean((result.point[0] - truth) ** 2)) < 4.0


@pytest.mark.parametrize("periods", [1, 5, 13, 30, 200])
def test_short_zero_and_constant_series_give_finite_forecasts(periods):
    rng = np.random.default_rng(periods)
    history = np.stack(
        [
            np.zeros(periods),
            np.full(periods, 7.0),
            rng.poisson(0.1, periods).astype(float),
            np.concatenate([np.zeros(periods - 1), [5.0]]),
        ]
    )
    for forecast in smoothing.ets(history, SPEC):
        assert forecast.point.shape == (4, SPEC.horizon)
        assert np.all(np.isfinite(forecast.point))
        assert np.all(np.isfinite(forecast.quantiles))
        assert np.all(forecast.point >= 0)
        assert np.all(forecast.point[0] == 0.0)
        np.testing.assert_allclose(forecast.point[1], 7.0, rtol=1e-6)


def test_each_origin_sees_only_the_history_before_it():
    rng = np.random.default_rng(4)
    history = 20 + rng.poisson(5, (6, 400)).astype(float)
    changed = history.copy()
    changed[:, 350:] *= 3.0
    origins = (300, 350)
    first = smoothing.ets(history, SPEC, origins)
    again = smoothing.ets(changed, SPEC, origins)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_allclose(a.point, b.point)


def _launch_batch() -> np.ndarray:
    rng = np.random.default_rng(12)
    weeks = 1.0 + 0.4 * np.sin(2 * np.pi * np.arange(500) / 7)
    mature = rng.poisson(20 * weeks, (6, 500)).astype(float)
    launched = np.zeros((3, 500))
    launched[:, 440:] = rng.poisson(12 * weeks[440:], (3, 60))
    # New too, but with sales on 5 of its last 50 days: no launch, too few sales to fit a model.
    rare = np.zeros((1, 500))
    rare[0, [450, 462, 470, 481, 495]] = 3.0
    return np.concatenate([mature, launched, np.zeros((1, 500)), rare])


def test_new_series_take_the_launch_mean_of_lead_ses_and_estimated_ets():
    history = _launch_batch()
    bed = run_test_bed(history, SPEC)
    new = bed.classification.new_item
    assert new[6:9].all() and not new[:6].any()
    method = np.asarray(bed.recommendation.method, dtype=object)
    assert set(method[6:9]) == {LAUNCH}
    assert LAUNCH not in set(method[:6]) and method[9] != LAUNCH  # never sold: no launch
    assert new[10] and method[10] != LAUNCH
    # Without calibration or cleaning the launch is the mean of its members on the new rows
    # (the lead-time SES pools its α choice over the batch: take the Test Bed's own).
    raw = run_test_bed(history, SPEC, calibrate=False, infer_stockouts=False, winsorise=False)
    origins = (*raw.backtest.origins, history.shape[1])  # ETS warm-starts origin to origin
    ets_final = smoothing.ets(history[6:9], SPEC, origins)[-1]
    members = [raw.forecasts[LAUNCH_MEMBERS[0]].point[6:9], ets_final.point]
    np.testing.assert_allclose(raw.forecasts[LAUNCH].point[6:9], np.mean(members, axis=0))
    np.testing.assert_allclose(raw.selected.point[6:9], np.mean(members, axis=0))
    assert np.all(np.isfinite(bed.selected.quantiles))
    # The older rule stays available.
    older = run_test_bed(history, SPEC, new_items="class_best")
    assert LAUNCH not in set(np.asarray(older.recommendation.method, dtype=object))
