"""The Test Bed core: rolling-origin backtest, leaderboard, recommended method per series and
an ensemble of the best methods.

Rolling origin (Tashman 2000): each fold forecasts ``horizon`` periods from an origin and
scores against what happened; origins step back by ``step`` periods from the end. A method
sees only ``history[:, :origin]`` at each origin, never the periods it is scored on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import calibration as calibration_
from . import campaigns as campaigns_
from . import cleaning, metrics
from .classification import (
    ERRATIC,
    INTERMITTENT,
    LUMPY,
    NO_DEMAND,
    SMOOTH,
    Classification,
    classify,
)
from .forecast import (
    ADI_CUTOFF,
    Forecast,
    ForecastSpec,
    as_history,
    is_count_like,
    prediction_interval,
    prefix_statistics,
)
from .methods import FAST_METHODS, GLOBAL_METHODS, global_method_named, method_named
from .yearly import YearlyProfile, months_of, wants_yearly, yearly_profile

SCORES = (
    "mae",
    "rmse",
    "wape",
    "bias",
    "mase",
    "rmsse",
    "pinball",
    "coverage",
    "wape_week",
    "wape_month",
    "bias_pct",
)
# Planner buckets of the backtest horizon, counted from the origin: a week is 7 days, a month
# 4 whole weeks (28 days); a fold shorter than one bucket has no score there (NaN).
BUCKET_DAYS = {"wape_week": 7, "wape_month": 28}
# Scores where lower is better and that rank methods; bias and coverage only describe.
RANKING_SCORES = ("mae", "rmse", "wape", "mase", "rmsse", "pinball")

# Series too new for a backtest get the method that suits their pattern on little data.
FALLBACK_BY_PATTERN: dict[str, str] = {
    SMOOTH: "ses",
    ERRATIC: "moving_average",
    INTERMITTENT: "sba",
    LUMPY: "tsb",
    NO_DEMAND: "naive",
}


@dataclass(frozen=True)
class Backtest:
    """Scores per series and method, averaged over folds: ``scores[name]`` is
    ``(series, methods)``; ``pinball_by_level`` is ``(series, methods, levels)``. Coverage is
    of the interval between the lowest and highest forecast levels."""

    methods: tuple[str, ...]
    origins: tuple[int, ...]
    horizon: int
    levels: tuple[float, ...]
    scores: Mapping[str, np.ndarray]
    pinball_by_level: np.ndarray

    def leaderboard(self, score: str = "rmsse") -> np.ndarray:
        """Method names per series, best first, ``(series, methods)``."""
        order = np.argsort(_ranking_matrix(self, score), axis=1, kind="stable")
        return np.asarray(self.methods, dtype=object)[order]


@dataclass(frozen=True)
class Recommendation:
    """Per series: the recommended method's name and why (``backtest`` or ``fallback``);
    ``band_method`` the method whose quantiles the selection carries when the bands are ranked
    by another score than the point (:func:`run_test_bed`), else ``None`` (the same method)."""

    method: np.ndarray
    reason: np.ndarray
    band_method: np.ndarray | None = None


@dataclass(frozen=True)
class ForecastSelection:
    """Everything the Test Bed produces for one set of series."""

    classification: Classification
    backtest: Backtest
    recommendation: Recommendation
    forecasts: Mapping[str, Forecast]
    selected: Forecast
    ensemble: Forecast
    seconds: Mapping[str, float]
    yearly: YearlyProfile | None = None
    calibration: calibration_.Calibration | None = None
    stockout: np.ndarray | None = None
    uplift: campaigns_.Uplift | None = None


def rolling_origins(
    periods: int, horizon: int, folds: int, step: int | None = None
) -> tuple[int, ...]:
    """Origins of ``folds`` backtest folds, oldest first; the last fold ends at ``periods``."""
    step = step or horizon
    origins = tuple(periods - horizon - k * step for k in reversed(range(folds)))
    if folds < 1 or origins[0] < 2:
        raise ValueError(f"{periods} periods are too few for {folds} folds of {horizon}")
    return origins


def backtest(
    history: np.ndarray,
    spec: ForecastSpec,
    methods: Sequence[str] = FAST_METHODS,
    folds: int = 3,
    step: int | None = None,
    yearly: bool | None = None,
    start_date: date | None = None,
    promo: np.ndarray | None = None,
) -> Backtest:
    """Rolling-origin backtest of every method on every series (with the yearly profile of
    :func:`run_test_bed`, fitted before the earliest origin)."""
    values = as_history(history)
    origins = rolling_origins(values.shape[1], spec.horizon, folds, step)
    runs, _profile, _seconds = _run_methods(
        values, spec, methods, origins, origins[0], yearly, start_date, promo
    )
    return _score(values, spec, origins, runs)


def fit_yearly(
    values: np.ndarray,
    spec: ForecastSpec,
    cutoff: int,
    yearly: bool | None,
    start_date: date | None = None,
) -> YearlyProfile | None:
    """The yearly profile from ``values[:, :cutoff]`` when the rule of
    :func:`yearly.wants_yearly` asks for one and some series carry a yearly swing; with the
    ``start_date`` of the first period (daily data) it is a month-of-year index."""
    if not wants_yearly(spec.season_length, cutoff, yearly):
        return None
    periods = values.shape[1] + spec.horizon
    months = months_of(start_date, periods) if start_date is not None else None
    profile = yearly_profile(values, cutoff, periods, months=months)
    return profile if profile.rows.any() else None


def _run_methods(
    values: np.ndarray,
    spec: ForecastSpec,
    names: Sequence[str],
    origins: Sequence[int],
    cutoff: int,
    yearly: bool | None,
    start_date: date | None = None,
    promo: np.ndarray | None = None,
) -> tuple[dict[str, list[Forecast]], YearlyProfile | None, dict[str, float]]:
    """Every method from every origin, on the yearly-adjusted history when there is a
    profile (fitted before ``cutoff``), forecasts put back on the original scale."""
    profile = fit_yearly(values, spec, cutoff, yearly, start_date)
    fitted = profile.adjust(values) if profile is not None else values
    runs: dict[str, list[Forecast]] = {}
    seconds: dict[str, float] = {}
    with prefix_statistics(fitted):
        for name in names:
            started = time.process_time()
            if name in GLOBAL_METHODS:
                method = global_method_named(name)
                run = method(values, spec, tuple(origins), promo=promo, start_date=start_date)
            else:
                run = method_named(name)(fitted, spec, tuple(origins))
                if profile is not None:
                    run = [profile.reseason(f, o) for f, o in zip(run, origins, strict=True)]
            runs[name] = run
            seconds[name] = time.process_time() - started
    return runs, profile, seconds


def _score(
    values: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int],
    runs: Mapping[str, Sequence[Forecast]],
) -> Backtest:
    n, horizon = values.shape[0], spec.horizon
    names = tuple(runs)
    sums = {score: np.zeros((n, len(names))) for score in SCORES}
    pinball_sum = np.zeros((n, len(names), len(spec.levels)))
    # The scales of MASE and RMSSE depend on the fold only: compute them once per fold.
    ones = np.ones((n, 1))
    scales = {
        origin: (
            metrics.mase(ones, np.zeros((n, 1)), values[:, :origin], spec.season_length),
            metrics.rmsse(ones, np.zeros((n, 1)), values[:, :origin]),
        )
        for origin in origins
    }
    for column, name in enumerate(names):
        for origin, fold in zip(origins, runs[name], strict=False):
            actual = values[:, origin : origin + horizon]
            point = fold.point[:, : actual.shape[1]]
            quantiles = fold.quantiles[:, :, : actual.shape[1]]
            by_level = metrics.pinball(actual, quantiles, spec.levels)
            pinball_sum[:, column] += by_level
            mae, rmse = metrics.mae(actual, point), metrics.rmse(actual, point)
            # mase(ones, zeros) is 1 / scale (nan where the scale is undefined).
            inverse_mase, inverse_rmsse = scales[origin]
            found = {
                "mae": mae,
                "rmse": rmse,
                "wape": metrics.wape(actual, point),
                "bias": metrics.bias(actual, point),
                "mase": mae * inverse_mase,
                "rmsse": rmse * inverse_rmsse,
                "pinball": by_level.mean(axis=1),
                "coverage": metrics.coverage(actual, *_interval(quantiles, spec.levels)),
                # Σ(f − y) / Σy: the same whatever the bucket, so one figure serves them all.
                "bias_pct": metrics.relative_bias(actual, point),
                **{
                    name: metrics.bucket_wape(actual, point, days)
                    for name, days in BUCKET_DAYS.items()
                },
            }
            for score, value in found.items():
                sums[score][:, column] += value
    folds = len(origins)
    return Backtest(
        methods=names,
        origins=tuple(origins),
        horizon=horizon,
        levels=spec.levels,
        scores={score: total / folds for score, total in sums.items()},
        pinball_by_level=pinball_sum / folds,
    )


def _merge_backtests(first: Backtest, second: Backtest) -> Backtest:
    """The methods of ``first`` then of ``second`` (same series, origins and levels)."""
    return Backtest(
        methods=(*first.methods, *second.methods),
        origins=first.origins,
        horizon=first.horizon,
        levels=first.levels,
        scores={
            score: np.concatenate([first.scores[score], second.scores[score]], axis=1)
            for score in first.scores
        },
        pinball_by_level=np.concatenate([first.pinball_by_level, second.pinball_by_level], axis=1),
    )


def _ranking_matrix(result: Backtest, score: str) -> np.ndarray:
    if score not in RANKING_SCORES:
        raise ValueError(f"rank by one of {RANKING_SCORES}, not {score!r}")
    primary = result.scores[score]
    # Scaled scores are undefined where the history never changed (constant or all-zero
    # series); rank those series by RMSE instead.
    fallback = result.scores["rmse"]
    undefined = np.isnan(primary).any(axis=1, keepdims=True)
    return np.where(undefined, fallback, primary)


def recommend(
    result: Backtest,
    classification: Classification,
    score: str = "rmsse",
    fallback: Mapping[str, str] = FALLBACK_BY_PATTERN,
    *,
    shrinkage: float = 0.0,
    new_items: str = "fallback",
) -> Recommendation:
    """Lowest backtest ``score`` per series; series flagged new get their pattern's fallback.

    ``shrinkage`` w in [0, 1] pulls each series' scores toward its pattern's: the choice
    minimises ``(1 − w)·own + w·pattern mean``, both relative to the series' mean score over
    methods (so series of any scale pool). A few folds of a short, sparse series rank methods
    by noise; the pattern's thousands of folds do not. ``new_items="class_best"`` gives new
    series the method with the best mean relative score over their pattern (its backtest
    across all its series) instead of the fixed ``fallback`` table; series without demand
    keep the table's method either way. The reason stays ``fallback`` for new series.
    """
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError("shrinkage must lie in [0, 1]")
    if new_items not in ("fallback", "class_best"):
        raise ValueError("new_items is 'fallback' or 'class_best'")
    ranking = _ranking_matrix(result, score)
    names = np.asarray(result.methods, dtype=object)
    pattern = classification.pattern
    fallback_method = np.array([fallback[p] for p in pattern], dtype=object)
    if shrinkage > 0.0 or new_items == "class_best":
        relative, pooled = _relative_scores(ranking, pattern)
        best = names[np.argmin((1.0 - shrinkage) * relative + shrinkage * pooled, axis=1)]
        if new_items == "class_best":
            class_best = names[np.argmin(pooled, axis=1)]
            fallback_method = np.where(pattern == NO_DEMAND, fallback_method, class_best)
    else:
        best = names[np.argmin(ranking, axis=1)]
    new = classification.new_item
    return Recommendation(
        method=np.where(new, fallback_method, best),
        reason=np.where(new, "fallback", "backtest"),
    )


def _relative_scores(ranking: np.ndarray, pattern: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series' scores over its mean score, and the mean of those over its pattern, both
    ``(series, methods)``; a non-finite score counts as the series' worst."""
    finite = np.isfinite(ranking)
    worst = np.max(np.where(finite, ranking, -np.inf), axis=1, keepdims=True)
    filled = np.where(finite, ranking, np.where(np.isfinite(worst), worst, 1.0))
    scale = filled.mean(axis=1, keepdims=True)
    relative = np.where(scale > 0, filled / np.where(scale > 0, scale, 1.0), 1.0)
    pooled = np.empty_like(relative)
    for name in np.unique(pattern):
        rows = pattern == name
        pooled[rows] = relative[rows].mean(axis=0)
    return relative, pooled


