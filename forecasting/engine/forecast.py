"""The shapes every method shares: the request (:class:`ForecastSpec`), the answer
(:class:`Forecast`) and the turn from a mean and a variance into demand quantiles.

Arrays are ``(series, time)``: one row per SKU × location, one column per period (day or
month), quantities in units sold per period. No Django here (ARCHITECTURE.md §3).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from . import kernels

DEFAULT_LEVELS: tuple[float, ...] = (0.05, 0.1, 0.5, 0.9, 0.95)

# Below this mean demand per period a normal approximation puts visible mass under zero and
# misses the atom at zero, so integer-valued series get a count distribution instead.
SMALL_COUNT_MEAN = 10.0
# Syntetos & Boylan (2005) cut-off on the average inter-demand interval.
ADI_CUTOFF = 1.32


@dataclass(frozen=True)
class ForecastSpec:
    """What to forecast: ``horizon`` periods ahead, with a season of ``season_length`` periods
    (7 for daily data with a weekly pattern, 12 for monthly data), and the quantile ``levels``
    (probabilities in (0, 1), ascending). ``levels=()`` asks for the point path only (no
    quantiles), for callers that re-fit often and need only the mean, like the inventory replay."""

    horizon: int
    season_length: int = 7
    levels: tuple[float, ...] = DEFAULT_LEVELS

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError("horizon must be at least 1 period")
        if self.season_length < 1:
            raise ValueError("season_length must be at least 1 period")
        levels = tuple(float(q) for q in self.levels)
        if any(not 0.0 < q < 1.0 for q in levels):
            raise ValueError("quantile levels must lie strictly between 0 and 1")
        if list(levels) != sorted(set(levels)):
            raise ValueError("quantile levels must be distinct and ascending")
        object.__setattr__(self, "levels", levels)


@dataclass(frozen=True)
class Forecast:
    """One method's forecast for every series from one origin.

    ``point``: ``(series, horizon)`` expected demand per period (units, ≥ 0).
    ``quantiles``: ``(series, len(levels), horizon)``, ascending along the level axis, ≥ 0.
    ``params``: the parameters chosen per series (arrays of length ``series``), for the registry.
    """

    method: str
    point: np.ndarray
    quantiles: np.ndarray
    levels: tuple[float, ...]
    params: Mapping[str, np.ndarray] = field(default_factory=dict)

    def quantile(self, level: float) -> np.ndarray:
        """The ``(series, horizon)`` forecast at probability ``level`` (one of ``levels``)."""
        for index, known in enumerate(self.levels):
            if abs(known - level) < 1e-9:
                return self.quantiles[:, index, :]
        raise KeyError(f"level {level} not forecast; levels are {self.levels}")

    def interval(self, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """The ``(series, horizon)`` lower and upper bounds of the central prediction interval
        holding ``coverage`` of the forecast distribution; see :func:`prediction_interval`."""
        return prediction_interval(self.quantiles, self.levels, coverage)


INTERVAL_COVERAGE = 0.9
# A lower quantile below half a unit rounds to zero: the interval starts at zero.
FLOOR_UNITS = 0.5


def prediction_interval(
    quantiles: np.ndarray, levels: Sequence[float], coverage: float = INTERVAL_COVERAGE
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``(series, horizon)`` of the prediction interval holding ``coverage`` (say 0.9) of
    each period's demand, from ``(series, levels, horizon)`` quantiles.

    Where the lower quantile ``q_{α/2}`` (α = 1 − coverage) is at least half a unit the
    interval is the equal-tailed ``[q_{α/2}, q_{1−α/2}]``. Below half a unit — slow and
    intermittent items, whose whole-unit ``q_{α/2}`` is zero because they sell nothing in more
    than α/2 of their periods — nothing lies below it, so ``[0, q_{1−α/2}]`` would hold
    1 − α/2 (95%, not 90%); the interval is then ``[0, q_{1−α}]``, the shortest one that holds
    ``coverage``: all of α in the upper tail (equal-tailed when ``q_{1−α}`` is not a level).
    Raises ``KeyError`` without the two equal-tail levels.
    """
    alpha = 1.0 - coverage
    position = {round(level, 9): index for index, level in enumerate(levels)}
    low, high, shifted = (position.get(round(q, 9)) for q in (alpha / 2, 1 - alpha / 2, coverage))
    if low is None or high is None:
        raise KeyError(f"levels {tuple(levels)} lack {alpha / 2:g} or {1 - alpha / 2:g}")
    lower, upper = quantiles[:, low], quantiles[:, high]
    if shifted is None:
        return lower, upper
    at_floor = lower < FLOOR_UNITS
    return np.where(at_floor, 0.0, lower), np.where(at_floor, quantiles[:, shifted], upper)


