"""Interval calibration from the backtest: rescale each quantile's distance from the median so
that, on the backtest folds, it minimises that level's pinball loss (a conformal-style
correction of the spread the error models imply).

Per method and per group of series (the demand pattern: smooth, erratic, intermittent, …) and
per level τ ≠ ½ a factor ``s`` turns ``q_τ`` into ``m + s·(q_τ − m)`` (``m`` the median).
With ``d = q_τ − m`` and ``r = (y − m)/d`` over every backtest period of the group, the pinball
loss ``Σ ρ_τ(y − m − s·d)`` equals ``Σ |d|·ρ_τ'(r − s)`` with ``τ' = τ`` above the median and
``1 − τ`` below it, so the best ``s`` is the |d|-weighted τ'-quantile of ``r`` — one sort per
group and level. Each series' ``|d|`` is divided by its own mean ``|d|`` (a scaled pinball
loss): a group mixes fast and slow movers, and raw distances let the fast ones set the slow
ones' spread (under-covering heavy-tailed slow series, ADR 40 addendum 3). The factors
come from the folds only (all before the final origin) and are applied to the final
forecasts; groups with too few informative periods borrow the method's factor over all
series, and factors stay within [¼, 4].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .forecast import Forecast

MIN_POINTS = 30
BOUNDS = (0.25, 4.0)
# A factor is one weighted quantile: a few thousand backtest periods pin it down well, so
# larger groups use an evenly strided subsample (the sort is the cost of calibration).
MAX_POINTS = 4000


@dataclass(frozen=True)
class Calibration:
    """``factors[method]``: ``(groups, levels)`` spread factors, rows in the order of
    ``groups`` (1 at the median level)."""

    groups: tuple[str, ...]
    levels: tuple[float, ...]
    factors: Mapping[str, np.ndarray]

    def apply(self, forecast: Forecast, group: np.ndarray, method: str | None = None) -> Forecast:
        """``forecast`` with each series' quantiles rescaled by its group's factors."""
        table = self.factors.get(method or forecast.method)
        if table is None:
            return forecast
        position = {name: i for i, name in enumerate(self.groups)}
        rows = np.array([position.get(g, -1) for g in group])
        per_series = np.where(rows[:, None] >= 0, table[np.maximum(rows, 0)], 1.0)
        return Forecast(
            forecast.method,
            forecast.point,
            rescale(forecast.quantiles, self.levels, per_series, forecast.point),
            forecast.levels,
            forecast.params,
        )


def rescale(
    quantiles: np.ndarray, levels: Sequence[float], factors: np.ndarray, point: np.ndarray
) -> np.ndarray:
    """``(series, levels, horizon)`` quantiles with ``factors`` ``(series, levels)`` applied
    around the median (or ``point`` when ½ is not a level); ordered and ≥ 0."""
    centre = _centre(quantiles, levels, point)
    scaled = centre[:, None, :] + factors[:, :, None] * (quantiles - centre[:, None, :])
    return np.maximum.accumulate(np.maximum(scaled, 0.0), axis=1)


def fit(
    values: np.ndarray,
    origins: Sequence[int],
    folds: Mapping[str, Sequence[Forecast]],
    group: np.ndarray,
    levels: Sequence[float],
) -> Calibration:
    """Factors per method, group and level from each method's fold forecasts (one per origin)
    against ``values``."""
    names = tuple(sorted(set(group.tolist())))
    factors = {}
    for method, forecasts in folds.items():
        actual, quantiles, point = _stack(values, origins, forecasts)
        centre = _centre(quantiles, levels, point)
        table = np.ones((len(names), len(levels)))
        for index, level in enumerate(levels):
            if abs(level - 0.5) < 1e-9:
                continue
            distance = quantiles[:, index, :] - centre
            overall: list[float | None] = []
            for row, name in enumerate(names):
                found = _best_factor(actual, centre, distance, level, group == name)
                if found is None:
                    if not overall:  # the method's factor over all series, when needed
                        every = np.ones(len(group), dtype=bool)
                        overall.append(_best_factor(actual, centre, distance, level, every))
                    found = overall[0]
                table[row, index] = 1.0 if found is None else found
        factors[method] = table
    return Calibration(names, tuple(levels), factors)


def _best_factor(
    actual: np.ndarray,
    centre: np.ndarray,
    distance: np.ndarray,
    level: float,
    rows: np.ndarray,
) -> float | None:
    block = np.abs(distance[rows])
    used = block > 1e-9
    # Each series' distances relative to its own mean distance: the loss is a sum of scaled
    # pinball losses, so fast movers do not set the spread of the slow ones in their group.
    scale = block.sum(axis=1) / np.maximum(used.sum(axis=1), 1)
    relative = (block / np.where(scale > 0, scale, 1.0)[:, None]).ravel()
    d = distance[rows].ravel()
    informative = np.flatnonzero(used.ravel())
    if informative.size < MIN_POINTS:
        return None
    if informative.size > MAX_POINTS:
        informative = informative[:: -(-informative.size // MAX_POINTS)]
    d = d[informative]
    ratio = (actual[rows].ravel()[informative] - centre[rows].ravel()[informative]) / d
    target = level if level > 0.5 else 1.0 - level
    order = np.argsort(ratio, kind="stable")
    weights = relative[informative][order]
    cumulative = np.cumsum(weights)
    position = int(np.searchsorted(cumulative, target * cumulative[-1]))
    factor = float(ratio[order][min(position, len(order) - 1)])
    return float(np.clip(factor, *BOUNDS))


def _stack(
    values: np.ndarray, origins: Sequence[int], forecasts: Sequence[Forecast]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Actuals ``(series, folds·horizon)``, quantiles ``(series, levels, folds·horizon)`` and
    points of every fold side by side (periods past the history are dropped)."""
    actual, quantiles, point = [], [], []
    for origin, forecast in zip(origins, forecasts, strict=False):
        seen = values[:, origin : origin + forecast.point.shape[1]]
        width = seen.shape[1]
        actual.append(seen)
        quantiles.append(forecast.quantiles[:, :, :width])
        point.append(forecast.point[:, :width])
    return (
        np.concatenate(actual, axis=1),
        np.concatenate(quantiles, axis=2),
        np.concatenate(point, axis=1),
    )


def _centre(quantiles: np.ndarray, levels: Sequence[float], point: np.ndarray) -> np.ndarray:
    for index, level in enumerate(levels):
        if abs(level - 0.5) < 1e-9:
            return quantiles[:, index, :]
    return point
