"""Baselines every other method must beat: naive, seasonal naive and a moving average.

Each takes ``history`` ``(series, periods)`` and returns one :class:`Forecast` per origin.
Spread comes from the method's own in-sample one-step errors, grown with the horizon as the
method's error model implies (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed., §5.5 "benchmark methods" variances).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .forecast import Forecast, ForecastSpec, as_history, check_origins, make_forecast


def naive(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Last observed demand, flat. Variance σ²·h (random walk), σ² from lag-1 differences."""
    values = as_history(history)
    forecasts = []
    steps = np.arange(1, spec.horizon + 1, dtype=np.float64)
    squares = _lag_square_sums(values, 1)
    for origin in check_origins(values.shape[1], origins):
        seen = values[:, :origin]
        last = seen[:, -1]
        sigma2 = _mean_square_before(squares, origin, 1)
        point = np.repeat(last[:, None], spec.horizon, axis=1)
        forecasts.append(make_forecast("naive", point, sigma2[:, None] * steps, spec, seen))
    return forecasts


def seasonal_naive(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Demand of the same period one season earlier (last week's Monday for next Monday).

    Variance σ²·(⌊(h−1)/m⌋ + 1) with σ² from lag-m differences. With less than one season of
    history it is the naive forecast.
    """
    values = as_history(history)
    m = spec.season_length
    forecasts = []
    steps = np.arange(spec.horizon)
    squares = _lag_square_sums(values, m)
    for origin in check_origins(values.shape[1], origins):
        seen = values[:, :origin]
        if origin < m or m == 1:
            forecasts.append(_renamed(naive(seen, spec)[0], "seasonal_naive"))
            continue
        last_season = seen[:, origin - m :]
        point = last_season[:, steps % m]
        sigma2 = _mean_square_before(squares, origin, m)
        seasons_ahead = (steps // m + 1).astype(np.float64)
        variance = sigma2[:, None] * seasons_ahead
        forecasts.append(make_forecast("seasonal_naive", point, variance, spec, seen))
    return forecasts


def moving_average(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    window: int | None = None,
) -> list[Forecast]:
    """Mean demand of the last ``window`` periods, flat.

    Default window: four seasons for short seasons (28 days for daily data), else one season
    (12 months). Variance: the in-sample mean squared error of the same rolling mean.
    """
    values = as_history(history)
    m = spec.season_length
    width = window or (4 * m if m <= 7 else m)
    wanted = check_origins(values.shape[1], origins)
    # Running sums once for every origin: the rolling mean of ``width`` periods before each
    # period, its squared miss of that period, and their running total.
    totals = np.cumsum(np.pad(values, ((0, 0), (1, 0))), axis=1)
    last = max(wanted)
    misses = np.zeros((len(values), 1))
    if last > width:
        rolling = (totals[:, width:last] - totals[:, : last - width]) / width
        error = values[:, width:last] - rolling
        misses = np.cumsum(np.pad(error * error, ((0, 0), (1, 0))), axis=1)
    forecasts = []
    for origin in wanted:
        seen = values[:, :origin]
        used = min(width, origin)
        level = (totals[:, origin] - totals[:, origin - used]) / used
        if origin > width:
            sigma2 = misses[:, origin - width] / (origin - width)
        else:
            sigma2 = seen.var(axis=1)
        point = np.repeat(level[:, None], spec.horizon, axis=1)
        variance = np.repeat(sigma2[:, None], spec.horizon, axis=1)
        forecasts.append(
            make_forecast(
                "moving_average", point, variance, spec, seen, {"window": np.full(len(seen), used)}
            )
        )
    return forecasts


def _lag_square_sums(values: np.ndarray, lag: int) -> np.ndarray:
    """Running sums of squared lag-``lag`` differences, with a leading 0 column: column j is
    the sum over the first j differences (those of periods lag … lag + j − 1). One pass for
    every origin instead of one per origin."""
    differences = values[:, lag:] - values[:, :-lag] if values.shape[1] > lag else values[:, :0]
    sums = np.zeros((values.shape[0], differences.shape[1] + 1))
    np.cumsum(differences * differences, axis=1, out=sums[:, 1:])
    return sums


def _mean_square_before(sums: np.ndarray, origin: int, lag: int) -> np.ndarray:
    """Mean squared lag difference of ``values[:, :origin]`` from :func:`_lag_square_sums`."""
    count = origin - lag
    if count <= 0:
        return np.zeros(sums.shape[0])
    return sums[:, count] / count


def _renamed(forecast: Forecast, method: str) -> Forecast:
    return Forecast(method, forecast.point, forecast.quantiles, forecast.levels, forecast.params)