def select(
    forecasts: Mapping[str, Forecast], method: np.ndarray, band_method: np.ndarray | None = None
) -> Forecast:
    """One forecast holding, for each series, the point of its chosen ``method`` and the
    quantiles of its ``band_method`` (the same method when ``None``)."""
    sample = next(iter(forecasts.values()))
    point = np.empty_like(sample.point)
    quantiles = np.empty_like(sample.quantiles)
    bands = method if band_method is None else band_method
    for name in np.unique(method):
        rows = np.flatnonzero(method == name)
        point[rows] = forecasts[name].point[rows]
    for name in np.unique(bands):
        rows = np.flatnonzero(bands == name)
        quantiles[rows] = forecasts[name].quantiles[rows]
    params = {"method": method} if band_method is None else {"method": method, "band": bands}
    return Forecast("selected", point, quantiles, sample.levels, params)


# Sparse patterns whose point method is their pattern's best single one (run_test_bed), ranked
# over up to POOLED_FOLDS folds of the horizon (a year of origins on daily data) where the
# history allows: more evidence than the Test Bed's folds for one choice per pattern.
POOLED_PATTERNS: tuple[str, ...] = (INTERMITTENT, LUMPY)
POOLED_FOLDS = 12


def pattern_choice(
    fitted: np.ndarray,
    scored: np.ndarray,
    spec: ForecastSpec,
    methods: Sequence[str],
    pattern: np.ndarray,
    rows: np.ndarray,
    score: str,
    *,
    folds: int = POOLED_FOLDS,
    more_than: int = 0,
    yearly: bool | None = None,
    start_date: date | None = None,
) -> tuple[np.ndarray, int] | None:
    """Per series of ``rows`` (bool), its pattern's best method among ``methods`` by the mean
    relative ``score`` (:func:`recommend` with shrinkage 1) over a backtest of the ``rows``
    with as many folds of ``spec.horizon`` as fit, at most ``folds``, each origin leaving at
    least two seasons and two horizons of history. The methods fit ``fitted`` and are scored
    on ``scored``; ``(methods per row of rows, folds used)``, or ``None`` when no row or no
    method is asked for or no more than ``more_than`` folds fit."""
    if not rows.any() or not methods:
        return None
    periods = scored.shape[1]
    least = 2 * max(spec.season_length, spec.horizon)
    fitting = min(folds, (periods - least) // spec.horizon)
    if fitting < max(1, more_than + 1):
        return None
    origins = rolling_origins(periods, spec.horizon, fitting)
    runs, _profile, _seconds = _run_methods(
        fitted[rows], spec, methods, origins, origins[0], yearly, start_date
    )
    result = _score(scored[rows], spec, origins, runs)
    _relative, pooled = _relative_scores(_ranking_matrix(result, score), pattern[rows])
    names = np.asarray(result.methods, dtype=object)
    return names[np.argmin(pooled, axis=1)], fitting


COMBO = "combo"
COMBO_SIZES = (2, 3)
# New series (too short for a backtest of their own) take the mean of two methods that start
# at the first sale: a long-memory level on the weekly-adjusted history and the estimated ETS
# (trend and season chosen by AIC) — no fold can rank methods for them, so the forecast
# hedges between a flat and a trending/seasonal model (``run_test_bed(new_items="launch")``,
# ADR 40 addendum 2).
LAUNCH = "launch"
LAUNCH_MEMBERS = ("ses_lead_profiled", "ets")
# Only new series that sell in most periods since their first sale (average inter-demand
# interval below the engine's cutoff: a launch) or with sales in at least this many seasons'
# worth of periods (14 selling days of daily data, 24 selling months of monthly): the
# estimated ETS has something to fit. Monthly car parts "new" for years after a few sales keep
# their pattern's best method (the launch forecast there was 1.6 % worse by RMSSE).
LAUNCH_MIN_SALES_SEASONS = 2


def _launch_runs(
    fitted: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int],
    runs: Mapping[str, Sequence[Forecast]],
    rows: np.ndarray,
    profile: YearlyProfile | None,
) -> list[Forecast]:
    """The :data:`LAUNCH` candidate from every origin: on ``rows`` the mean of the
    :data:`LAUNCH_MEMBERS` (those not in ``runs`` are run on these rows only, on the
    yearly-adjusted history like :func:`_run_methods`), elsewhere the first member."""
    members: list[Sequence[Forecast]] = []
    for name in LAUNCH_MEMBERS:
        if name in runs:
            members.append([_take(f, rows) for f in runs[name]])
            continue
        subset = fitted[rows]
        sub_profile = None
        if profile is not None:
            sub_profile = YearlyProfile(
                profile.rows[rows], profile.index[rows], profile.cutoff, profile.spread_power
            )
            subset = sub_profile.adjust(subset)
        run = method_named(name)(subset, spec, tuple(origins))
        if sub_profile is not None:
            run = [sub_profile.reseason(f, o) for f, o in zip(run, origins, strict=True)]
        members.append(run)
    out = []
    for index, base in enumerate(runs[LAUNCH_MEMBERS[0]]):
        mean = mean_forecast([member[index] for member in members], LAUNCH)
        point, quantiles = base.point.copy(), base.quantiles.copy()
        point[rows], quantiles[rows] = mean.point, mean.quantiles
        out.append(Forecast(LAUNCH, point, quantiles, base.levels, {}))
    return out


