"""ABC (Pareto) and XYZ (variability) classification.

ABC ranks items by a measure (revenue or quantity over the look-back) and cuts the cumulative
share at the class shares (default 80/15/5). An item belongs to a class when the share of the
items ranked above it is still below that class's cumulative limit, so the item that crosses
80% is still A: class A holds at least 80% of the measure, and would hold less without its
last item.

XYZ uses the coefficient of variation ``σ / μ`` of demand per period (e.g. weekly buckets):
X ≤ 0.5 < Y ≤ 1.0 < Z by default (cut-offs configurable). Items that never sold are Z: their
demand is not predictable at all.

The one home of both (ADR 19): the inventory metrics refresh (ABC per location, XYZ of weekly
demand) and the forecast runs (XYZ of each series, ABC of the run's value) call these
functions. Pure NumPy, so the compute cores of both apps may import it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

ABC_LABELS = np.array(["A", "B", "C"])
XYZ_LABELS = np.array(["X", "Y", "Z"])


def abc_classify(
    measure: ArrayLike,
    shares: tuple[float, float, float] = (0.80, 0.15, 0.05),
    group: ArrayLike | None = None,
) -> NDArray[np.str_]:
    """ABC class per item ("A", "B" or "C").

    ``measure`` (items,) revenue or quantity over the look-back, ≥ 0 (NaN counts as 0);
    ``shares`` the class shares, summing to 1; ``group`` (items,) optional integer key (e.g. the
    location) to rank within each group separately instead of across all items.
    Ties keep input order; items with a measure of 0 are always C.
    """
    if len(shares) != 3 or min(shares) < 0 or not np.isclose(sum(shares), 1.0):
        raise ValueError("shares must be three non-negative numbers summing to 1")
    value = np.nan_to_num(np.asarray(measure, dtype=float), nan=0.0)
    if (value < 0).any():
        raise ValueError("the ABC measure must not be negative")
    keys = np.zeros(value.size, dtype=np.int64) if group is None else np.asarray(group)

    # Sort by group, then by value descending (lexsort is stable, so ties keep input order).
    order = np.lexsort((-value, keys))
    sorted_value = value[order]
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    group_of = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, value.size]))
    cumulative = np.cumsum(sorted_value)
    offset = np.r_[0.0, cumulative][starts]  # running total before each group starts
    group_total = np.add.reduceat(sorted_value, starts) if value.size else np.zeros(0)
    before = cumulative - sorted_value - offset[group_of]
    with np.errstate(divide="ignore", invalid="ignore"):
        share_before = before / group_total[group_of]

    limit_a, limit_b = shares[0], shares[0] + shares[1]
    # Relative tolerance: cumulative sums carry rounding error that must not flip a boundary item.
    eps = 1e-12
    codes = np.where(share_before < limit_a - eps, 0, np.where(share_before < limit_b - eps, 1, 2))
    codes = np.where(sorted_value > 0, codes, 2)
    classes = np.empty(value.size, dtype=ABC_LABELS.dtype)
    classes[order] = ABC_LABELS[codes]
    return classes


def coefficient_of_variation(demand_by_period: ArrayLike) -> NDArray[np.float64]:
    """``σ / μ`` of each row of an (items, periods) array (NaN periods ignored; population σ);
    +inf where the mean is 0."""
    demand = np.asarray(demand_by_period, dtype=float)
    counts = np.sum(~np.isnan(demand), axis=1)
    safe = np.where(np.isnan(demand), 0.0, demand)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = safe.sum(axis=1) / counts
        deviation = np.where(np.isnan(demand), 0.0, demand - mean[:, None])
        std = np.sqrt((deviation**2).sum(axis=1) / counts)
        cv = std / mean
    return np.where(mean > 0, cv, np.inf)


def xyz_classify(
    demand_by_period: ArrayLike, cutoffs: tuple[float, float] = (0.5, 1.0)
) -> NDArray[np.str_]:
    """XYZ class per item from the coefficient of variation of its (items, periods) demand:
    X when CV ≤ ``cutoffs[0]``, Y when CV ≤ ``cutoffs[1]``, else Z."""
    return xyz_from_cv(coefficient_of_variation(demand_by_period), cutoffs)


def xyz_from_cv(cv: ArrayLike, cutoffs: tuple[float, float] = (0.5, 1.0)) -> NDArray[np.str_]:
    """XYZ class per item from its coefficient of variation (NaN or inf: Z)."""
    if not 0 <= cutoffs[0] <= cutoffs[1]:
        raise ValueError("cut-offs must satisfy 0 ≤ x_limit ≤ y_limit")
    cv = np.asarray(cv, dtype=float)
    return XYZ_LABELS[np.where(cv <= cutoffs[0], 0, np.where(cv <= cutoffs[1], 1, 2))]
