"""How far to trust an item's own error spread when it rests on few observations (ADR 44).

Pure NumPy (SciPy's special functions on first use), no Django; arrays of one element per
product × location (or (items, K), one column per re-fit).

* :func:`pooled_error_spread` — empirical Bayes: an item's error variance is a weighted mean
  of its own and a prior, the item's demand variance (known from every day since its first
  sale, not only from the few errors) times the pool's ratio of error to demand variance.
  The weights are the item's independent errors against ``prior_weight`` pseudo-observations,
  as the normal-variance conjugate update (inverse gamma) gives it:
  ``σ² = (n·s² + n₀·κ·d²) / (n + n₀)``. A launch without errors gets the prior; an item
  with a year of errors (26 independent ones over a week) keeps 93 % of its own.
* :func:`small_sample_factor` — the predictive quantile of a normal error whose variance was
  estimated from ``n`` observations is Student-t with ``n`` degrees of freedom, wider than the
  normal quantile: the factor ``t_n(q) / z(q)`` multiplies the spread at the level ``q``
  (1 at ``n = ∞``; at q = 0.98: 2.36 at ``n = 2``, 1.46 at ``n = 4``, 1.07 at ``n = 20``).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Pseudo-observations (independent errors) the pooled prior is worth against an item's own
# (4 was measured too: launches 2–3 points lower, the same inventory; ADR 44).
PRIOR_WEIGHT = 2.0
# Items with fewer independent errors than this do not enter the pooled ratio.
MIN_POOL_OBSERVATIONS = 4.0


def pooled_error_spread(
    spread: ArrayLike,
    observations: ArrayLike,
    scale: ArrayLike,
    *,
    group: ArrayLike | None = None,
    scale_observations: ArrayLike | None = None,
    prior_weight: float = PRIOR_WEIGHT,
    min_pool_observations: float = MIN_POOL_OBSERVATIONS,
) -> tuple[FloatArray, FloatArray]:
    """(posterior spread, its degrees of freedom ``n + n₀``), same shape as ``spread``.

    ``spread`` (items,) or (items, K): each item's own error spread; ``observations``: the
    independent errors behind it (0 where none: the prior alone); ``scale``: a spread of the
    item known from more data than its errors, in the same unit (the spread of its daily
    demand): the prior is ``κ · scale²`` with the pool's ratio
    ``κ = Σ n_i s_i² / Σ n_i scale_i²`` over the items of the column and group with
    ``n_i ≥ min_pool_observations``, i.e. how much larger forecast errors run than the
    demand's own spread. Where the pool is empty or an item's scale is not positive the item
    keeps its own spread (and its own degrees of freedom). ``group`` (items,): separate pools
    per label (say the demand class).
    """
    own = np.asarray(spread, dtype=float)
    count = np.broadcast_to(
        np.maximum(np.nan_to_num(np.asarray(observations, float)), 0.0), own.shape
    )
    reference = np.broadcast_to(np.asarray(scale, dtype=float), own.shape)
    flat = own.ndim == 1
    if flat:
        own, count, reference = own[:, None], count[:, None], reference[:, None]
    labels = np.zeros(own.shape[0], dtype=np.int64)
    if group is not None:
        _, inverse = np.unique(np.asarray(group), return_inverse=True)
        labels = inverse.reshape(-1)
    has_scale = (reference > 0) & np.isfinite(reference)
    pooled_in = has_scale & np.isfinite(own) & (count >= min_pool_observations)
    weight = np.where(pooled_in, count, 0.0)
    ratio = np.full(own.shape, np.nan)
    for label in np.unique(labels):  # a loop over groups, not items
        rows = labels == label
        errors = (weight[rows] * np.where(pooled_in[rows], own[rows], 0.0) ** 2).sum(axis=0)
        demand = (weight[rows] * np.where(pooled_in[rows], reference[rows], 0.0) ** 2).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio[rows] = np.where(demand > 0, errors / demand, np.nan)[None, :]
    usable = has_scale & np.isfinite(ratio)
    prior_variance = np.where(usable, ratio * reference**2, 0.0)
    own_variance = np.nan_to_num(own) ** 2
    posterior = np.where(
        usable,
        (count * own_variance + prior_weight * prior_variance) / (count + prior_weight),
        own_variance,
    )
    freedom = np.where(usable, count + prior_weight, count)
    if scale_observations is not None:
        # The prior is a variance estimated too, from the scale's own observations: the
        # posterior's degrees of freedom are those of a weighted sum of two variance
        # estimates (Welch–Satterthwaite), ν = (a + b)² / (a²/n + b²/m), a and b the own and
        # prior terms of the posterior variance, n and m their observations.
        behind = np.nan_to_num(np.asarray(scale_observations, dtype=float))
        behind = np.broadcast_to(behind[:, None] if flat else behind, own.shape)
        own_term = count * own_variance / (count + prior_weight)
        prior_term = prior_weight * prior_variance / (count + prior_weight)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread_of_terms = np.where(count > 0, own_term**2 / count, 0.0) + np.where(
                behind > 0, prior_term**2 / behind, np.inf
            )
            combined = (own_term + prior_term) ** 2 / spread_of_terms
        combined = np.where(np.isfinite(combined) & (combined > 0), combined, freedom)
        # Never below ``n + n₀``: the prior is worth at least its pseudo-observations.
        freedom = np.where(usable, np.maximum(combined, freedom), freedom)
    result = np.where(np.isnan(own) & ~usable, np.nan, np.sqrt(posterior))
    if flat:
        return result[:, 0], freedom[:, 0]
    return result, freedom


def small_sample_factor(service_level: ArrayLike, degrees_of_freedom: ArrayLike) -> FloatArray:
    """``t_ν(q) / z(q)``: how much wider the ``q`` quantile of an error is when its variance
    was estimated from ``ν`` independent observations (Student-t predictive) than when it is
    known. 1 for ``q ≤ 0.5`` (no safety stock to widen), ``ν`` NaN or infinite; ``ν`` is
    floored at 1 (a spread from no observation is a guess, the Cauchy tail its bound)."""
    from scipy import special  # on first use: start-up stays light (ADR 27)

    level = np.asarray(service_level, dtype=float)
    freedom = np.asarray(degrees_of_freedom, dtype=float)
    level, freedom = np.broadcast_arrays(level, freedom)
    above = (level > 0.5) & (level < 1.0) & np.isfinite(freedom)
    q = np.where(above, level, 0.75)
    nu = np.where(above, np.maximum(freedom, 1.0), 1.0)
    factor = special.stdtrit(nu, q) / special.ndtri(q)
    return cast("FloatArray", np.where(above, factor, 1.0))
