"""Safety stock: the normal approximation and quantile-based methods for slow movers.

Protection interval: demand must be covered from the moment an order is placed until the next
order can arrive, ``lead_time_days + review_period_days`` (review period 0 for continuous
review). Over that interval, with independent daily demand and an independent lead time:

    mean   μ_LT = d · (L + R)
    spread σ_LT = sqrt((L + R) · σ_d² + d² · σ_L²)

(Silver, Pyke & Peterson §7.12; Chopra & Meindl, *Supply Chain Management*, ch. 12).
``d`` is mean daily demand (units/day), ``σ_d`` the daily spread of the forecast error
(units/day), ``L`` and ``σ_L`` the lead time and its spread (days), ``R`` the review period (days).

Slow and intermittent items have skewed, integer lead-time demand for which the normal
approximation under-protects at high service levels; for them the reorder point is a quantile
of a Poisson (variance ≤ mean) or negative binomial (variance > mean) distribution fitted to
``μ_LT`` and ``σ_LT²`` (Axsäter §5.2; Syntetos, Babai & Gardner 2015), or read from forecast
quantiles of lead-time demand.

Safety stock is reported as ``reorder level − μ_LT`` and never below zero: a planner never sets a
negative buffer, even where a very long order cycle alone would meet a fill-rate target.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inventory.policy.service_level import (
    z_for_cycle_service_level,
    z_for_fill_rate,
)

SERVICE_LEVEL_KINDS = ("cycle", "fill_rate")


def lead_time_demand(
    mean_daily_demand: ArrayLike,
    demand_std_daily: ArrayLike,
    lead_time_days: ArrayLike,
    lead_time_std_days: ArrayLike = 0.0,
    review_period_days: ArrayLike = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and standard deviation (units) of demand over the protection interval ``L + R``."""
    demand = np.asarray(mean_daily_demand, dtype=float)
    sigma_d = np.asarray(demand_std_daily, dtype=float)
    interval = np.asarray(lead_time_days, dtype=float) + np.asarray(review_period_days, float)
    sigma_lead = np.asarray(lead_time_std_days, dtype=float)
    mean = demand * interval
    std = np.sqrt(interval * sigma_d**2 + demand**2 * sigma_lead**2)
    return mean, std


