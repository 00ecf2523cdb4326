"""Exponential smoothing fitted by a vectorised grid: simple, Holt, damped, Holt-Winters.

All series and all grid points run together as ``(series, grid)`` arrays; the only Python loop
is over time. Each series keeps the grid point with the lowest in-sample one-step squared error
*up to each origin*, so one pass over the history serves every backtest origin without looking
past it.

Recursions are the error-correction forms of Hyndman, Koehler, Ord & Snyder (2008),
*Forecasting with Exponential Smoothing*, Table 2.1 (ETS(A,N,N), (A,A,N), (A,Ad,N), (A,Ad,A),
(A,Ad,M)); h-step variances follow their Table 6.1 (class 1): σ²·(1 + Σ_{j<h} c_j²) with
c_j = α + β·φ_j + γ·[j mod m = 0] and φ_j = φ + … + φ^j. For the multiplicative season the same
formula is used as an approximation.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import kernels
from .forecast import (
    ADI_CUTOFF,
    Forecast,
    ForecastSpec,
    as_history,
    check_origins,
    make_forecast,
)

SES_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
# Lead-time SES (:func:`ses_lead`): down to a memory of ~500 periods, which a one-step criterion
# never picks but a flat forecast over weeks of sparse, noisy demand wants (ADR 40 addendum).
LEAD_ALPHAS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
# Horizons after the first sale before a level is scored (the start-up of the level).
LEAD_BURN_IN = 2
# Weight of the group's α choice against the series' own (:func:`ses_lead`).
LEAD_SHRINKAGE = 0.75
HOLT_ALPHAS = (0.05, 0.1, 0.2, 0.4, 0.7)
HOLT_BETAS = (0.005, 0.02, 0.1)
DAMPED_PHIS = (0.9, 0.98)
SEASONAL_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.4)
SEASONAL_GAMMAS = (0.01, 0.05, 0.2)
# Holt-Winters trend choices: none, or a slowly learnt damped trend (long seasonal histories
# rarely carry a trend worth extrapolating undamped over weeks).
SEASONAL_TRENDS = ((0.0, 1.0), (0.005, 0.98))

# The one-step error variance behind the intervals weighs recent errors more: each period's
# weight falls by this factor per period (memory ~100 periods: a quarter of daily history,
# all of a monthly one), so a growing series' spread follows its current noise.
VARIANCE_DISCOUNT = 0.99

SEASON_NONE = "none"
SEASON_ADDITIVE = "additive"
SEASON_MULTIPLICATIVE = "multiplicative"

# Multiplicative season and level guards: demand may be zero, the state must stay usable.
_MIN_SEASON_FACTOR = 0.05
_MAX_SEASON_FACTOR = 20.0
_MIN_LEVEL = 1e-6


@dataclass(frozen=True)
class SmoothingGrid:
    """Parameter grid, one entry per column: smoothing of level (α), trend (β, absolute
    error-correction weight, β ≤ α), season (γ ≤ 1 − α) and trend damping (φ)."""

    alpha: np.ndarray
    beta: np.ndarray
    gamma: np.ndarray
    phi: np.ndarray

    @classmethod
    def product(
        cls,
        alphas: Sequence[float],
        betas: Sequence[float] = (0.0,),
        gammas: Sequence[float] = (0.0,),
        phis: Sequence[float] = (1.0,),
        trends: Sequence[tuple[float, float]] | None = None,
    ) -> SmoothingGrid:
        """Every admissible combination; ``trends`` gives (β, φ) pairs instead of β × φ."""
        pairs = list(trends) if trends is not None else list(itertools.product(betas, phis))
        rows = [
            (a, b, g, p)
            for a, (b, p), g in itertools.product(alphas, pairs, gammas)
            if b <= a and g <= 1.0 - a
        ]
        alpha, beta, gamma, phi = (
            np.array(column, dtype=np.float64) for column in zip(*rows, strict=False)
        )
        return cls(alpha, beta, gamma, phi)

    @property
    def has_trend(self) -> bool:
        return bool(np.any(self.beta > 0))


def ses(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Simple exponential smoothing (ETS(A,N,N)): a flat forecast at the smoothed level."""
    return smooth(history, spec, origins, SmoothingGrid.product(SES_ALPHAS), SEASON_NONE, "ses")


