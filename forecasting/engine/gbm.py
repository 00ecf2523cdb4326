"""A global gradient-boosting model: one scikit-learn ``HistGradientBoostingRegressor`` learnt
from every series of a tenant at once, forecasting all horizon steps directly.

Rows are (series, origin o′, step j) with target ``y[o′ + j]``, every value divided by the
series' scale (mean of the 91 periods before o′, so series of any volume share one model).
Features, all from periods before o′ except the calendar and known promotions of the target
period:

- the step j; lags 1, 2, m, 2m, 4m before o′ (m the season: 7 days, 12 months); the same
  position in the season most recently seen before o′; rolling means over m, 4m and 13m
  periods; the share of periods without demand over 13m;
- a year ago: the target period's value one year (364 days, 12 months) earlier and, for daily
  data, the week around it;
- calendar of the target period: position in the week (day of week) and in the year (month
  1–12 from ``start_date`` when given, else the period's place in a 365.25-day cycle);
- promotions (optional ``promo`` ``(series, periods + horizon)``, 1 on promoted periods): the
  target period's flag and the share of promoted periods in the last m;
- the series' scale (log), so volume can shape the answer.

Feature building is whole-array indexing (no loop over rows). Training origins step back from
the forecast origin by a week (daily) or a month, over about a year, so every target lies
before the origin: the model never sees what it is scored on. The latest window is held out
of the fit; its standardised errors give the quantiles (point + empirical residual quantiles,
one model per origin rather than one per quantile level, to keep the cost to one fit).
Too slow for the default family (seconds per 500 series), it is opt-in: name ``"gbm"`` in the
Test Bed's ``methods``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, cast

import numpy as np

from .forecast import Forecast, ForecastSpec, as_history, check_origins

MAX_TRAIN_ROWS = 50_000
MAX_SCALED = 50.0
TRAIN_YEARS = 1.0
_SCALE_FLOOR = 1e-3


def gbm(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    *,
    promo: np.ndarray | None = None,
    start_date: date | None = None,
    max_iter: int = 100,
    seed: int = 0,
    threads: int = 1,
) -> list[Forecast]:
    """Forecasts of the global model from each origin (one fit per origin).

    ``threads``: OpenMP threads for scikit-learn. One by default: Celery runs one process per
    core already, and on a shared machine OpenMP's spinning threads cost six times the CPU of
    one thread for the same fit (measured here).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="openmp"):
        return _gbm(history, spec, origins, promo, start_date, max_iter, seed,
                    HistGradientBoostingRegressor)  # fmt: skip


# The regressor class (scikit-learn's HistGradientBoostingRegressor; scikit-learn is untyped).
_Model = Callable[..., Any]


