"""Why a forecast is what it is: each series' point forecast split into parts that add up to
it exactly (ADR 39).

The Test Bed's final forecast of a series is built in layers — the chosen method forecasts
the yearly-adjusted, campaign-free baseline; the yearly index multiplies it back
(:meth:`yearly.YearlyProfile.reseason`); future campaign days multiply it by the learned
uplift (:func:`campaigns.lift`). The decomposition peels those layers off the stored point
forecast ``P`` ``(series, horizon)``, so it holds for every method alike (smoothing, Theta,
intermittent, combinations, the global gradient-boosting model, a planner's pin):

- ``promotion`` = ``P − B`` with ``B = P / u`` the forecast without the campaign factor ``u``
  (1 off campaign days);
- ``yearly`` = ``B − D`` with ``D = B / I`` the forecast without the yearly index ``I``;
- ``D`` is fitted by least squares, all series at once on one shared design, as
  ``a + b·h + s[h mod m]`` (h = 0 the first forecast day, the weekly effects ``s`` sum to
  zero over a week; fitted only when the horizon holds two whole weeks): ``level`` = a (where
  the baseline stands on the first forecast day), ``trend`` = b·h (its change since),
  ``weekly`` = s;
- ``other`` = what is left, ``P`` minus the five parts: what the method does beyond a straight
  line and a fixed weekly pattern (a damped trend's bend, the weekly pattern of a
  multiplicative season growing with the level, the gradient-boosting model's lag effects).
  Zero for a flat or additive Holt-Winters forecast.

The parts therefore sum to ``P`` to rounding. The order (campaign, then year, then week) is
the order the engine applies them in reverse; a multiplicative effect's share depends on it,
which is stated rather than hidden.

For the gradient-boosting model the per-feature **permutation importance** (share of the
held-out squared error that shuffling the feature adds, :func:`gbm.gbm`) says which inputs
the model leaned on; it is global to the model (one per run chunk), not per series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMPONENTS: tuple[str, ...] = ("level", "trend", "weekly", "yearly", "promotion", "other")


@dataclass(frozen=True)
class Explanation:
    """``parts[name]`` ``(series, horizon)`` in units per period for each of
    :data:`COMPONENTS`; they sum to the point forecast."""

    parts: dict[str, np.ndarray]

    def total(self) -> np.ndarray:
        return np.asarray(sum(self.parts[name] for name in COMPONENTS), dtype=np.float64)


def design(horizon: int, season_length: int = 7) -> np.ndarray:
    """``(horizon, columns)``: intercept, step h, and effect-coded season positions 0 … m − 2
    (position m − 1 is minus their sum) when the horizon holds two whole seasons."""
    steps = np.arange(horizon, dtype=np.float64)
    columns = [np.ones(horizon)]
    if horizon >= 2:
        columns.append(steps)
    m = season_length
    if m >= 2 and horizon >= 2 * m:
        position = np.arange(horizon) % m
        effects = (position[:, None] == np.arange(m - 1)[None, :]).astype(np.float64)
        effects -= (position == m - 1)[:, None]
        columns.extend(effects.T)
    return np.column_stack(columns)


def decompose(
    point: np.ndarray,
    *,
    yearly_index: np.ndarray | None = None,
    campaign_factor: np.ndarray | None = None,
    season_length: int = 7,
) -> Explanation:
    """Split ``point`` ``(series, horizon)`` into :data:`COMPONENTS` (module docstring).

    ``yearly_index`` and ``campaign_factor`` ``(series, horizon)``: the multipliers the engine
    applied to each day (1 where none; ``None`` for none at all), both > 0."""
    total = np.asarray(point, dtype=np.float64)
    if total.ndim != 2:
        raise ValueError("point must be (series, horizon)")
    n, horizon = total.shape
    factor = _positive(campaign_factor, total.shape, "campaign_factor")
    index = _positive(yearly_index, total.shape, "yearly_index")
    base = total / factor
    deseasoned = base / index
    columns = design(horizon, season_length)
    coefficients = deseasoned @ np.linalg.pinv(columns).T  # (series, columns)
    level = np.repeat(coefficients[:, :1], horizon, axis=1)
    trend = np.zeros((n, horizon))
    weekly = np.zeros((n, horizon))
    if columns.shape[1] >= 2:
        trend = coefficients[:, 1:2] * columns[None, :, 1]
    if columns.shape[1] > 2:
        weekly = coefficients[:, 2:] @ columns[:, 2:].T
    parts = {
        "level": level,
        "trend": trend,
        "weekly": weekly,
        "yearly": base - deseasoned,
        "promotion": total - base,
    }
    parts["other"] = total - sum(parts.values())
    return Explanation(parts)


def _positive(values: np.ndarray | None, shape: tuple[int, ...], name: str) -> np.ndarray:
    if values is None:
        return np.ones(shape)
    array = np.asarray(values, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must be (series, horizon) = {shape}")
    if not np.all(np.isfinite(array) & (array > 0)):
        raise ValueError(f"{name} must be finite and positive")
    return array


def horizon_multipliers(
    *,
    series: int,
    periods: int,
    horizon: int,
    yearly_rows: np.ndarray | None = None,
    yearly_index: np.ndarray | None = None,
    campaign: np.ndarray | None = None,
    uplift: np.ndarray | None = None,
    reseasoned: np.ndarray | None = None,
    lifted: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(yearly index, campaign factor)`` ``(series, horizon)`` the Test Bed applied to
    the final forecast from ``periods``: the profile's index over the horizon on the
    ``yearly_rows`` series (``yearly_index`` ``(series, periods + horizon)``) whose method was
    ``reseasoned`` (not the global methods, which model the year themselves, nor a pin run
    outside the Test Bed), and the ``uplift`` factor ``(series,)`` on the ``campaign`` days
    ``(series, periods + horizon)`` of the ``lifted`` series."""
    everyone = np.ones(series, dtype=bool)
    index = np.ones((series, horizon))
    if yearly_index is not None:
        rows = everyone if yearly_rows is None else np.asarray(yearly_rows, dtype=bool)
        if reseasoned is not None:
            rows = rows & np.asarray(reseasoned, dtype=bool)
        index = np.where(rows[:, None], yearly_index[:, periods : periods + horizon], 1.0)
    factor = np.ones((series, horizon))
    if campaign is not None and uplift is not None:
        days = np.asarray(campaign, dtype=bool)[:, periods : periods + horizon]
        if lifted is not None:
            days = days & np.asarray(lifted, dtype=bool)[:, None]
        factor = np.where(days, np.asarray(uplift, dtype=np.float64)[:, None], 1.0)
    return index, factor