def ses_lead(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None = None,
    alphas: Sequence[float] = LEAD_ALPHAS,
    shrinkage: float = LEAD_SHRINKAGE,
) -> list[Forecast]:
    """SES whose α minimises the in-sample error of the flat forecast over the lead time
    instead of one step (Kourentzes 2014, "On intermittent demand model optimisation and
    selection"): Σ_t (mean of y over t+1 … t+h − level_t)², h = ``spec.horizon``, which
    equals the h-step squared error of the flat forecast up to a term that does not depend
    on α. On noisy and sparse demand the one-step error rewards chasing the last sale; the
    lead-time error asks what a forecast of the next weeks needs.

    Each series' criterion, relative to its mean over the grid, is shrunk by ``shrinkage``
    toward the mean of its group (intermittent — average inter-demand interval ≥ 1.32 since
    the first sale — or not, over the series passed in): a few hundred overlapping windows
    still rank neighbouring α by noise. Windows are scored from :data:`LEAD_BURN_IN` horizons
    after the first sale; a group without any (short histories) takes the lowest one-step
    error instead. The level starts at the first sale; series that never sold forecast zero.
    Variance: the one-step error variance of the chosen α grown as for
    ETS(A,N,N)."""
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError("shrinkage must lie in [0, 1]")
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    grid = np.asarray(alphas, dtype=np.float64)
    ordered = np.array(sorted(set(wanted)), dtype=np.int64)
    levels, lead, sse, counts = kernels.lead_ses_states(
        np.ascontiguousarray(values, dtype=np.float64),
        grid,
        ordered,
        spec.horizon,
        LEAD_BURN_IN * spec.horizon,
    )
    steps = np.arange(spec.horizon)
    forecasts = []
    for origin in wanted:
        k = int(np.searchsorted(ordered, origin))
        seen = values[:, :origin]
        selling = seen > 0
        sold = selling.any(axis=1)
        first = np.where(sold, np.argmax(selling, axis=1), origin)
        adi = (origin - first) / np.maximum(selling.sum(axis=1), 1)
        group = adi >= ADI_CUTOFF
        score = lead[k]
        scale = score.mean(axis=1, keepdims=True)
        relative = np.where(scale > 0, score / np.where(scale > 0, scale, 1.0), 1.0)
        # Without any scored window in its group (too short a history) a series falls back
        # to the lowest one-step error.
        one_step = sse[k] / np.maximum(counts[k], 1.0)
        pooled = one_step / np.maximum(one_step.mean(axis=1, keepdims=True), 1e-12)
        relative = np.where(scale > 0, relative, pooled)
        for member in (group, ~group):
            scored = member & (scale[:, 0] > 0)
            if scored.any():
                pooled[member] = relative[scored].mean(axis=0)
        best = np.argmin((1.0 - shrinkage) * relative + shrinkage * pooled, axis=1)
        rows = np.arange(len(best))
        level = np.where(sold, levels[k, rows, best], 0.0)
        sigma2 = sse[k, rows, best] / np.maximum(counts[k, rows, best], 1.0)
        alpha = grid[best]
        point = np.repeat(level[:, None], spec.horizon, axis=1)
        variance = sigma2[:, None] * (1.0 + steps[None, :] * alpha[:, None] ** 2)
        forecasts.append(make_forecast("ses_lead", point, variance, spec, seen, {"alpha": alpha}))
    return forecasts