def _take(forecast: Forecast, rows: np.ndarray) -> Forecast:
    return Forecast(
        forecast.method, forecast.point[rows], forecast.quantiles[rows], forecast.levels, {}
    )


def mean_forecast(forecasts: Sequence[Forecast], method: str) -> Forecast:
    """The mean of ``forecasts`` (same series, horizon and levels), quantiles level by level."""
    first = forecasts[0]
    point = np.mean([f.point for f in forecasts], axis=0)
    quantiles = np.mean([f.quantiles for f in forecasts], axis=0)
    return Forecast(method, point, quantiles, first.levels, {})


def combine(
    runs: Mapping[str, Sequence[Forecast]], ranking: np.ndarray, names: Sequence[str], size: int
) -> list[Forecast]:
    """Per series, the mean of the forecasts of its ``size`` best ``names`` by ``ranking``
    ``(series, names)`` (lower is better), for every origin of ``runs`` (each method's list of
    forecasts, one per origin); quantiles are averaged level by level (quantile averaging keeps
    them ordered). ``params["members"]`` names the members per series."""
    size = max(1, min(size, len(names)))
    filled = np.where(np.isfinite(ranking), ranking, np.inf)
    top = np.argsort(filled, axis=1, kind="stable")[:, :size]  # (series, size)
    members = np.array(["+".join(names[i] for i in row) for row in top], dtype=object)
    rows = np.arange(top.shape[0])
    combined = []
    for index in range(len(runs[names[0]])):
        points = np.stack([runs[name][index].point for name in names])
        quantiles = np.stack([runs[name][index].quantiles for name in names])
        point = points[top.T, rows[None, :]].mean(axis=0)
        quantile = quantiles[top.T, rows[None, :]].mean(axis=0)
        levels = runs[names[0]][index].levels
        combined.append(Forecast(COMBO, point, quantile, levels, {"members": members}))
    return combined


