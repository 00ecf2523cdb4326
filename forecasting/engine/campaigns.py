"""Promotions and marketing campaigns in the history and the horizon (ADR 32).

A campaign day is known in advance (the tenant says so), unlike a random spike. The Test Bed
treats the **past** campaign days of a series as missing for fitting — like a stockout, they
are filled from the same weekdays around them (:func:`cleaning.impute`), so level, trend and
seasonality are of the baseline — and learns the series' **uplift**: the ratio of what it sold
on its campaign days to the baseline filled in for them, on the log scale.

Few campaigns tell little, so the per-series log uplift is shrunk toward a pooled one
(partial pooling, the empirical-Bayes weighting of an estimate from ``e`` events against a
prior worth :data:`POOLING_EVENTS` events): the mean of the series' group (its category)
where the group has seen :data:`GROUP_MIN_EVENTS` campaigns, else the planner's expected
uplift where given, else the mean over all series. A series without a past campaign takes
that prior whole. **Future** campaign days multiply the point forecast and every quantile by
the uplift; so do the campaign days of each backtest fold, so backtest scores and the
calibrated bands see campaigns the way the final forecast does.

Arrays: ``campaign`` is ``(series, periods + horizon)`` bool (history, then the horizon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .forecast import Forecast

POOLING_EVENTS = 2.0  # the prior counts as this many campaigns of the series' own
GROUP_MIN_EVENTS = 3  # a group's mean is a prior once it has seen this many campaigns
MAX_LOG_UPLIFT = float(np.log(20.0))  # clip: a campaign multiplies demand by 1/20 … 20
SMOOTHING = 0.5  # units added to both sums: a slow mover's single sale is no 3× uplift


@dataclass(frozen=True)
class Uplift:
    """Per series: ``log_uplift`` the shrunk log ratio applied on campaign days, ``own`` the
    series' raw log ratio (nan without a past campaign), ``events`` its past campaigns."""

    log_uplift: np.ndarray
    own: np.ndarray
    events: np.ndarray

    @property
    def factor(self) -> np.ndarray:
        """The multiplier of a campaign day, ``(series,)``."""
        return np.asarray(np.exp(self.log_uplift), dtype=np.float64)


BASELINE_WINDOW = 28  # days either side whose mean is a campaign day's baseline


def local_mean(
    values: np.ndarray, excluded: np.ndarray, window: int = BASELINE_WINDOW
) -> np.ndarray:
    """``(series, periods)``: each day's mean of the days within ``window`` either side that
    are not ``excluded`` (the series' mean of kept days where the window has none). A mean,
    not a median: on intermittent series the median of a few weeks is zero and every
    campaign sale would look like a twentyfold uplift."""
    kept = ~np.asarray(excluded, dtype=bool)
    n, periods = values.shape
    total = np.zeros((n, periods + 1))
    count = np.zeros((n, periods + 1))
    np.cumsum(np.where(kept, values, 0.0), axis=1, out=total[:, 1:])
    np.cumsum(kept, axis=1, out=count[:, 1:])
    days = np.arange(periods)
    low, high = np.maximum(days - window, 0), np.minimum(days + window + 1, periods)
    sums, counts = total[:, high] - total[:, low], count[:, high] - count[:, low]
    overall = total[:, -1:] / np.maximum(count[:, -1:], 1.0)
    return np.where(counts > 0, sums / np.maximum(counts, 1.0), overall)


def events(mask: np.ndarray) -> np.ndarray:
    """Number of separate runs of flagged days per row of ``mask``."""
    if mask.shape[1] == 0:
        return np.zeros(mask.shape[0], dtype=np.int64)
    starts = mask[:, 1:] & ~mask[:, :-1]
    counted: np.ndarray = mask[:, 0].astype(np.int64) + starts.sum(axis=1)
    return counted.astype(np.int64)


def learn_uplift(
    sold: np.ndarray,
    baseline: np.ndarray,
    past: np.ndarray,
    group: np.ndarray | None = None,
    expected: np.ndarray | None = None,
    pooling: float = POOLING_EVENTS,
) -> Uplift:
    """The uplift per series from its past campaign days ``past`` ``(series, periods)``:
    ``log((Σ sold + s) / (Σ baseline + s))`` over those days, shrunk toward the prior of
    the module docstring. ``group`` ``(series,)`` integer codes (−1: none) pool by category;
    ``expected`` ``(series,)`` the planner's relative uplift (0.3 = +30 %, nan unknown)."""
    n = sold.shape[0]
    past = np.asarray(past, dtype=bool)
    count = events(past)
    sold_sum = np.where(past, sold, 0.0).sum(axis=1)
    base_sum = np.where(past, baseline, 0.0).sum(axis=1)
    has = count > 0
    own = np.full(n, np.nan)
    own[has] = np.log((sold_sum[has] + SMOOTHING) / (base_sum[has] + SMOOTHING))
    own = np.clip(own, -MAX_LOG_UPLIFT, MAX_LOG_UPLIFT)
    weight = count.astype(np.float64)
    overall = float(np.sum(weight[has] * own[has]) / weight[has].sum()) if has.any() else 0.0
    prior = np.full(n, overall)
    if expected is not None:
        given = np.isfinite(expected) & (np.asarray(expected, float) > -1.0)
        prior[given] = np.log1p(np.asarray(expected, float)[given])
    if group is not None:
        group = np.asarray(group, dtype=np.int64)
        for code in np.unique(group[has]):
            if code < 0:
                continue
            members = group == code
            seen = members & has
            if weight[seen].sum() >= GROUP_MIN_EVENTS:
                prior[members] = np.sum(weight[seen] * own[seen]) / weight[seen].sum()
    shrunk = np.where(
        has, (weight * np.nan_to_num(own) + pooling * prior) / (weight + pooling), prior
    )
    return Uplift(np.clip(shrunk, -MAX_LOG_UPLIFT, MAX_LOG_UPLIFT), own, count)


def lift(forecast: Forecast, days: np.ndarray, factor: np.ndarray) -> Forecast:
    """``forecast`` with its point and quantiles multiplied by ``factor`` ``(series,)`` on
    the flagged ``days`` ``(series, horizon)`` (a shorter mask covers the first periods)."""
    horizon = forecast.point.shape[1]
    mask = np.zeros((forecast.point.shape[0], horizon), dtype=bool)
    width = min(horizon, days.shape[1])
    mask[:, :width] = days[:, :width]
    if not mask.any():
        return forecast
    multiplier = np.where(mask, factor[:, None], 1.0)
    return Forecast(
        forecast.method,
        forecast.point * multiplier,
        forecast.quantiles * multiplier[:, None, :],
        forecast.levels,
        forecast.params,
    )
