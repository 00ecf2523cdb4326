"""Intermittent demand: Croston, SBA, TSB, ADIDA and iMAPA.

Spare parts and slow movers sell in few periods; these methods forecast the *rate* of demand
per period (units per period), flat over the horizon. Smoothing constants come from a grid,
chosen per series by the lowest in-sample one-step squared error up to each origin (one pass
over time serves every origin). Quantiles come from a negative binomial (or Poisson) with the
forecast rate as mean and the one-step mean squared error as variance
(see :func:`forecast.demand_quantiles`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from . import kernels
from .forecast import Forecast, ForecastSpec, as_history, check_origins, make_forecast, pick
from .smoothing import ses_state, ses_states

CROSTON_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
TSB_ALPHAS = (0.05, 0.1, 0.2, 0.4)
TSB_BETAS = (0.02, 0.05, 0.1, 0.2, 0.4)


def croston(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    alphas: Sequence[float] = CROSTON_ALPHAS,
) -> list[Forecast]:
    """Croston (1972): smooth demand sizes z and inter-demand intervals p separately, only in
    periods with demand; rate = z / p."""
    return _croston_family(history, spec, origins, alphas, debiased=False)


def sba(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    alphas: Sequence[float] = CROSTON_ALPHAS,
) -> list[Forecast]:
    """Syntetos-Boylan approximation: Croston's rate × (1 − α/2), removing Croston's upward
    bias (Syntetos & Boylan 2005)."""
    return _croston_family(history, spec, origins, alphas, debiased=True)


def _croston_family(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None,
    alphas: Sequence[float],
    debiased: bool,
) -> list[Forecast]:
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    alpha = np.asarray(alphas, dtype=np.float64)[None, :]
    # SBA: Syntetos & Boylan 2005 bias correction of the Croston ratio.
    correction = 1.0 - alpha / 2.0 if debiased else np.ones_like(alpha)
    rates, errors = _states(kernels.croston_states, values, wanted, alpha[0], correction[0])
    method = "sba" if debiased else "croston"
    return [
        _flat_forecast(method, rates[k], errors[k], origin, values, spec, alpha[0])
        for k, origin in enumerate(wanted)
    ]


def tsb(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    alphas: Sequence[float] = TSB_ALPHAS,
    betas: Sequence[float] = TSB_BETAS,
) -> list[Forecast]:
    """Teunter, Syntetos & Babai (2011): smooth the demand size z (in periods with demand, by α)
    and the probability of demand π (every period, by β); rate = π·z. Unlike Croston it lets
    the forecast decay while a part stops selling (obsolescence)."""
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    pairs = np.array([(a, b) for a in alphas for b in betas], dtype=np.float64)
    alpha, beta = pairs[None, :, 0], pairs[None, :, 1]
    rates, sse = _states(kernels.tsb_states, values, wanted, alpha[0], beta[0])
    forecasts = []
    for k, origin in enumerate(wanted):
        forecast = _flat_forecast("tsb", rates[k], sse[k], origin, values, spec, pairs[:, 0])
        best = np.argmin(sse[k], axis=1)
        # _flat_forecast's params are a dict of its own: add the chosen β to them.
        cast("dict[str, np.ndarray]", forecast.params)["beta"] = pairs[best, 1]
        forecasts.append(forecast)
    return forecasts


def _states(
    kernel: Callable[..., tuple[kernels.F64, kernels.F64]],
    values: np.ndarray,
    wanted: tuple[int, ...],
    *grid: np.ndarray,
) -> tuple[kernels.F64, kernels.F64]:
    """Run a compiled recursion once for every origin; ``(rates, sse)`` per origin in the
    order of ``wanted``, each ``(series, grid)``."""
    ordered = np.array(sorted(set(wanted)), dtype=np.int64)
    columns = [np.ascontiguousarray(column, dtype=np.float64) for column in grid]
    rates, sse = kernel(np.ascontiguousarray(values, dtype=np.float64), *columns, ordered)
    index = np.searchsorted(ordered, np.asarray(wanted))
    return rates[index], sse[index]


def _flat_forecast(
    method: str,
    rate: np.ndarray,
    sse: np.ndarray,
    origin: int,
    values: np.ndarray,
    spec: ForecastSpec,
    alphas: np.ndarray,
) -> Forecast:
    best = np.argmin(sse, axis=1)
    seen = values[:, :origin]
    level = pick(rate, best)
    sigma2 = pick(sse, best) / origin if origin > 0 else np.zeros(len(seen))
    point = np.repeat(level[:, None], spec.horizon, axis=1)
    variance = np.repeat(sigma2[:, None], spec.horizon, axis=1)
    return make_forecast(method, point, variance, spec, seen, {"alpha": alphas[best]})


def adida(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    aggregation: int | None = None,
) -> list[Forecast]:
    """ADIDA (Nikolopoulos et al. 2011): sum demand into buckets of ``aggregation`` periods
    (ending at the origin), forecast the bucket totals with SES, spread evenly back over the
    periods. Default bucket per series: its mean inter-demand interval, rounded (so a part
    that sells every third month is forecast quarterly)."""
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    buckets = {}
    for origin in wanted:
        seen = values[:, :origin]
        if aggregation is None:
            buckets[origin] = _interval_buckets(seen, limit=max(1, origin // 4))
        else:
            buckets[origin] = np.full(len(seen), max(1, min(aggregation, origin)))
    n = values.shape[0]
    rates = {origin: np.zeros(n) for origin in wanted}
    variances = {origin: np.zeros(n) for origin in wanted}
    # One pass per bucket size over the rows that use it at any origin, shared by the origins
    # whose buckets line up (see _aggregate_rates).
    for bucket in np.unique(np.concatenate([buckets[o] for o in wanted])):
        uses = np.stack([buckets[o] == bucket for o in wanted])  # (origins, series)
        rows = np.flatnonzero(uses.any(axis=0))
        at = [k for k in range(len(wanted)) if uses[k].any()]
        found = _aggregate_rates(values[rows], int(bucket), [wanted[k] for k in at])
        for k in at:
            origin = wanted[k]
            mine = uses[k, rows]
            rate, variance = found[origin]
            rates[origin][rows[mine]] = rate[mine]
            variances[origin][rows[mine]] = variance[mine]
    forecasts = []
    for origin in wanted:
        seen = values[:, :origin]
        point = np.repeat(rates[origin][:, None], spec.horizon, axis=1)
        spread = np.repeat(variances[origin][:, None], spec.horizon, axis=1)
        forecasts.append(
            make_forecast("adida", point, spread, spec, seen, {"aggregation": buckets[origin]})
        )
    return forecasts


def imapa(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    max_aggregation: int | None = None,
) -> list[Forecast]:
    """iMAPA (Petropoulos & Kourentzes 2015): the mean of ADIDA rates over buckets of 1 … K
    periods, so no single bucket size has to be right. Default K: one season."""
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    tops = {o: max(1, min(max_aggregation or spec.season_length, o // 4 or 1)) for o in wanted}
    rates: dict[int, list[np.ndarray]] = {o: [] for o in wanted}
    variances: dict[int, list[np.ndarray]] = {o: [] for o in wanted}
    for bucket in range(1, max(tops.values()) + 1):
        found = _aggregate_rates(values, bucket, [o for o in wanted if tops[o] >= bucket])
        for origin, (rate, variance) in found.items():
            rates[origin].append(rate)
            variances[origin].append(variance)
    forecasts = []
    for origin in wanted:
        seen = values[:, :origin]
        rate = np.mean(rates[origin], axis=0)
        variance = np.mean(variances[origin], axis=0)
        point = np.repeat(rate[:, None], spec.horizon, axis=1)
        spread = np.repeat(variance[:, None], spec.horizon, axis=1)
        top = tops[origin]
        forecasts.append(
            make_forecast(
                "imapa", point, spread, spec, seen, {"max_aggregation": np.full(len(seen), top)}
            )
        )
    return forecasts


def _aggregate_rates(
    values: np.ndarray, bucket: int, origins: Sequence[int]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """:func:`_aggregate_rate` of ``values[:, :origin]`` for every origin, sharing one SES pass
    between origins whose buckets line up (the same ``origin mod bucket``)."""
    n = values.shape[0]
    result: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    distinct = sorted(set(origins))
    for residue in sorted({o % bucket for o in distinct}):
        group = [o for o in distinct if o % bucket == residue]
        counts = [(o - residue) // bucket for o in group]
        top = counts[-1]
        totals = values[:, residue : residue + top * bucket].reshape(n, top, bucket).sum(axis=2)
        for origin, (level, sigma2) in zip(group, ses_states(totals, counts), strict=True):
            result[origin] = (level / bucket, sigma2 / bucket)
    return result


def _interval_buckets(seen: np.ndarray, limit: int) -> np.ndarray:
    demand_periods = np.count_nonzero(seen > 0, axis=1)
    interval = seen.shape[1] / np.maximum(demand_periods, 1)
    return cast("np.ndarray", np.clip(np.rint(interval), 1, limit).astype(int))


def _aggregate_rate(seen: np.ndarray, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """SES on bucket totals (buckets end at the origin); per-period rate and variance."""
    count = seen.shape[1] // bucket
    totals = seen[:, seen.shape[1] - count * bucket :].reshape(len(seen), count, bucket).sum(2)
    level, sigma2, _ = ses_state(totals)
    # A bucket total's variance spread over its periods, as if they were independent.
    return level / bucket, sigma2 / bucket