def _duplicates(
    runs: Mapping[str, Sequence[Forecast]], names: Sequence[str], folds: int
) -> np.ndarray:
    """``(series, names)``: the method's fold forecasts repeat those of an earlier method for
    that series (Holt-Winters multiplicative falls back to the additive season on series with
    zeros); a combination counts each forecast once."""
    n = runs[names[0]][0].point.shape[0]
    repeated = np.zeros((n, len(names)), dtype=bool)
    for j in range(1, len(names)):
        for i in range(j):
            same = np.ones(n, dtype=bool)
            for index in range(folds):
                a, b = runs[names[i]][index].point, runs[names[j]][index].point
                same &= np.all(a == b, axis=1)
            repeated[:, j] |= same
    return repeated


def _combo_runs(
    values: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int],
    runs: Mapping[str, Sequence[Forecast]],
    result: Backtest,
    score: str,
    sizes: Sequence[int],
    pattern: np.ndarray,
    shrinkage: float,
) -> list[Forecast]:
    """The combination candidate over the fold and final origins of ``runs``: for each size
    k of ``sizes`` the mean of each series' k best methods by backtest ``score`` (shrunk
    toward the pattern's like :func:`recommend`, so members are not picked by the noise of a
    few folds); per series the k whose combination scores best on the folds.

    The members are ranked on the same folds the combination is then scored on (measured:
    ranking them on the other folds only scored worse on held-out data of both seeds of the
    mixed generator, ADR 23)."""
    names = list(result.methods)
    ranking = _ranking_matrix(result, score)
    if shrinkage > 0.0:
        relative, pooled = _relative_scores(ranking, pattern)
        ranking = (1.0 - shrinkage) * relative + shrinkage * pooled
    ranking = np.where(_duplicates(runs, names, len(origins)), np.inf, ranking)
    candidates = [combine(runs, ranking, names, k) for k in sizes]
    if len(candidates) == 1:
        return candidates[0]
    folds = len(origins)
    scored = _score(
        values, spec, origins, {str(k): c[:folds] for k, c in zip(sizes, candidates, strict=True)}
    )
    best = np.argmin(np.nan_to_num(_ranking_matrix(scored, score), nan=np.inf), axis=1)
    rows = np.arange(len(best))
    picked = []
    for index in range(len(candidates[0])):
        first = candidates[0][index]
        point = np.stack([c[index].point for c in candidates])[best, rows]
        quantiles = np.stack([c[index].quantiles for c in candidates])[best, rows]
        members = np.stack([c[index].params["members"] for c in candidates])[best, rows]
        picked.append(Forecast(COMBO, point, quantiles, first.levels, {"members": members}))
    return picked