def _gbm(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None,
    promo: np.ndarray | None,
    start_date: date | None,
    max_iter: int,
    seed: int,
    model: _Model,
) -> list[Forecast]:
    values = as_history(history)
    n, periods = values.shape
    wanted = check_origins(periods, origins)
    horizon, m = spec.horizon, max(spec.season_length, 1)
    flags = _promo(promo, n, periods + horizon)
    calendar = _Calendar(start_date, m, periods + horizon)
    forecasts = []
    rng = np.random.default_rng(seed)
    final = max(wanted)
    for origin in wanted:
        seen = values[:, :origin]
        stride = 7 if m == 7 else 1
        span = int(TRAIN_YEARS * (364 if m == 7 else 12 if m == 12 else 52 * m))
        train_origins = origin - horizon - stride * np.arange(max(1, span // stride) + 1)
        train_origins = train_origins[train_origins >= 2 * m]
        point = np.zeros((n, horizon))
        quantiles = np.zeros((n, len(spec.levels), horizon))
        params: dict[str, np.ndarray] = {}
        if train_origins.size >= 2 and np.any(seen > 0):
            point, quantiles, importance = _fit_predict(
                seen, origin, train_origins, spec, flags, calendar, rng, max_iter, seed, model,
                explain=origin == final,
            )  # fmt: skip
            if importance:
                # One model for every series: each series' entry is the same mapping.
                shared = np.empty(n, dtype=object)
                shared[:] = [importance] * n
                params["importance"] = shared
        forecasts.append(Forecast("gbm", point, quantiles, spec.levels, params))
    return forecasts


def _fit_predict(
    seen: np.ndarray,
    origin: int,
    train_origins: np.ndarray,
    spec: ForecastSpec,
    flags: np.ndarray,
    calendar: _Calendar,
    rng: np.random.Generator,
    max_iter: int,
    seed: int,
    model: _Model,
    explain: bool = False,
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    n = seen.shape[0]
    horizon = spec.horizon
    # Scales never fall below a tenth of the portfolio's mean demand: a series that has just
    # started selling would otherwise divide its first sales by almost nothing.
    floor = max(_SCALE_FLOOR, 0.1 * float(seen.mean()))
    held_out = train_origins[:1]  # the latest window: errors for the quantiles
    fitted = train_origins[1:]
    # A global model needs many series, not all of them: past a few times the row budget,
    # learn from a random subset of series (every series is still forecast).
    learners = np.arange(n)
    per_series = len(fitted) * horizon
    if n * per_series > 4 * MAX_TRAIN_ROWS:
        learners = np.sort(rng.choice(n, max(1, 4 * MAX_TRAIN_ROWS // per_series), False))
    x_fit, y_fit = _rows(seen[learners], fitted, horizon, spec, flags[learners], calendar, floor)
    if len(y_fit) > MAX_TRAIN_ROWS:
        keep = rng.choice(len(y_fit), MAX_TRAIN_ROWS, replace=False)
        x_fit, y_fit = x_fit[keep], y_fit[keep]
    regressor = model(
        max_iter=max_iter,
        learning_rate=0.15,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=_CATEGORICAL,
        early_stopping=False,
        random_state=seed,
    )
    # A feature with no value at all (a year ago, on a short history) cannot be binned.
    empty = np.all(np.isnan(x_fit), axis=0)
    x_fit[:, empty] = 0.0
    regressor.fit(x_fit, y_fit)

    x_check, y_check = _rows(seen, held_out, horizon, spec, flags, calendar, floor)
    x_check[:, empty] = 0.0
    errors = (y_check - regressor.predict(x_check)).reshape(n, horizon)
    importance = {}
    if explain:  # its own generator: the forecasts stay what they were without it
        shuffles = np.random.default_rng(seed + 1)
        importance = _permutation_importance(regressor, x_check, y_check, errors, shuffles)
    # Per-series spread of the held-out errors (scaled units), pooled where a series has too
    # little to say; the pooled standardised errors' quantiles give each level.
    pooled_sd = float(np.sqrt(np.mean(errors**2))) or 1.0
    series_sd = np.sqrt(np.mean(errors**2, axis=1))
    weight = horizon / (horizon + 28.0)
    sd = np.sqrt(weight * series_sd**2 + (1 - weight) * pooled_sd**2)
    standard = errors / np.where(sd > 0, sd, 1.0)[:, None]
    z = np.quantile(standard, spec.levels)

    x_now, _ = _rows(seen, np.array([origin]), horizon, spec, flags, calendar, floor, future=True)
    x_now[:, empty] = 0.0
    scale = _scale(seen, np.array([origin]), spec.season_length, floor)[:, 0]
    predicted = np.maximum(regressor.predict(x_now).reshape(n, horizon), 0.0)
    point = predicted * scale[:, None]
    spread = (sd * scale)[:, None, None] * z[None, :, None]
    quantiles = np.maximum(point[:, None, :] + spread, 0.0)
    quantiles = np.maximum.accumulate(quantiles, axis=1)
    return point, quantiles, importance


IMPORTANCE_ROWS = 20_000


def _permutation_importance(
    regressor: Any,
    x_check: np.ndarray,
    y_check: np.ndarray,
    errors: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Per feature, the share of the held-out squared error that shuffling it adds (Breiman
    2001's permutation importance, one shuffle, on at most :data:`IMPORTANCE_ROWS` held-out
    rows): features whose shuffle adds nothing get 0, the shares of the others sum to 1.
    One prediction per feature: a fraction of the fit's cost."""
    rows = np.arange(len(y_check))
    if rows.size > IMPORTANCE_ROWS:
        rows = np.sort(rng.choice(rows.size, IMPORTANCE_ROWS, replace=False))
    x, y = x_check[rows], y_check[rows]
    baseline = float(np.mean(errors.reshape(-1)[rows] ** 2))
    added = np.zeros(len(FEATURES))
    for column in range(len(FEATURES)):  # a loop over features, not rows
        shuffled = x.copy()
        shuffled[:, column] = x[rng.permutation(len(rows)), column]
        added[column] = max(float(np.mean((y - regressor.predict(shuffled)) ** 2)) - baseline, 0.0)
    total = added.sum()
    if total <= 0:
        return {}
    return {name: round(float(v / total), 4) for name, v in zip(FEATURES, added, strict=True)}


class _Calendar:
    """Day of week and month (or place in the year) of every period index."""

    def __init__(self, start_date: date | None, m: int, periods: int) -> None:
        index = np.arange(periods)
        if start_date is not None and m == 7:
            days = np.datetime64(start_date, "D") + index
            self.week = ((days.astype(np.int64) + 3) % 7).astype(np.float64)  # Monday 0
            self.year = (days.astype("datetime64[M]").astype(np.int64) % 12).astype(np.float64)
        elif m == 7:
            self.week = (index % 7).astype(np.float64)
            self.year = np.floor((index % 365.25) / 365.25 * 12).astype(np.float64)
        else:
            self.week = np.zeros(periods)
            self.year = (index % max(m, 1)).astype(np.float64)


FEATURES = (
    "step",
    "lag_1",
    "lag_2",
    "lag_m",
    "lag_2m",
    "lag_4m",
    "same_position",
    "mean_m",
    "mean_4m",
    "mean_13m",
    "zero_share",
    "year_ago",
    "year_ago_week",
    "day_of_week",
    "season_position",
    "promo",
    "promo_share",
    "log_scale",
)
_CATEGORICAL = np.isin(np.array(FEATURES), ["day_of_week", "season_position"])


def _rows(
    seen: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    spec: ForecastSpec,
    flags: np.ndarray,
    calendar: _Calendar,
    floor: float,
    future: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix ``(series × origins × horizon, features)`` and scaled targets (empty
    when ``future``) for forecasts from each of ``origins``."""
    n, periods = seen.shape
    m = max(spec.season_length, 1)
    o = np.asarray(origins, dtype=np.int64)[None, :, None]  # (1, O, 1)
    j = np.arange(horizon)[None, None, :]  # (1, 1, H)
    target = o + j  # (1, O, H) period index of the target
    rows = np.arange(n)[:, None, None]
    padded = np.concatenate([np.full((n, 1), np.nan), seen], axis=1)  # index 0 = missing
    totals = np.concatenate([np.zeros((n, 1)), np.cumsum(seen, axis=1)], axis=1)
    zeros = np.concatenate([np.zeros((n, 1)), np.cumsum(seen == 0, axis=1)], axis=1)
    scale = _scale(seen, origins, m, floor)[:, :, None]  # (n, O, 1)

    def at(index: np.ndarray) -> np.ndarray:
        # The value of period ``index`` (nan when before the start or at/after o).
        valid = (index >= 0) & (index < o) & (index < periods)
        return np.where(valid, padded[rows, np.where(valid, index + 1, 0)], np.nan)

    def mean_before(width: int) -> np.ndarray:  # mean of the ``width`` periods before o
        start = np.maximum(o - width, 0)
        return cast(
            "np.ndarray", (totals[rows, o] - totals[rows, start]) / np.maximum(o - start, 1)
        )

    full = (n, len(origins), horizon)
    year = 364 if m == 7 else 12 if m == 12 else 0
    columns = {
        "step": np.broadcast_to(j, full),
        "lag_1": at(o - 1) / scale,
        "lag_2": at(o - 2) / scale,
        "lag_m": at(o - m) / scale,
        "lag_2m": at(o - 2 * m) / scale,
        "lag_4m": at(o - 4 * m) / scale,
        "same_position": at(target - m * ((j // m) + 1)) / scale,
        "mean_m": mean_before(m) / scale,
        "mean_4m": mean_before(4 * m) / scale,
        "mean_13m": mean_before(13 * m) / scale,
        "zero_share": (zeros[rows, o] - zeros[rows, np.maximum(o - 13 * m, 0)])
        / np.maximum(np.minimum(o, 13 * m), 1),
        "year_ago": at(target - year) / scale if year else np.full(full, np.nan),
        "year_ago_week": (
            _nanmean(np.stack([at(target - year + d) for d in range(-3, 4)])) / scale
            if m == 7 and year
            else np.full(full, np.nan)
        ),
        "day_of_week": calendar.week[target],
        "season_position": calendar.year[target],
        "promo": flags[rows, target],
        "promo_share": np.mean(
            np.stack([flags[rows, np.maximum(o - d, 0)] for d in range(1, m + 1)]), axis=0
        ),
        "log_scale": np.log(scale),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.stack([np.broadcast_to(columns[name], full) for name in FEATURES], axis=-1)
    features = matrix.reshape(-1, len(FEATURES))
    if future:
        return features, np.empty(0)
    # Scaled targets are capped: one burst of a slow mover must not own the squared loss.
    targets = np.minimum(seen[rows, np.minimum(target, periods - 1)] / scale, MAX_SCALED)
    return features, np.broadcast_to(targets, full).reshape(-1)


def _nanmean(stack: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing windows stay nan
        return cast("np.ndarray", np.nanmean(stack, axis=0))


def _scale(seen: np.ndarray, origins: np.ndarray, m: int, floor: float) -> np.ndarray:
    """``(series, origins)`` mean demand of the 13 seasons (91 days) before each origin, at
    least ``floor``."""
    totals = np.concatenate([np.zeros((seen.shape[0], 1)), np.cumsum(seen, axis=1)], axis=1)
    o = np.asarray(origins, dtype=np.int64)
    start = np.maximum(o - 13 * m, 0)
    mean = (totals[:, o] - totals[:, start]) / np.maximum(o - start, 1)[None, :]
    return cast("np.ndarray", np.maximum(mean, floor))


def _promo(promo: np.ndarray | None, n: int, periods: int) -> np.ndarray:
    if promo is None:
        return np.zeros((n, periods))
    flags = np.asarray(promo, dtype=np.float64)
    if flags.shape != (n, periods):
        raise ValueError(f"promo must be (series, periods + horizon) = ({n}, {periods})")
    if not np.isfinite(flags).all():
        raise ValueError("promo must be finite (1 on promoted periods, 0 elsewhere)")
    return flags