def review_undershoot(
    mean_daily_demand: ArrayLike,
    demand_std_daily: ArrayLike,
    review_period_days: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and variance (units, units²) of how far the inventory position has fallen below the
    reorder point by the time a periodic check sees it: (R, s, S) reviewed every R days, e.g.
    R = 1 for a daily planning batch; 0 for truly continuous review.

    Renewal theory with X the demand over one review period (μ = d·R, σ² = R·σ_d², X taken as
    normal for its third moment):

        E[U]   = E[X²] / (2·E[X]) = σ²/(2μ) + μ/2
        Var[U] = E[X³] / (3·E[X]) − E[U]² = μ²/12 + σ²/2 − σ⁴/(4μ²)

    (Silver, Pyke & Peterson §7.13, "undershoots"; Hadley & Whitin 1963 §4.7). Ignoring it makes
    a daily-checked reorder point deliver a visibly lower cycle service level than its target.
    """
    demand = np.asarray(mean_daily_demand, dtype=float)
    review = np.asarray(review_period_days, dtype=float)
    mean_x = demand * review
    variance_x = review * np.asarray(demand_std_daily, dtype=float) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_u = variance_x / (2.0 * mean_x) + mean_x / 2.0
        variance_u = mean_x**2 / 12.0 + variance_x / 2.0 - variance_x**2 / (4.0 * mean_x**2)
    # The undershoot is never more than one review period's demand. When σ is the spread of a
    # forecast's error and the forecast has fallen near zero (an intermittent item after a run
    # of zeros), σ²/(2μ) explodes; bound it by what X itself reaches (μ + 3σ). (The variance
    # cannot explode: its σ⁴ term is negative.)
    mean_u = np.minimum(mean_u, mean_x + 3.0 * np.sqrt(variance_x))
    active = mean_x > 0
    return (
        np.where(active, mean_u, 0.0),
        np.where(active, np.maximum(variance_u, 0.0), 0.0),
    )


def safety_stock_normal(
    service_level: ArrayLike,
    mean_daily_demand: ArrayLike,
    demand_std_daily: ArrayLike,
    lead_time_days: ArrayLike,
    lead_time_std_days: ArrayLike = 0.0,
    review_period_days: ArrayLike = 0.0,
    *,
    service_level_kind: str = "cycle",
    order_quantity: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Safety stock in units, ``z · sqrt((L + R)·σ_d² + d²·σ_L²)``, at least 0.

    ``service_level_kind="cycle"`` takes ``z = Φ⁻¹(service_level)``; ``"fill_rate"`` solves the
    normal loss equation and needs ``order_quantity`` (units per replenishment cycle).
    """
    _, sigma = lead_time_demand(
        mean_daily_demand, demand_std_daily, lead_time_days, lead_time_std_days, review_period_days
    )
    z = _safety_factor(service_level, sigma, service_level_kind, order_quantity)
    return np.maximum(z * sigma, 0.0)


def _safety_factor(
    service_level: ArrayLike,
    lead_time_demand_std: NDArray[np.float64],
    service_level_kind: str,
    order_quantity: ArrayLike | None,
) -> NDArray[np.float64]:
    if service_level_kind == "cycle":
        return z_for_cycle_service_level(service_level)
    if service_level_kind == "fill_rate":
        if order_quantity is None:
            raise ValueError("a fill-rate target needs the order quantity per cycle")
        return z_for_fill_rate(service_level, order_quantity, lead_time_demand_std)
    raise ValueError(f"service_level_kind must be one of {SERVICE_LEVEL_KINDS}")


def _discrete_survival(
    units: NDArray[np.float64],
    mean: NDArray[np.float64],
    variance: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``P(X > units)`` for integer ``units``, X Poisson(mean) where variance ≤ mean, else
    negative binomial with that mean and variance."""
    from scipy import special  # on use: at module level it slowed every start (ADR 27)

    units, mean, variance = np.broadcast_arrays(units, mean, variance)
    poisson = variance <= mean
    # P(X > s) = P(X ≥ k) with k = s + 1; only k ≥ 1 needs computing (s < 0 is certain).
    k = units + 1.0
    survival = np.ones(units.shape)
    open_tail = (k >= 1) & (mean > 0)
    pick = open_tail & poisson
    # Poisson: P(X ≥ k) = P(k, λ), the regularised lower incomplete gamma.
    survival[pick] = special.gammainc(k[pick], mean[pick])
    pick = open_tail & ~poisson
    # Negative binomial (r successes, success probability p): P(X ≥ k) = 1 − I_p(r, k).
    p = mean[pick] / variance[pick]
    r = mean[pick] * p / (1.0 - p)
    survival[pick] = special.betaincc(r, k[pick], p)
    survival = np.where((mean <= 0) & (k >= 1), 0.0, survival)
    survival = np.where(np.isnan(mean) | np.isnan(variance) | np.isnan(units), np.nan, survival)
    return survival


def _discrete_expected_shortage(
    units: NDArray[np.float64],
    mean: NDArray[np.float64],
    variance: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Discrete loss ``E[(X − s)⁺]`` for integer ``s ≥ 0``.

    ``Σ_{x≥s} x·p(x) = μ · P(Y ≥ s − 1)`` where Y is X's law shifted by one parameter
    (Poisson: the same law; negative binomial r → r + 1), hence
    ``E[(X − s)⁺] = μ · P(Y > s − 2) − s · P(X > s − 1)``.
    """
    poisson = variance <= mean
    p = np.where(poisson, 0.5, mean / np.where(poisson, 1.0, variance))
    r = np.where(poisson, 1.0, mean * p / np.where(poisson, 1.0, 1.0 - p))
    shifted_variance = np.where(poisson, variance, (r + 1.0) * (1.0 - p) / p**2)
    shifted_mean = np.where(poisson, mean, (r + 1.0) * (1.0 - p) / p)
    tail_sum = mean * _discrete_survival(units - 2.0, shifted_mean, shifted_variance)
    shortage = tail_sum - units * _discrete_survival(units - 1.0, mean, variance)
    return np.maximum(shortage, 0.0)


def reorder_level_discrete(
    service_level: ArrayLike,
    lead_time_demand_mean: ArrayLike,
    lead_time_demand_variance: ArrayLike,
    *,
    service_level_kind: str = "cycle",
    order_quantity: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Smallest whole number of units ``s`` covering lead-time demand at the target.

    Lead-time demand is Poisson when its variance ≤ mean, otherwise negative binomial
    (``p = μ/σ²``, ``r = μ²/(σ² − μ)``). Cycle service level: smallest ``s`` with
    ``P(X ≤ s) ≥ α``. Fill rate: smallest ``s`` with ``E[(X − s)⁺] ≤ (1 − β)·Q``.
    Found for all items at once: first by walking the probability mass upwards from 0 (one cheap
    vectorised step per unit, the common case for slow movers), then by integer bisection on
    the special functions for any item the walk did not settle within ``_WALK_STEPS`` units.
    """
    level = np.asarray(service_level, dtype=float)
    mean = np.asarray(lead_time_demand_mean, dtype=float)
    variance = np.asarray(lead_time_demand_variance, dtype=float)
    level, mean, variance = np.broadcast_arrays(level, mean, variance)
    if service_level_kind not in SERVICE_LEVEL_KINDS:
        raise ValueError(f"service_level_kind must be one of {SERVICE_LEVEL_KINDS}")
    fill_rate = service_level_kind == "fill_rate"
    if fill_rate and order_quantity is None:
        raise ValueError("a fill-rate target needs the order quantity per cycle")
    allowed_shortage = (
        (1.0 - level) * np.broadcast_to(np.asarray(order_quantity, dtype=float), level.shape)
        if fill_rate
        else np.zeros(level.shape)
    )

    result = _walk_probability_mass(level, mean, variance, allowed_shortage, fill_rate)
    unsettled = np.isnan(result) & ~(np.isnan(mean) | np.isnan(variance) | np.isnan(level))
    if unsettled.any():
        result[unsettled] = _bisect_reorder_level(
            level[unsettled],
            mean[unsettled],
            variance[unsettled],
            allowed_shortage[unsettled],
            fill_rate,
        )
    return result


_WALK_STEPS = 256


def _walk_probability_mass(
    level: NDArray[np.float64],
    mean: NDArray[np.float64],
    variance: NDArray[np.float64],
    allowed_shortage: NDArray[np.float64],
    fill_rate: bool,
) -> NDArray[np.float64]:
    """Step s = 0, 1, 2, … carrying P(X = s), P(X ≤ s) and E[(X − s)⁺] by recurrence:
    Poisson ``p(s+1) = p(s)·λ/(s+1)``; negative binomial ``p(s+1) = p(s)·(s+r)/(s+1)·(1−p)``;
    ``E[(X − s − 1)⁺] = E[(X − s)⁺] − P(X > s)``. NaN where not settled (or NaN input)."""
    poisson = variance <= mean
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        p = np.where(poisson, 1.0, mean / variance)
        r = np.where(poisson, 1.0, mean * p / (1.0 - p))
        mass = np.where(poisson, np.exp(-mean), p**r)
    mass = np.where(mean > 0, mass, 1.0)
    # Where P(X = 0) underflows the walk cannot start; bisection takes those items.
    pending = (mass > 0) & ~(np.isnan(mean) | np.isnan(variance) | np.isnan(level))
    cumulative = mass.copy()
    shortage = np.maximum(mean, 0.0)
    result = np.full(mean.shape, np.nan)
    for units in range(_WALK_STEPS):
        covered = shortage <= allowed_shortage if fill_rate else cumulative >= level
        settled = pending & covered
        result[settled] = units
        pending &= ~settled
        if not pending.any():
            break
        shortage = np.maximum(shortage - (1.0 - cumulative), 0.0)
        growth = np.where(poisson, mean, (units + r) * (1.0 - p)) / (units + 1)
        mass = mass * growth
        cumulative = cumulative + mass
    return result


def _bisect_reorder_level(
    level: NDArray[np.float64],
    mean: NDArray[np.float64],
    variance: NDArray[np.float64],
    allowed_shortage: NDArray[np.float64],
    fill_rate: bool,
) -> NDArray[np.float64]:
    def covered(units: NDArray[np.float64]) -> NDArray[np.bool_]:
        if fill_rate:
            return _discrete_expected_shortage(units, mean, variance) <= allowed_shortage
        return _discrete_survival(units, mean, variance) <= 1.0 - level

    # Chebyshev: P(X − μ ≥ kσ) ≤ 1/(1 + k²) bounds the answer from above; the cap keeps a
    # service level of exactly 1 finite.
    tail = np.clip(1.0 - level, 1e-12, 1.0)
    if fill_rate:
        # E[(X − s)⁺] ≤ σ²/(2(s − μ)) for s > μ (Scarf's bound): solve for the allowed shortage.
        tail = np.clip(allowed_shortage, 1e-12, None)
        high = np.ceil(mean + np.maximum(variance, 0.0) / (2.0 * tail) + np.sqrt(variance) + 1.0)
    else:
        high = np.ceil(mean + np.sqrt(np.maximum(variance, 0.0) / tail) + 1.0)
    low = np.full(mean.shape, -1.0)  # "not covered" sentinel; s = 0 is tested by bisection
    for _ in range(64):
        open_gap = high - low > 1.0
        if not open_gap.any():
            break
        middle = np.floor((low + high) / 2.0)
        ok = covered(middle)
        high = np.where(open_gap & ok, middle, high)
        low = np.where(open_gap & ~ok, middle, low)
    return high


def safety_stock_discrete(
    service_level: ArrayLike,
    mean_daily_demand: ArrayLike,
    demand_std_daily: ArrayLike,
    lead_time_days: ArrayLike,
    lead_time_std_days: ArrayLike = 0.0,
    review_period_days: ArrayLike = 0.0,
    *,
    service_level_kind: str = "cycle",
    order_quantity: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Safety stock (units) for slow movers from Poisson / negative-binomial lead-time demand:
    ``reorder level − μ_LT``, at least 0."""
    mean, std = lead_time_demand(
        mean_daily_demand, demand_std_daily, lead_time_days, lead_time_std_days, review_period_days
    )
    level = reorder_level_discrete(
        service_level,
        mean,
        std**2,
        service_level_kind=service_level_kind,
        order_quantity=order_quantity,
    )
    return np.maximum(level - mean, 0.0)


def safety_stock_from_quantiles(
    service_level: ArrayLike,
    quantile_levels: ArrayLike,
    lead_time_demand_quantiles: ArrayLike,
    lead_time_demand_mean: ArrayLike,
) -> NDArray[np.float64]:
    """Safety stock (units) read from forecast quantiles of lead-time demand.

    ``quantile_levels`` (k,) increasing probabilities shared by all items, e.g. (0.5, 0.9, 0.95);
    ``lead_time_demand_quantiles`` (items, k) the forecast's lead-time demand at those levels.
    The quantile at each item's ``service_level`` is interpolated linearly and held at the outer
    levels (a forecast that stops at p95 says nothing trustworthy about p99); the result is
    ``quantile − lead_time_demand_mean``, at least 0.
    """
    levels = np.asarray(quantile_levels, dtype=float)
    # Quantile forecasts can cross; sorting each row restores a valid (monotone) quantile curve.
    quantiles = np.sort(np.atleast_2d(np.asarray(lead_time_demand_quantiles, dtype=float)), axis=1)
    target = np.broadcast_to(np.asarray(service_level, dtype=float), quantiles.shape[:1])
    if levels.size == 1:
        value = quantiles[:, 0]
    else:
        right = np.clip(np.searchsorted(levels, target), 1, levels.size - 1)
        left = right - 1
        weight = np.clip((target - levels[left]) / (levels[right] - levels[left]), 0.0, 1.0)
        rows = np.arange(quantiles.shape[0])
        value = quantiles[rows, left] + weight * (quantiles[rows, right] - quantiles[rows, left])
    return cast(
        "NDArray[np.float64]",
        np.maximum(value - np.asarray(lead_time_demand_mean, dtype=float), 0.0),
    )