def ensemble(
    forecasts: Mapping[str, Forecast],
    result: Backtest,
    score: str = "rmsse",
    size: int = 3,
    weighting: str = "median",
) -> Forecast:
    """Combine each series' ``size`` best methods by backtest ``score``: the median of their
    forecasts, or a mean weighted by 1 / score (``weighting="inverse_error"``). Quantiles are
    combined level by level (quantile averaging, Lichtendahl, Grushka-Cockayne & Winkler 2013),
    which keeps them ordered."""
    if weighting not in ("median", "inverse_error"):
        raise ValueError("weighting is 'median' or 'inverse_error'")
    names = [name for name in result.methods if name in forecasts]
    columns = [result.methods.index(name) for name in names]
    ranking = _ranking_matrix(result, score)[:, columns]
    size = max(1, min(size, len(names)))
    top = np.argsort(ranking, axis=1, kind="stable")[:, :size]  # (series, size)
    points = np.stack([forecasts[name].point for name in names])  # (methods, series, horizon)
    quantiles = np.stack([forecasts[name].quantiles for name in names])
    rows = np.arange(points.shape[1])
    chosen_points = points[top.T, rows[None, :]]  # (size, series, horizon)
    chosen_quantiles = quantiles[top.T, rows[None, :]]
    if weighting == "median":
        point = np.median(chosen_points, axis=0)
        combined = np.median(chosen_quantiles, axis=0)
    else:
        errors = np.take_along_axis(ranking, top, axis=1).T  # (size, series)
        weights = 1.0 / np.maximum(np.nan_to_num(errors, nan=np.inf), 1e-9)
        weights = weights / weights.sum(axis=0, keepdims=True)
        point = np.einsum("ks,ksh->sh", weights, chosen_points)
        combined = np.einsum("ks,kslh->slh", weights, chosen_quantiles)
    members = np.array(["+".join(names[i] for i in row) for row in top], dtype=object)
    return Forecast("ensemble", point, combined, forecasts[names[0]].levels, {"members": members})