def as_history(history: np.ndarray) -> np.ndarray:
    """Validate a sales history: a finite 2-D ``(series, periods)`` float array.

    Missing periods must already be filled (no sale recorded = zero demand) by the caller.
    """
    values = np.asarray(history, dtype=np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError("history must be a 2-D array (series × periods)")
    if values.shape[1] < 1:
        raise ValueError("history needs at least one period")
    if not np.isfinite(values).all():
        raise ValueError("history must be finite; fill missing periods before forecasting")
    return values


def check_origins(periods: int, origins: Sequence[int] | None) -> tuple[int, ...]:
    """Forecast origins as period counts: origin ``o`` uses ``history[:, :o]`` and forecasts
    periods ``o … o + horizon - 1``. ``None`` means the end of the history."""
    if origins is None:
        return (periods,)
    checked = tuple(int(o) for o in origins)
    if not checked or any(o < 1 or o > periods for o in checked):
        raise ValueError(f"origins must lie in 1..{periods}")
    return checked


@dataclass(frozen=True)
class _PrefixStats:
    """Running totals of one history, so that a statistic of ``history[:, :origin]`` costs one
    column look-up instead of a pass over the prefix."""

    base: np.ndarray
    non_integer: np.ndarray  # cumulative count of non-whole values, (series, periods)
    demand: np.ndarray  # cumulative count of periods with demand
    total: np.ndarray  # cumulative demand


_PREFIX: ContextVar[_PrefixStats | None] = ContextVar("forecast_prefix_stats", default=None)


@contextmanager
def prefix_statistics(values: np.ndarray) -> Iterator[None]:
    """While active, :func:`is_count_like` answers for any prefix ``values[:, :origin]`` from
    running totals (every method asks once per origin; the Test Bed runs many methods on the
    same history)."""
    stats_ = _PrefixStats(
        base=values,
        non_integer=np.cumsum(np.abs(values - np.round(values)) >= 1e-9, axis=1, dtype=np.int32),
        demand=np.cumsum(values > 0, axis=1, dtype=np.int32),
        total=np.cumsum(values, axis=1),
    )
    token = _PREFIX.set(stats_)
    try:
        yield
    finally:
        _PREFIX.reset(token)


def _prefix_of_base(history: np.ndarray, base: np.ndarray) -> bool:
    """Is ``history`` the view ``base[:, :k]`` (same memory, same rows, same strides)?"""
    return (
        history.ndim == 2
        and history.shape[0] == base.shape[0]
        and 1 <= history.shape[1] <= base.shape[1]
        and history.strides == base.strides
        and history.dtype == base.dtype
        and history.__array_interface__["data"][0] == base.__array_interface__["data"][0]
    )


def is_count_like(history: np.ndarray) -> np.ndarray:
    """Per series: whole-unit demand that is intermittent or small, so quantiles come from a
    count distribution (negative binomial / Poisson) rather than a normal one."""
    prefix = _PREFIX.get()
    periods = history.shape[1]
    if prefix is not None and _prefix_of_base(history, prefix.base):
        last = periods - 1
        integer = prefix.non_integer[:, last] == 0
        demand_periods = prefix.demand[:, last]
        mean = prefix.total[:, last] / periods
    else:
        integer = np.all(np.abs(history - np.round(history)) < 1e-9, axis=1)
        demand_periods = np.count_nonzero(history > 0, axis=1)
        mean = history.mean(axis=1)
    adi = periods / np.maximum(demand_periods, 1)
    return cast("np.ndarray", integer & ((adi >= ADI_CUTOFF) | (mean < SMALL_COUNT_MEAN)))


def demand_quantiles(
    mean: np.ndarray,
    variance: np.ndarray,
    levels: Sequence[float],
    count_like: np.ndarray,
) -> np.ndarray:
    """Quantiles ``(series, levels, horizon)`` of demand with the given ``mean`` and
    ``variance`` (both ``(series, horizon)``, units and units²).

    Continuous series: normal, cut at zero. Count-like series: negative binomial with the same
    mean and variance (over-dispersed Poisson), or Poisson when the variance does not exceed the
    mean. Monotone in the level and never negative.
    """
    from scipy import stats  # on use: at module level it slowed every start (ADR 27)

    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    variance = np.maximum(np.asarray(variance, dtype=np.float64), 0.0)
    probabilities = np.asarray(levels, dtype=np.float64)
    z = stats.norm.ppf(probabilities)[None, :, None]
    result = mean[:, None, :] + z * np.sqrt(variance)[:, None, :]
    if np.any(count_like):
        rows = np.flatnonzero(count_like)
        result[rows] = _count_quantiles(mean[rows], variance[rows], probabilities)
    # Already ordered: z rises with the level and the spread is ≥ 0 (normal), and the count
    # quantile of one (mean, variance) rises with the level; the cut at zero keeps the order.
    return cast("np.ndarray", np.maximum(result, 0.0))


def _count_quantiles(mean: np.ndarray, variance: np.ndarray, levels: np.ndarray) -> np.ndarray:
    # Flat forecasts repeat the same (mean, variance) over the horizon (every intermittent
    # method): evaluate those rows once and broadcast.
    flat = np.all(mean == mean[:, :1], axis=1) & np.all(variance == variance[:, :1], axis=1)
    result = np.empty((mean.shape[0], levels.size, mean.shape[1]))
    if np.any(flat):
        rows = np.flatnonzero(flat)
        result[rows] = _count_table(mean[rows, 0], variance[rows, 0], levels)[:, :, None]
    if not np.all(flat):
        rows = np.flatnonzero(~flat)
        table = _count_table(mean[rows].ravel(), variance[rows].ravel(), levels)
        result[rows] = table.reshape(rows.size, mean.shape[1], levels.size).transpose(0, 2, 1)
    return result


def _count_table(mean: np.ndarray, variance: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``(elements, levels)`` count quantiles for 1-D ``mean`` and ``variance``."""
    mu = np.repeat(mean, levels.size)
    var = np.repeat(variance, levels.size)
    q = np.tile(levels, mean.size)
    return count_ppf(q, mu, var).reshape(mean.size, levels.size)


def count_ppf(q: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Level-``q`` quantile of X smoothed by half a unit (X + U − ½, U uniform on [0, 1), cut at
    zero), X negative binomial with this ``mean`` and ``variance`` (size = m²/(v − m),
    p = m/v), or Poisson when ``variance ≤ mean``: ``k − ½ + (q − P(X < k)) / P(X = k)`` with k
    the smallest whole number with P(X ≤ k) ≥ q, so it always rounds to k (ADR 16).

    Walks the probabilities up from zero with the pmf recurrences
    P(k+1) = P(k)·(k + size)/(k + 1)·(1 − p) and P(k+1) = P(k)·m/(k + 1), element by element
    in compiled code (:func:`kernels.count_ppf`): far faster than SciPy's per-element inverse
    for the small counts of slow movers.
    """
    q, mean, variance = (np.asarray(a, dtype=np.float64).ravel() for a in (q, mean, variance))
    if q.size == 0:
        return np.zeros(0)
    # A hard stop far in the tail keeps a rounding shortfall from looping forever.
    limit = int(np.max(mean + 40.0 * np.sqrt(variance) + 50.0, initial=0.0))
    return kernels.count_ppf(q, mean, variance, limit)


def make_forecast(
    method: str,
    point: np.ndarray,
    variance: np.ndarray,
    spec: ForecastSpec,
    history: np.ndarray,
    params: Mapping[str, np.ndarray] | None = None,
) -> Forecast:
    """Assemble a :class:`Forecast` from a point path and its per-period variance; ``history``
    is the data up to the origin (decides count-like series)."""
    point = np.maximum(point, 0.0)
    if not spec.levels:
        return Forecast(
            method, point, np.empty((*point.shape[:1], 0, point.shape[1])), (), dict(params or {})
        )
    quantiles = demand_quantiles(point, variance, spec.levels, is_count_like(history))
    return Forecast(method, point, quantiles, spec.levels, dict(params or {}))


def pick(values: np.ndarray, column: np.ndarray) -> np.ndarray:
    """Row-wise choice: ``values[i, column[i]]`` for a ``(series, grid)`` array."""
    return np.take_along_axis(values, column[:, None], axis=1)[:, 0]
