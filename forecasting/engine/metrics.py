"""Forecast accuracy per series. ``actual`` and ``forecast`` are ``(series, horizon)``; the
result is one value per series (``nan`` where the measure is undefined, e.g. WAPE of a series
that sold nothing). Aggregate with the ``total_*`` helpers or ``np.nanmean``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray


def mae(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Mean absolute error, units."""
    result: NDArray[np.float64] = np.mean(np.abs(forecast - actual), axis=1)
    return result


def rmse(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Root mean squared error, units."""
    result: NDArray[np.float64] = np.sqrt(np.mean((forecast - actual) ** 2, axis=1))
    return result


def wape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Weighted absolute percentage error: Σ|f − y| / Σ|y| (a fraction, 0.1 = 10%)."""
    volume = np.sum(np.abs(actual), axis=1)
    return _ratio(np.sum(np.abs(forecast - actual), axis=1), volume)


def bias(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Mean error f − y, units per period: positive means over-forecasting (excess stock)."""
    result: NDArray[np.float64] = np.mean(forecast - actual, axis=1)
    return result


def mase(
    actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season_length: int = 1
) -> np.ndarray:
    """Mean absolute scaled error (Hyndman & Koehler 2006): MAE over the in-sample MAE of the
    (seasonal) naive forecast with lag ``season_length``."""
    lag = season_length if history.shape[1] > season_length else 1
    scale = _in_sample(np.abs, history, lag)
    return _ratio(mae(actual, forecast), scale)


def rmsse(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Root mean squared scaled error (M5 competition): RMSE over the in-sample root mean
    squared one-period change."""
    scale = np.sqrt(_in_sample(np.square, history, 1))
    return _ratio(rmse(actual, forecast), scale)


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Pinball (quantile) loss per series and level, ``(series, levels)``, units:
    mean over the horizon of max(q·(y − ŷ_q), (q − 1)·(y − ŷ_q))."""
    q = np.asarray(levels, dtype=np.float64)[None, :, None]
    gap = actual[:, None, :] - quantiles
    result: NDArray[np.float64] = np.mean(np.maximum(q * gap, (q - 1.0) * gap), axis=2)
    return result


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of periods whose actual lies inside [lower, upper] (0–1)."""
    result: NDArray[np.float64] = np.mean((actual >= lower) & (actual <= upper), axis=1)
    return result


def relative_bias(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Per series Σ(f − y) / Σ|y| (0.02 = 2 % over-forecast; NaN without demand)."""
    volume = np.sum(np.abs(actual), axis=1)
    return _ratio(np.sum(forecast - actual, axis=1), volume)


def bucket_wape(actual: np.ndarray, forecast: np.ndarray, days: int) -> np.ndarray:
    """WAPE of the sums over whole buckets of ``days`` periods from the first (a trailing
    partial bucket is left out): how far off the forecast is for what a planner orders per
    week or month. NaN when not even one bucket fits, or without demand."""
    n, periods = actual.shape
    buckets = periods // days
    if buckets == 0:
        return np.full(n, np.nan)
    cut = buckets * days
    return wape(
        actual[:, :cut].reshape(n, buckets, days).sum(axis=2),
        forecast[:, :cut].reshape(n, buckets, days).sum(axis=2),
    )


def total_wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """WAPE over all series together: Σ|f − y| / Σ|y|."""
    volume = float(np.sum(np.abs(actual)))
    return float(np.sum(np.abs(forecast - actual)) / volume) if volume else float("nan")


def total_bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Relative bias over all series together: Σ(f − y) / Σ|y| (0.02 = 2% over-forecast)."""
    volume = float(np.sum(np.abs(actual)))
    return float(np.sum(forecast - actual) / volume) if volume else float("nan")


def _in_sample(
    transform: Callable[[np.ndarray], np.ndarray], history: np.ndarray, lag: int
) -> np.ndarray:
    if history.shape[1] <= lag:
        return np.full(history.shape[0], np.nan)
    result: NDArray[np.float64] = np.mean(transform(history[:, lag:] - history[:, :-lag]), axis=1)
    return result


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)
