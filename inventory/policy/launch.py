"""The demand level of an item in its launch phase (ADR 44, addendum on launches).

Pure NumPy, no Django; arrays of one element per product × location.

A forecast that smooths (SES and its kin) lags a launch's ramp-up: at two weeks since the
first sale the mixed generator's launches sold three times what the weekly SES re-fit had
forecast, and their first cycles failed seven times in ten. A flat, lagging level is a bias,
which no spread repairs. For an item whose first sale is fewer than :data:`LAUNCH_DAYS` days
ago, :func:`launch_level` reads the level off its own recent sales instead: the least-squares
line through its last ``n = min(age, LAUNCH_WINDOW_DAYS)`` days since the first sale,
evaluated at the middle of the protection period ahead, the growth never negative (a launch
that sells less than its line says is left to the forecast) and shrunk toward no growth by
its own noise (a slope from three days is mostly noise). The policy uses the larger of the
forecast's level and this one (:func:`launch_adjusted_mean`): a ramp that has ended leaves a
flat line, equal to a caught-up forecast.

The inputs are three sums over the window, so that a SQL aggregate supplies them (the
metrics refresh) as easily as a prefix sum (the replay): ``n``, ``Σ y`` and ``Σ x·y`` with
``x = 0 … n−1`` the day in the window (oldest first), and ``Σ y²`` for the slope's noise.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Days since the first sale below which an item is in its launch phase.
LAUNCH_DAYS = 56
# Most recent days (since the first sale) the launch line is fitted on.
LAUNCH_WINDOW_DAYS = 14  # two whole weeks: the weekday pattern cancels
# Days of data without a sale before the first one for it to count as a launch.
MIN_QUIET_DAYS = 28
# Fewer days than this: no slope, the recent mean alone.
MIN_SLOPE_DAYS = 3


def launch_level(
    days: ArrayLike,
    total: ArrayLike,
    weighted_total: ArrayLike,
    total_squares: ArrayLike,
    ahead_days: ArrayLike,
) -> FloatArray:
    """Daily demand level ``ahead_days`` after the last day of a window of ``days`` (n)
    days with ``total`` (Σ y), ``weighted_total`` (Σ x·y, x = 0 for the oldest day) and
    ``total_squares`` (Σ y²): ``ȳ + b·((n − 1)/2 + ahead)``, the slope ``b`` the
    least-squares one floored at 0 and multiplied by ``t² / (1 + t²)`` (t its t-statistic:
    a slope lost in the noise adds little); no slope below :data:`MIN_SLOPE_DAYS` days.
    NaN where ``n < 1``."""
    n = np.asarray(days, dtype=float)
    sum_y = np.asarray(total, dtype=float)
    sum_xy = np.asarray(weighted_total, dtype=float)
    sum_yy = np.asarray(total_squares, dtype=float)
    ahead = np.asarray(ahead_days, dtype=float)
    sloped = n >= MIN_SLOPE_DAYS
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sum_y / n
        mean_x = (n - 1.0) / 2.0
        sxx = n * (n * n - 1.0) / 12.0  # Σ (x − x̄)² over 0 … n−1
        sxy = sum_xy - mean_x * sum_y
        slope = np.where(sloped, sxy / sxx, 0.0)
        residual = np.maximum(sum_yy - n * mean * mean - slope * sxy, 0.0)
        slope_variance = residual / np.maximum(n - 2.0, 1.0) / sxx
        t_squared = np.where(slope_variance > 0, slope * slope / slope_variance, np.inf)
        shrink = np.where(np.isinf(t_squared), 1.0, t_squared / (1.0 + t_squared))
        growth = np.where(sloped, np.maximum(np.nan_to_num(slope), 0.0) * shrink, 0.0)
        level = np.where(n >= 1, mean + growth * (mean_x + ahead), np.nan)
    return np.asarray(level, dtype=np.float64)


def in_launch_phase(age_days: ArrayLike, quiet_days: ArrayLike) -> NDArray[np.bool_]:
    """Items whose first sale was ``age_days`` ago after ``quiet_days`` days of data without
    any (NaN: never sold) are launching while ``0 < age < LAUNCH_DAYS`` and the quiet
    stretch lasted at least :data:`MIN_QUIET_DAYS`: an item selling from the first day of
    the data (or after a short gap, as a slow mover does) is no launch."""
    age = np.asarray(age_days, dtype=float)
    quiet = np.asarray(quiet_days, dtype=float)
    return np.asarray((age > 0) & (age < LAUNCH_DAYS) & (quiet >= MIN_QUIET_DAYS), dtype=bool)


def launch_adjusted_mean(
    mean_daily_demand: ArrayLike, level: ArrayLike, launching: ArrayLike
) -> FloatArray:
    """The policy's mean daily demand: the larger of the forecast's and the launch line's
    level where an item is ``launching`` (:func:`in_launch_phase`), the forecast's
    otherwise."""
    mean = np.asarray(mean_daily_demand, dtype=float)
    line = np.asarray(level, dtype=float)
    raise_to_line = np.asarray(launching, dtype=bool) & np.isfinite(line)
    return np.asarray(np.where(raise_to_line, np.fmax(mean, line), mean), dtype=np.float64)
