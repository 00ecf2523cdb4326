"""The standard Theta method (Assimakopoulos & Nikolopoulos 2000), as the M3/M4 benchmark runs it.

Steps per series, vectorised over series: test for a season with the autocorrelation at lag m
(90% one-sided, Bartlett's variance), remove it by classical multiplicative decomposition, then
forecast with simple exponential smoothing plus half the slope of the linear trend — the
closed form of Hyndman & Billah (2003):

    ŷ(h) = ℓ_n + (b₀ / 2) · (h − 1 + 1/α − (1 − α)^n / α),

and put the season back. Spread: the SES variance σ²·(1 + (h − 1)·α²), rescaled by the season.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from . import kernels
from .forecast import Forecast, ForecastSpec, as_history, check_origins, make_forecast
from .smoothing import SES_ALPHAS, VARIANCE_DISCOUNT

# One-sided 90% normal quantile of the M4 benchmark's seasonality test.
_SEASONALITY_Z = 1.645


def theta(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Standard Theta forecasts (θ = 0 and θ = 2 lines, equal weights) from each origin."""
    values = as_history(history)
    m = spec.season_length
    steps = np.arange(1, spec.horizon + 1)
    wanted = check_origins(values.shape[1], origins)
    # One compiled pass per series and origin: seasonal test, decomposition, SES, slope.
    indices, levels, variances, alphas, slopes = kernels.theta_states(
        np.ascontiguousarray(values, dtype=np.float64),
        np.asarray(wanted, dtype=np.int64),
        m,
        np.asarray(SES_ALPHAS, dtype=np.float64),
        VARIANCE_DISCOUNT,
        _SEASONALITY_Z,
    )
    forecasts = []
    for k, origin in enumerate(wanted):
        seen = values[:, :origin]
        index, level, sigma2 = indices[k], levels[k], variances[k]
        alpha, slope = alphas[k], slopes[k]
        a = alpha[:, None]
        drift = (steps[None, :] - 1.0) + 1.0 / a - (1.0 - a) ** origin / a
        path = level[:, None] + slope[:, None] / 2.0 * drift
        future_index = index[:, (origin + steps - 1) % index.shape[1]]
        point = path * future_index
        variance = sigma2[:, None] * (1.0 + (steps[None, :] - 1.0) * a * a) * future_index**2
        forecasts.append(
            make_forecast("theta", point, variance, spec, seen, {"alpha": alpha, "slope": slope})
        )
    return forecasts


def is_seasonal(values: np.ndarray, m: int) -> np.ndarray:
    """Per series: is the autocorrelation at lag ``m`` significant (|r_m| above 1.645 standard
    errors, with Bartlett's standard error from the lower lags)?"""
    acf = kernels.autocorrelations(np.ascontiguousarray(values, dtype=np.float64), m)
    energy = np.ptp(values, axis=1)  # zero exactly when the series is constant
    bound = _SEASONALITY_Z * np.sqrt(
        (1.0 + 2.0 * np.sum(acf[:, :-1] ** 2, axis=1)) / values.shape[1]
    )
    return cast("np.ndarray", (np.abs(acf[:, -1]) > bound) & (energy > 0))


def seasonal_indices(values: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative decomposition: mean ratio of demand to its centred moving
    average (2×m for an even season) per position in the season, normalised to average 1.
    Column j belongs to periods t with t mod m = j."""
    n, _periods = values.shape
    totals = np.cumsum(np.pad(values, ((0, 0), (1, 0))), axis=1)
    window_means = (totals[:, m:] - totals[:, :-m]) / m  # mean of values[i : i + m]
    if m % 2:
        centred, offset = window_means, (m - 1) // 2
    else:
        centred, offset = (window_means[:, :-1] + window_means[:, 1:]) / 2.0, m // 2
    covered = values[:, offset : offset + centred.shape[1]]
    valid = centred > 0
    ratios = np.where(valid, covered / np.where(valid, centred, 1.0), 0.0)
    position = (np.arange(centred.shape[1]) + offset) % m
    sums = np.zeros((n, m))
    counts = np.zeros((n, m))
    for j in range(m):
        sums[:, j] = ratios[:, position == j].sum(axis=1)
        counts[:, j] = valid[:, position == j].sum(axis=1)
    index = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
    index = np.maximum(index, 1e-3)
    return cast("np.ndarray", index / index.mean(axis=1, keepdims=True))