def holt(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Holt's linear trend (ETS(A,A,N)): level plus a straight-line trend."""
    grid = SmoothingGrid.product(HOLT_ALPHAS, HOLT_BETAS)
    return smooth(history, spec, origins, grid, SEASON_NONE, "holt")


def damped(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Damped trend (ETS(A,Ad,N), Gardner & McKenzie 1985): the trend fades by φ per period."""
    grid = SmoothingGrid.product(HOLT_ALPHAS, HOLT_BETAS, phis=DAMPED_PHIS)
    return smooth(history, spec, origins, grid, SEASON_NONE, "damped")


def holt_winters_additive(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Holt-Winters with an additive season of ``spec.season_length`` (weekly for daily data)."""
    grid = SmoothingGrid.product(SEASONAL_ALPHAS, gammas=SEASONAL_GAMMAS, trends=SEASONAL_TRENDS)
    return smooth(history, spec, origins, grid, SEASON_ADDITIVE, "holt_winters_additive")


def holt_winters_multiplicative(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """Holt-Winters with a multiplicative season (the weekly pattern scales with the level).

    A multiplicative season needs demand in every period (Hyndman et al. 2008, §2.5): series
    with a zero before the first origin get the additive season instead.
    """
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    grid = SmoothingGrid.product(SEASONAL_ALPHAS, gammas=SEASONAL_GAMMAS, trends=SEASONAL_TRENDS)
    method = "holt_winters_multiplicative"
    positive = values[:, : min(wanted)].min(axis=1) > 0
    if positive.all():
        return smooth(values, spec, wanted, grid, SEASON_MULTIPLICATIVE, method)
    additive = smooth(values[~positive], spec, wanted, grid, SEASON_ADDITIVE, method)
    if not positive.any():
        return additive
    scaled = smooth(values[positive], spec, wanted, grid, SEASON_MULTIPLICATIVE, method)
    return [_merge(positive, a, b) for a, b in zip(scaled, additive, strict=True)]


def _merge(rows: np.ndarray, chosen: Forecast, others: Forecast) -> Forecast:
    """Reassemble a forecast from the ``rows`` of ``chosen`` and the other rows of ``others``."""

    def combine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        out = np.empty((rows.size, *first.shape[1:]), dtype=first.dtype)
        out[rows], out[~rows] = first, second
        return out

    params = {key: combine(chosen.params[key], others.params[key]) for key in chosen.params}
    return Forecast(
        chosen.method,
        combine(chosen.point, others.point),
        combine(chosen.quantiles, others.quantiles),
        chosen.levels,
        params,
    )


def smooth(
    history: np.ndarray,
    spec: ForecastSpec,
    origins: Sequence[int] | None,
    grid: SmoothingGrid,
    season: str,
    method: str,
) -> list[Forecast]:
    """Run the smoothing recursion for every series × grid point and forecast from each origin
    with each series' best grid point so far."""
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    m = spec.season_length if season != SEASON_NONE else 1
    if season != SEASON_NONE and (m < 2 or min(wanted) < 2 * m):
        # Too little history for a season (or no season at all): drop to the same method
        # without one rather than invent a pattern from a single cycle.
        season, m = SEASON_NONE, 1
    states = _run(values, grid, season, m, wanted, _init_cycles(min(wanted), m))
    return [
        _forecast_from(state, values[:, :origin], grid, season, m, spec, method, origin)
        for origin, state in zip(wanted, states, strict=True)
    ]


@dataclass
class _State:
    """Selected state at one origin: best grid column, level, trend, season (rotated so that
    column j is the factor of period origin + j), one-step error variance."""

    best: np.ndarray
    level: np.ndarray
    trend: np.ndarray
    season: np.ndarray
    sigma2: np.ndarray


def _init_cycles(first_origin: int, m: int) -> int:
    """Whole seasons used to initialise (never past the first origin): up to four, keeping at
    least as many seasons after them for the fit."""
    if m == 1:
        return 1
    return int(min(4, max(1, first_origin // m // 2)))


def _run(
    values: np.ndarray,
    grid: SmoothingGrid,
    season: str,
    m: int,
    origins: tuple[int, ...],
    cycles: int,
) -> list[_State]:
    n, _ = values.shape
    alpha = grid.alpha
    has_trend = grid.has_trend
    multiplicative = season == SEASON_MULTIPLICATIVE
    seasonal = season != SEASON_NONE

    # Initial state from the first ``cycles`` seasons only (or first period when m == 1):
    # level = mean of the first season, trend from the first two seasons when available,
    # season = mean deviation (or ratio) from each cycle's mean.
    window = cycles * m
    first = values[:, :m] if m > 1 else values[:, :1]
    level0 = first.mean(axis=1)
    trend0 = np.zeros(n)
    if has_trend and window >= 2 * m and m > 1:
        trend0 = (values[:, m : 2 * m].mean(axis=1) - level0) / m
    if seasonal:
        cycles_block = values[:, :window].reshape(n, cycles, m)
        cycle_mean = cycles_block.mean(axis=2, keepdims=True)
        if multiplicative:
            safe = np.where(cycle_mean > 0, cycle_mean, 1.0)
            ratios = np.where(cycle_mean > 0, cycles_block / safe, 1.0).mean(axis=1)
            profile = np.maximum(ratios, _MIN_SEASON_FACTOR)
        else:
            profile = (cycles_block - cycle_mean).mean(axis=1)
    burn_in = window if seasonal else min(m, 1)
    if not seasonal:
        profile = np.zeros((n, 1))
    ordered = np.array(sorted(set(origins)), dtype=np.int64)
    code = {
        SEASON_NONE: kernels.SEASON_NONE_CODE,
        SEASON_ADDITIVE: kernels.SEASON_ADDITIVE_CODE,
        SEASON_MULTIPLICATIVE: kernels.SEASON_MULTIPLICATIVE_CODE,
    }[season]
    if not seasonal and not has_trend:
        # Simple exponential smoothing has a lean kernel of its own (the hot path of ADIDA,
        # iMAPA and Theta-like callers); same rules, same answers.
        best, sse, level, recent = kernels.ses_states(
            np.ascontiguousarray(values, dtype=np.float64), alpha, ordered, VARIANCE_DISCOUNT
        )
        trend = np.zeros_like(level)
        rotated = np.zeros((*level.shape, 1))
    else:
        best, sse, level, trend, rotated, recent = _general(
            values, grid, code, m, seasonal, burn_in, has_trend, level0, trend0, profile, ordered
        )
    states = []
    for origin in origins:
        k = int(np.searchsorted(ordered, origin))
        errors = origin - burn_in
        if errors > 0:
            sigma2 = np.where(np.isfinite(recent[k]), recent[k], sse[k] / errors)
        else:
            sigma2 = values[:, :origin].var(axis=1)
        season_state = rotated[k] if seasonal else np.zeros((n, 1))
        states.append(_State(best[k], level[k], trend[k], season_state, sigma2))
    return states


def _general(
    values: np.ndarray,
    grid: SmoothingGrid,
    code: int,
    m: int,
    seasonal: bool,
    burn_in: int,
    has_trend: bool,
    level0: np.ndarray,
    trend0: np.ndarray,
    profile: np.ndarray,
    ordered: kernels.I64,
) -> tuple[kernels.I64, kernels.F64, kernels.F64, kernels.F64, kernels.F64, kernels.F64]:
    return kernels.smooth_states(
        np.ascontiguousarray(values, dtype=np.float64),
        grid.alpha,
        grid.beta,
        grid.gamma,
        grid.phi,
        code,
        m if seasonal else 1,
        burn_in,
        has_trend,
        np.ascontiguousarray(level0, dtype=np.float64),
        np.ascontiguousarray(trend0, dtype=np.float64),
        np.ascontiguousarray(profile, dtype=np.float64),
        ordered,
        _MIN_LEVEL,
        _MIN_SEASON_FACTOR,
        _MAX_SEASON_FACTOR,
        VARIANCE_DISCOUNT,
    )


def _forecast_from(
    state: _State,
    seen: np.ndarray,
    grid: SmoothingGrid,
    season: str,
    m: int,
    spec: ForecastSpec,
    method: str,
    origin: int,
) -> Forecast:
    horizon = spec.horizon
    alpha, beta = grid.alpha[state.best], grid.beta[state.best]
    gamma, phi = grid.gamma[state.best], grid.phi[state.best]
    steps = np.arange(1, horizon + 1)
    # φ_h = φ + φ² + … + φ^h: how much of today's trend is still added h periods ahead.
    damping = np.cumsum(phi[:, None] ** steps[None, :], axis=1)
    path = state.level[:, None] + damping * state.trend[:, None]
    if season == SEASON_ADDITIVE:
        point = path + state.season[:, (steps - 1) % m]
    elif season == SEASON_MULTIPLICATIVE:
        point = path * state.season[:, (steps - 1) % m]
    else:
        point = path
    # c_j for j = 1 … h−1 (Hyndman et al. 2008, Table 6.1, class 1).
    lags = steps[:-1]
    c = alpha[:, None] + beta[:, None] * damping[:, :-1]
    if season != SEASON_NONE:
        c = c + gamma[:, None] * (lags % m == 0)[None, :]
    growth = np.concatenate([np.ones((len(c), 1)), 1.0 + np.cumsum(c * c, axis=1)], axis=1)
    variance = state.sigma2[:, None] * growth
    params = {"alpha": alpha, "beta": beta, "gamma": gamma, "phi": phi}
    return make_forecast(method, point, variance, spec, seen, params)


def ses_state(
    values: np.ndarray, alphas: Sequence[float] = SES_ALPHAS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simple exponential smoothing at the end of ``values`` ``(series, periods)``, for methods
    built on it (Theta, ADIDA): ``(level, one-step error variance, chosen α)`` per series."""
    grid = SmoothingGrid.product(alphas)
    state = _run(values, grid, SEASON_NONE, 1, (values.shape[1],), 1)[0]
    return state.level, state.sigma2, grid.alpha[state.best]


def ses_states(
    values: np.ndarray, origins: Sequence[int], alphas: Sequence[float] = SES_ALPHAS
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`ses_state` at several origins in one pass: ``(level, one-step error variance)``
    of ``values[:, :origin]`` for each origin, in order."""
    grid = SmoothingGrid.product(alphas)
    states = _run(values, grid, SEASON_NONE, 1, tuple(origins), 1)
    return [(state.level, state.sigma2) for state in states]


# Estimated ETS (:func:`ets`): the model forms that compete per series (trend, season), the
# optimiser's rounds and the parameter ranges (α ∈ [1e-4, 0.99], β ≤ α, γ ≤ 1 − α,
# φ ∈ [0.8, 0.98], as statsforecast's ETS bounds).
ETS_FORMS = (
    (False, SEASON_NONE),
    (True, SEASON_NONE),
    (False, SEASON_ADDITIVE),
    (True, SEASON_ADDITIVE),
    (False, SEASON_MULTIPLICATIVE),
    (True, SEASON_MULTIPLICATIVE),
)
ETS_ROUNDS = 12
# Later origins start from the earlier optimum (or the start grid, if better) with a smaller
# step and fewer rounds.
ETS_WARM_ROUNDS = 6
_ALPHA_LOW, _ALPHA_HIGH = 1e-4, 0.99
_PHI_LOW, _PHI_HIGH = 0.8, 0.98
# Start grid of the optimiser (α, β, γ, φ): the best of these is the first centre.
_ETS_START = SmoothingGrid.product(
    (0.01, 0.05, 0.2, 0.5), (0.001, 0.02), (0.001, 0.05, 0.2), (0.9, 0.98)
)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1.0 - 1e-4)
    return np.log(p / (1.0 - p))


def _ets_params(z: np.ndarray, trend: bool, seasonal: bool) -> tuple[np.ndarray, ...]:
    """Unconstrained coordinates ``(..., 4)`` → admissible (α, β, γ, φ)."""
    alpha = _ALPHA_LOW + (_ALPHA_HIGH - _ALPHA_LOW) * _sigmoid(z[..., 0])
    beta = alpha * _sigmoid(z[..., 1]) if trend else np.zeros_like(alpha)
    gamma = (1.0 - alpha) * _sigmoid(z[..., 2]) if seasonal else np.zeros_like(alpha)
    phi = _PHI_LOW + (_PHI_HIGH - _PHI_LOW) * _sigmoid(z[..., 3]) if trend else np.ones_like(alpha)
    return alpha, beta, gamma, phi


def _ets_coordinates(grid: SmoothingGrid) -> np.ndarray:
    """(α, β, γ, φ) of ``grid`` → the optimiser's coordinates ``(grid, 4)``."""
    alpha = (grid.alpha - _ALPHA_LOW) / (_ALPHA_HIGH - _ALPHA_LOW)
    return np.stack(
        [
            _logit(alpha),
            _logit(grid.beta / grid.alpha),
            _logit(grid.gamma / (1.0 - grid.alpha)),
            _logit((grid.phi - _PHI_LOW) / (_PHI_HIGH - _PHI_LOW)),
        ],
        axis=1,
    )


@dataclass(frozen=True)
class EtsStart:
    """Where each series' recursion starts and what it starts from: ``start`` (its first sale,
    or period 0), initial ``level``, ``trend`` and ``profile`` ``(series, m)`` (indexed by
    period mod m) from the first ``window`` periods after ``start``, errors scored from
    ``burn_in``; ``usable`` says the series has the history the form needs."""

    start: np.ndarray
    level: np.ndarray
    trend: np.ndarray
    profile: np.ndarray
    burn_in: np.ndarray
    usable: np.ndarray


def ets_start(values: np.ndarray, origin: int, season: str, m: int, trend: bool) -> EtsStart:
    """Initial states from the first sale on (a launch's zeros are not its level): level the
    mean of the first season (first period without one), trend from the first two seasons,
    season the mean deviation (ratio) of up to four seasons from their cycle means, as
    :func:`_run` but per series. A seasonal form needs two seasons of history after the first
    sale before ``origin``; errors count from the end of the initialisation window."""
    n, periods = values.shape
    span = min(origin, periods)
    selling = values[:, :span] > 0
    start = np.where(selling.any(axis=1), np.argmax(selling, axis=1), 0).astype(np.int64)
    seen = span - start
    seasonal = season != SEASON_NONE
    if seasonal:
        cycles = np.clip(seen // m // 2, 1, 4)
        usable = seen >= 2 * m
    else:
        cycles = np.ones(n, dtype=np.int64)
        usable = np.ones(n, dtype=bool)
    width = 4 * m if seasonal else m
    index = np.minimum(start[:, None] + np.arange(width)[None, :], max(periods - 1, 0))
    block = values[np.arange(n)[:, None], index]  # (series, width)
    first = block[:, :m].mean(axis=1) if m > 1 else block[:, 0]
    slope = np.zeros(n)
    if trend and m > 1:
        slope = np.where(cycles >= 2, (block[:, m : 2 * m].mean(axis=1) - first) / m, 0.0)
    profile = np.zeros((n, m)) if not seasonal else np.empty((n, m))
    if seasonal:
        inside = (np.arange(4)[None, :] < cycles[:, None]).astype(float)  # (series, 4)
        cycle = block.reshape(n, 4, m)
        mean = cycle.mean(axis=2, keepdims=True)
        if season == SEASON_MULTIPLICATIVE:
            safe = np.where(mean > 0, mean, 1.0)
            part = np.where(mean > 0, cycle / safe, 1.0)
        else:
            part = cycle - mean
        relative = (part * inside[:, :, None]).sum(axis=1) / cycles[:, None]
        if season == SEASON_MULTIPLICATIVE:
            relative = np.maximum(relative, _MIN_SEASON_FACTOR)
        # Column j of ``relative`` is the factor of period start + j: index by period mod m.
        phase = (start[:, None] + np.arange(m)[None, :]) % m
        np.put_along_axis(profile, phase, relative, axis=1)
    elif m == 1:
        profile = np.zeros((n, 1))
    burn_in = start + (cycles * m if seasonal else 1)
    return EtsStart(start, first, slope, profile, burn_in.astype(np.int64), usable)


def _ets_pass(
    values: np.ndarray,
    params: tuple[np.ndarray, ...],
    season: str,
    m: int,
    trend: bool,
    initial: EtsStart,
    origins: np.ndarray,
) -> tuple[np.ndarray, ...]:
    code = {
        SEASON_NONE: kernels.SEASON_NONE_CODE,
        SEASON_ADDITIVE: kernels.SEASON_ADDITIVE_CODE,
        SEASON_MULTIPLICATIVE: kernels.SEASON_MULTIPLICATIVE_CODE,
    }[season]
    alpha, beta, gamma, phi = (np.ascontiguousarray(p, dtype=np.float64) for p in params)
    return kernels.ets_candidates(
        np.ascontiguousarray(values, dtype=np.float64),
        alpha,
        beta,
        gamma,
        phi,
        code,
        m,
        initial.start,
        initial.burn_in,
        trend,
        np.ascontiguousarray(initial.level, dtype=np.float64),
        np.ascontiguousarray(initial.trend, dtype=np.float64),
        np.ascontiguousarray(initial.profile, dtype=np.float64),
        origins,
        _MIN_LEVEL,
        _MIN_SEASON_FACTOR,
        _MAX_SEASON_FACTOR,
        VARIANCE_DISCOUNT,
    )


def fit_ets(
    values: np.ndarray,
    origin: int,
    season: str,
    m: int,
    trend: bool,
    initial: EtsStart | None = None,
    warm: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate (α, β, γ, φ) per series by minimising the in-sample one-step SSE of
    ``values[:, :origin]`` — all series at once: the best point of a start grid (and of
    ``warm``, earlier optimiser coordinates ``(series, 4)``, when given), then rounds of a
    batched compass search in logit coordinates (each series tries its centre ± its step
    along every free parameter, moves to the best trial, halves its step when none is
    better). Returns the coordinates ``(series, 4)`` (:func:`_ets_params` maps them to the
    parameters) and the SSE ``(series,)``."""
    n = values.shape[0]
    seasonal = season != SEASON_NONE
    if initial is None:
        initial = ets_start(values, origin, season, m, trend)
    at = np.array([origin], dtype=np.int64)
    seen = values[:, :origin]
    free = [0, *([1, 3] if trend else []), *([2] if seasonal else [])]
    start = _ets_coordinates(_ETS_START)
    # Distinct start points only (the grid repeats β, γ, φ that a form ignores).
    _, unique = np.unique(np.round(start[:, free], 6), axis=0, return_index=True)
    start = start[np.sort(unique)]
    trial = np.broadcast_to(start, (n, *start.shape))
    if warm is not None:
        trial = np.concatenate([trial, warm[:, None, :]], axis=1)

    def score(points: np.ndarray) -> np.ndarray:
        params = _ets_params(points, trend, seasonal)
        sse = _ets_pass(seen, params, season, m, trend, initial, at)[0][0]
        return np.where(np.isfinite(sse), sse, np.inf)

    sse = score(trial)
    best = np.argmin(sse, axis=1)
    rows = np.arange(n)
    centre = trial[rows, best].copy()
    lowest = sse[rows, best]
    step = np.full(n, 0.5 if warm is not None else 1.0)
    moves = np.zeros((2 * len(free), 4))
    for j, d in enumerate(free):
        moves[2 * j, d], moves[2 * j + 1, d] = 1.0, -1.0
    for _ in range(ETS_WARM_ROUNDS if warm is not None else ETS_ROUNDS):
        trial = centre[:, None, :] + step[:, None, None] * moves[None, :, :]
        sse = score(trial)
        chosen = np.argmin(sse, axis=1)
        better = sse[rows, chosen] < lowest
        centre[better] = trial[rows, chosen][better]
        lowest = np.where(better, sse[rows, chosen], lowest)
        step = np.where(better, step, step * 0.5)
    return centre, lowest


def ets(
    history: np.ndarray, spec: ForecastSpec, origins: Sequence[int] | None = None
) -> list[Forecast]:
    """ETS with estimated parameters (issue 18): for each form of :data:`ETS_FORMS` (no or
    damped trend × no, additive or multiplicative season; the multiplicative one only for
    series without a zero since their first sale) :func:`fit_ets` estimates α, β, γ, φ per
    series at every origin (later origins start from the earlier optimum), the recursion
    starting at the series' first sale; each series takes the form with the lowest AIC of its
    one-step errors, n·log(SSE/n) + 2·(parameters + initial states), all forms scored over
    the same periods. Forecast and variance as :func:`smooth`'s."""
    values = as_history(history)
    wanted = check_origins(values.shape[1], origins)
    n = values.shape[0]
    m_season = spec.season_length
    ordered = sorted(set(wanted))
    results: dict[int, Forecast] = {}
    warm: dict[tuple[bool, str], np.ndarray] = {}
    for origin in ordered:
        seen = values[:, :origin]
        selling = seen > 0
        first_sale = np.where(selling.any(axis=1), np.argmax(selling, axis=1), 0)
        since = np.arange(origin)[None, :] >= first_sale[:, None]
        positive = selling.any(axis=1) & np.all(~since | selling, axis=1)
        seasonal_ok = m_season >= 2
        # Every form scores its errors from the seasonal forms' burn-in (like with like).
        common = None
        if seasonal_ok:
            common = ets_start(values, origin, SEASON_ADDITIVE, m_season, False)
        candidates = []
        for form, (trend, season) in enumerate(ETS_FORMS):
            seasonal = season != SEASON_NONE
            if seasonal and not seasonal_ok:
                continue
            if season == SEASON_MULTIPLICATIVE and not positive.any():
                continue
            m = m_season if seasonal else 1
            initial = ets_start(values, origin, season, m, trend)
            if common is not None:
                later = np.maximum(initial.burn_in, common.burn_in)
                burn = np.where(common.usable, later, initial.burn_in).astype(np.int64)
                initial = replace(initial, burn_in=burn)
            previous = warm.get((trend, season))
            centre, _ = fit_ets(values, origin, season, m, trend, initial, previous)
            warm[(trend, season)] = centre
            alpha, beta, gamma, phi = _ets_params(centre, trend, seasonal)
            columns = tuple(p[:, None] for p in (alpha, beta, gamma, phi))
            at = np.array([origin], dtype=np.int64)
            sse, level, slope, rotated, recent = _ets_pass(
                values, columns, season, m, trend, initial, at
            )
            errors = np.maximum(origin - initial.burn_in, 1).astype(float)
            fit = sse[0, :, 0]
            sigma2 = np.where(np.isfinite(recent[0, :, 0]), recent[0, :, 0], fit / errors)
            state = _State(np.arange(n), level[0, :, 0], slope[0, :, 0], rotated[0, :, 0], sigma2)
            grid = SmoothingGrid(alpha, beta, gamma, phi)
            forecast = _forecast_from(state, seen, grid, season, m, spec, "ets", origin)
            count = 1 + 2 * int(trend) + int(seasonal)
            states = 1 + int(trend) + (m - 1 if seasonal else 0)
            aic = errors * np.log(np.maximum(fit, 1e-12) / errors) + 2.0 * (count + states)
            valid = initial.usable & np.isfinite(aic) & np.isfinite(forecast.point).all(axis=1)
            if season == SEASON_MULTIPLICATIVE:
                valid &= positive
            candidates.append((forecast, np.where(valid, aic, np.inf), form))
        table = np.stack([c[1] for c in candidates], axis=1)
        choice = np.argmin(table, axis=1)
        chosen = candidates[0][0]
        point, quantiles = chosen.point.copy(), chosen.quantiles.copy()
        params = {key: value.copy() for key, value in chosen.params.items()}
        for r, (forecast, _, _) in enumerate(candidates[1:], start=1):
            rows = choice == r
            point[rows], quantiles[rows] = forecast.point[rows], forecast.quantiles[rows]
            for key in params:
                params[key][rows] = forecast.params[key][rows]
        params["form"] = np.array([c[2] for c in candidates], dtype=np.int64)[choice]
        results[origin] = Forecast("ets", point, quantiles, chosen.levels, params)
    return [results[origin] for origin in wanted]