def run_test_bed(
    history: np.ndarray,
    spec: ForecastSpec,
    methods: Sequence[str] = FAST_METHODS,
    folds: int = 3,
    score: str = "pinball",
    ensemble_size: int = 3,
    ensemble_weighting: str = "median",
    new_item_periods: int | None = None,
    *,
    yearly: bool | None = None,
    calibrate: bool = True,
    start_date: date | None = None,
    shrinkage: float = 0.75,
    new_items: str = "launch",
    promo: np.ndarray | None = None,
    point_score: str | None = "rmsse",
    combo_sizes: Sequence[int] = COMBO_SIZES,
    stockout: np.ndarray | None = None,
    infer_stockouts: bool = True,
    winsorise: bool = True,
    in_stock: np.ndarray | None = None,
    campaign: np.ndarray | None = None,
    campaign_group: np.ndarray | None = None,
    expected_uplift: np.ndarray | None = None,
    pooled_patterns: Sequence[str] = POOLED_PATTERNS,
) -> ForecastSelection:
    """Classify, backtest every method, recommend one per series, and forecast ``spec.horizon``
    periods past the end of ``history`` with every method, the selection and the ensemble.

    Each method runs once over the history for all fold origins and the final origin;
    ``seconds`` holds each method's CPU seconds (fold and final forecasts together). A series
    is new (fallback by pattern) when it has sold for fewer periods than the backtest needs:
    ``folds × horizon`` plus two seasons, unless ``new_item_periods`` says otherwise.

    ``yearly``: fit a yearly profile (:mod:`yearly`) before the earliest backtest origin and
    run every method on the adjusted history — ``None`` decides automatically (daily data with
    ≥ 400 periods before that origin), ``False`` never; ``start_date`` (the date of the first
    period, daily data) makes it a month-of-year index. ``calibrate``: rescale each method's
    final quantiles by the factors its backtest folds imply per demand pattern
    (:mod:`calibration`); the backtest scores themselves are of the raw quantiles.
    ``score`` ranks methods for the recommendation and the ensemble: the mean pinball loss over
    the quantile levels by default (a probabilistic score that rewards the median and the
    spread; on intermittent demand point scores such as RMSSE prefer forecasts near zero and
    rank by noise), or any of :data:`RANKING_SCORES`.
    ``shrinkage`` and ``new_items``: see :func:`recommend` (defaults: three quarters toward the
    pattern's scores). ``new_items="launch"`` (default) gives new series (not those without
    demand) the :data:`LAUNCH` candidate — the mean of :data:`LAUNCH_MEMBERS`, the second run
    on the new series only — and ranks their bands as ``"class_best"``; it needs
    ``ses_lead_profiled`` among ``methods`` and falls back to ``"class_best"`` (their
    pattern's best method by backtest) without it.
    ``promo`` ``(series, periods + horizon)``: promotion flags for the global methods
    (``"gbm"``, opt-in through ``methods``).

    ``point_score`` (default RMSSE) ranks methods for the point forecast separately from the
    bands (ADR 23): the recommendation is the point method, ``recommendation.band_method`` the
    method ranked best by ``score``, and ``selected`` carries the point of the one and the
    (calibrated) quantiles of the other. ``None`` ranks both by ``score`` (one method).
    ``combo_sizes``: the candidate :data:`COMBO` — per series the mean of its k best methods
    by the point score, k among these sizes chosen per series on the same folds — competes
    like any method (its fold forecasts are the members' fold forecasts averaged, so it costs
    no extra run); ``()`` leaves it out.
    ``pooled_patterns``: where the history holds more folds than ``folds`` (up to
    :data:`POOLED_FOLDS`), series of these demand patterns (default intermittent and lumpy)
    that are not new take their pattern's best single method by the point score over all its
    series and those folds (:func:`pattern_choice`; no combination): a sparse series' few
    folds rank methods by noise, and the combination's fold score flatters it (its members
    and size are picked on the same folds). Measured in ADR 40's addendum; with no more folds
    than the Test Bed's (monthly car parts) the per-series choice stays.

    Censored demand and spikes (:mod:`cleaning`): days of ``stockout`` ``(series, periods)``
    (the import's flags) and, with ``infer_stockouts``, zero runs implausible for the series
    are treated as missing — filled from the same weekdays around them — in classification,
    fitting, backtest scores and calibration (``ForecastSelection.stockout`` holds the mask).
    ``winsorise`` caps spikes of the fitting history of series that are not count-like
    (backtests score the uncapped history). ``in_stock`` ``(series, periods)``: days the
    import says were *not* stockouts; an inferred flag never overrides them.

    Campaigns (:mod:`campaigns`, ADR 32): ``campaign`` ``(series, periods + horizon)`` flags
    the days of known promotions, past and future. Past ones are filled like stockouts in the
    fitting history (not in the scored one), each series' uplift is learned from them (pooled
    by ``campaign_group`` codes, with ``expected_uplift`` as the prior where given), and every
    fold and final forecast is multiplied by it on its campaign days (the global methods'
    ``promo`` stays separate: they see the filled history too).
    """
    raw = as_history(history)
    values, censored = cleaning.censor(
        raw, stockout, in_stock, infer=infer_stockouts, season=spec.season_length
    )
    periods = values.shape[1]
    past_campaign = np.zeros(raw.shape, dtype=bool)
    if campaign is not None:
        campaign = np.asarray(campaign, dtype=bool)
        if campaign.shape != (raw.shape[0], periods + spec.horizon):
            raise ValueError("campaign must be (series, periods + horizon)")
        past_campaign = campaign[:, :periods] & ~censored
    baseline = values
    local = values
    if past_campaign.any():
        missing = censored | past_campaign
        local = campaigns_.local_mean(values, missing)
        baseline = cleaning.impute(raw, missing, spec.season_length)
        # Count-like series: the weekday median of a few weeks is mostly zero; the local mean
        # fills their campaign days instead.
        counts = is_count_like(values)[:, None] & past_campaign
        baseline = np.where(counts, local, baseline)
    origins = rolling_origins(periods, spec.horizon, folds)
    needed = new_item_periods or folds * spec.horizon + 2 * spec.season_length
    classification = classify(baseline, new_item_periods=needed)
    names = list(dict.fromkeys([*methods, *FALLBACK_BY_PATTERN.values()]))
    fitted = baseline
    if winsorise:
        # Only series that sell most periods: a sparse series whose filled stockout days are
        # fractional is no longer count-like, and capping it at the band of its mostly-zero
        # fortnight medians cut its demand by two thirds (ADR 40 addendum).
        frequent = classification.adi < ADI_CUTOFF
        fitted = cleaning.winsorise(baseline, ~is_count_like(baseline) & frequent)
    runs, profile, seconds = _run_methods(
        fitted, spec, names, (*origins, periods), origins[0], yearly, start_date, promo
    )
    uplift = None
    if campaign is not None and campaign.any():
        uplift = campaigns_.learn_uplift(raw, local, past_campaign, campaign_group, expected_uplift)
        factor = uplift.factor
        starts = (*origins, periods)
        runs = {
            name: [
                campaigns_.lift(forecast, campaign[:, start : start + spec.horizon], factor)
                for forecast, start in zip(run, starts, strict=True)
            ]
            for name, run in runs.items()
        }
    folds_by_method = {name: runs[name][:-1] for name in methods}
    result = _score(values, spec, origins, folds_by_method)
    point_rank = point_score or score
    singles = result
    if combo_sizes and len(methods) > 1:
        started = time.process_time()
        scored_runs = {name: runs[name] for name in methods}
        runs[COMBO] = _combo_runs(
            values,
            spec,
            origins,
            scored_runs,
            result,
            point_rank,
            combo_sizes,
            classification.pattern,
            shrinkage,
        )
        result = _merge_backtests(result, _score(values, spec, origins, {COMBO: runs[COMBO][:-1]}))
        seconds[COMBO] = time.process_time() - started
    selling = baseline > 0
    sales = selling.sum(axis=1)
    since = periods - np.where(selling.any(axis=1), np.argmax(selling, axis=1), periods)
    # Sells in most periods since its first sale (a launch), or has sold in enough of them.
    dense = since < ADI_CUTOFF * np.maximum(sales, 1)
    fresh = (
        classification.new_item
        & (classification.pattern != NO_DEMAND)
        & (dense | (sales >= LAUNCH_MIN_SALES_SEASONS * spec.season_length))
    )
    launch = new_items == "launch" and LAUNCH_MEMBERS[0] in runs and bool(fresh.any())
    if launch:
        started = time.process_time()
        runs[LAUNCH] = _launch_runs(fitted, spec, (*origins, periods), runs, fresh, profile)
        scored = _score(values, spec, origins, {LAUNCH: runs[LAUNCH][:-1]})
        result = _merge_backtests(result, scored)
        seconds[LAUNCH] = time.process_time() - started
    ranked_new_items = "class_best" if new_items == "launch" else new_items
    recommendation = recommend(
        result, classification, point_rank, shrinkage=shrinkage, new_items=ranked_new_items
    )
    if launch:
        recommendation = Recommendation(
            np.where(fresh, LAUNCH, recommendation.method), recommendation.reason
        )
    sparse = np.isin(classification.pattern, list(pooled_patterns)) & ~classification.new_item
    if sparse.any():
        started = time.process_time()
        own_methods = [name for name in methods if name not in GLOBAL_METHODS]
        longer = pattern_choice(
            fitted,
            values,
            spec,
            own_methods,
            classification.pattern,
            sparse,
            point_rank,
            more_than=folds,
            yearly=yearly,
            start_date=start_date,
        )
        if longer is not None:
            method = recommendation.method.copy()
            method[sparse] = longer[0]
            recommendation = Recommendation(method, recommendation.reason)
        seconds["pattern_choice"] = time.process_time() - started
    if point_rank != score:
        # The bands come from single methods: a combination's members are ranked by the point
        # score, and averaged quantiles under-cover (measured, ADR 23).
        bands = recommend(
            singles, classification, score, shrinkage=shrinkage, new_items=ranked_new_items
        )
        recommendation = Recommendation(
            recommendation.method, recommendation.reason, band_method=bands.method
        )
    final = {name: run[-1] for name, run in runs.items()}
    calibration = None
    if calibrate:
        calibration = calibration_.fit(
            values,
            origins,
            {name: run[:-1] for name, run in runs.items()},
            classification.pattern,
            spec.levels,
        )
        final = {
            name: calibration.apply(forecast, classification.pattern)
            for name, forecast in final.items()
        }
    # The fold forecasts are scored and calibrated on: free them before the ensemble stacks
    # every method's final forecast (peak memory of a large batch).
    del runs, folds_by_method
    singles_final = {
        name: forecast for name, forecast in final.items() if name not in (COMBO, LAUNCH)
    }
    return ForecastSelection(
        classification=classification,
        backtest=result,
        recommendation=recommendation,
        forecasts=final,
        selected=select(final, recommendation.method, recommendation.band_method),
        ensemble=ensemble(singles_final, singles, score, ensemble_size, ensemble_weighting),
        seconds=seconds,
        yearly=profile,
        calibration=calibration,
        stockout=censored,
        uplift=uplift,
    )


def _interval(quantiles: np.ndarray, levels: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The 90% prediction interval; the outermost two levels when the spec lacks p05/p95."""
    try:
        return prediction_interval(quantiles, levels)
    except KeyError:
        return quantiles[:, 0], quantiles[:, -1]
