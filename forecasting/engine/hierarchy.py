"""Forecast reconciliation over a hierarchy (total → category → product → location …).

Forecasts made series by series do not add up: the category's forecast is not the sum of its
products'. Reconciliation returns forecasts for every node that do, ``ỹ = S·b̃``, where ``S``
``(nodes, bottom)`` is the summing matrix (row of a node: 1 for each bottom series under it)
and ``b̃`` the reconciled bottom-level forecasts:

- bottom-up: ``b̃`` = the bottom forecasts themselves;
- OLS (Hyndman et al. 2011): ``b̃ = (SᵀS)⁻¹Sᵀŷ`` from the base forecasts ``ŷ`` of every node;
- MinT-shrink (Wickramasuriya, Athanasopoulos & Hyndman 2019): ``b̃ = (SᵀW⁻¹S)⁻¹SᵀW⁻¹ŷ`` with
  ``W`` the covariance of the nodes' one-step in-sample errors, shrunk toward its diagonal
  (Schäfer & Strimmer 2005): ``W = D^½ (λI + (1 − λ)R) D^½``, ``R`` the error correlations,
  ``λ = Σ_{i≠j} Var(r_ij) / Σ_{i≠j} r_ij²`` clipped to [0, 1].

Node order everywhere: the total first, then each aggregate level's groups (sorted labels),
then the bottom series in input order. Bottom-up runs on a sparse ``S`` (any size); OLS and
MinT solve dense ``bottom × bottom`` and ``nodes × nodes`` systems, meant for hierarchies of up
to a few thousand series (reconcile larger ones per category).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

METHODS = ("bottom_up", "ols", "mint_shrink")


@dataclass(frozen=True)
class Hierarchy:
    """``summing``: sparse ``(nodes, bottom)`` 0/1 matrix; ``labels``: one ``(level, group)``
    per node (``("total", "total")`` first, ``("bottom", index)`` last)."""

    summing: sparse.csr_matrix
    labels: tuple[tuple[str, object], ...]

    @property
    def bottom(self) -> int:
        return int(self.summing.shape[1])

    @property
    def nodes(self) -> int:
        return int(self.summing.shape[0])

    def aggregate(self, bottom: np.ndarray) -> np.ndarray:
        """Every node's sum of ``bottom`` ``(bottom, …)`` rows: ``(nodes, …)``."""
        values = np.asarray(bottom, dtype=np.float64)
        flat = values.reshape(values.shape[0], -1)
        return np.asarray(self.summing @ flat).reshape(self.nodes, *values.shape[1:])


def hierarchy(levels: Sequence[tuple[str, np.ndarray]]) -> Hierarchy:
    """The hierarchy over bottom series whose group at each aggregate level is given by
    ``levels``: ``[("category", ids), ("product", ids), …]``, each ``ids`` one label per bottom
    series (top level first). The total and the bottom level are added."""
    from scipy import sparse  # on use: at module level it slowed every start (ADR 27)

    rows = [sparse.csr_matrix(np.ones((1, _length(levels))))]
    labels: list[tuple[str, object]] = [("total", "total")]
    count = _length(levels)
    for name, ids in levels:
        ids = np.asarray(ids)
        if ids.shape != (count,):
            raise ValueError(f"level {name!r} needs one label per bottom series")
        groups, inverse = np.unique(ids, return_inverse=True)
        rows.append(
            sparse.csr_matrix(
                (np.ones(count), (inverse, np.arange(count))), shape=(len(groups), count)
            )
        )
        labels.extend((name, group.item() if hasattr(group, "item") else group) for group in groups)
    rows.append(sparse.identity(count, format="csr"))
    labels.extend(("bottom", index) for index in range(count))
    return Hierarchy(sparse.vstack(rows, format="csr"), tuple(labels))


def _length(levels: Sequence[tuple[str, np.ndarray]]) -> int:
    if not levels:
        raise ValueError("give at least one aggregate level (the bottom is implied)")
    return len(levels[0][1])


def bottom_up(bottom: np.ndarray, tree: Hierarchy) -> np.ndarray:
    """Reconciled forecasts ``(nodes, horizon)`` from bottom forecasts ``(bottom, horizon)``."""
    return tree.aggregate(bottom)


def reconcile(
    base: np.ndarray,
    tree: Hierarchy,
    method: str = "mint_shrink",
    residuals: np.ndarray | None = None,
) -> np.ndarray:
    """Reconciled forecasts ``(nodes, horizon)`` from base forecasts of every node
    ``(nodes, horizon)`` (``bottom_up`` reads only the bottom rows). ``mint_shrink`` needs
    ``residuals`` ``(nodes, periods)``: each node's in-sample one-step forecast errors."""
    base = np.asarray(base, dtype=np.float64)
    if base.ndim != 2 or base.shape[0] != tree.nodes:
        raise ValueError(f"base forecasts must be (nodes={tree.nodes}, horizon)")
    if method == "bottom_up":
        return bottom_up(base[-tree.bottom :], tree)
    summing = tree.summing.toarray()
    if method == "ols":
        gram = summing.T @ summing
        bottom = np.linalg.solve(gram, summing.T @ base)
    elif method == "mint_shrink":
        if residuals is None:
            raise ValueError("mint_shrink needs the nodes' in-sample residuals")
        covariance = shrunk_covariance(np.asarray(residuals, dtype=np.float64))
        weighted = np.linalg.solve(covariance, summing)  # W⁻¹S, (nodes, bottom)
        bottom = np.linalg.solve(summing.T @ weighted, weighted.T @ base)
    else:
        raise ValueError(f"reconciliation method is one of {METHODS}, not {method!r}")
    return cast("np.ndarray", summing @ bottom)


def shrinkage_intensity(residuals: np.ndarray) -> float:
    """Schäfer–Strimmer λ for the correlation matrix of ``residuals`` ``(series, periods)``."""
    standard = _standardise(residuals)
    periods = standard.shape[1]
    if periods < 3:
        return 1.0
    x = standard.T  # (periods, series)
    mean_products = x.T @ x / periods  # w̄_ij
    # Σ_k w_kij² over i, j at once: Σ_k (Σ_i x_ki²)², and over the diagonal Σ_k Σ_i x_ki⁴.
    squares = x * x
    all_pairs = np.sum(squares.sum(axis=1) ** 2)
    diagonal = np.sum(squares * squares)
    off_square_sums = all_pairs - diagonal
    off_mean_squares = np.sum(mean_products**2) - np.sum(np.diag(mean_products) ** 2)
    variance_sum = periods / (periods - 1) ** 3 * (off_square_sums - periods * off_mean_squares)
    correlation_sum = (periods / (periods - 1)) ** 2 * off_mean_squares
    if correlation_sum <= 0:
        return 1.0
    return float(np.clip(variance_sum / correlation_sum, 0.0, 1.0))


def shrunk_covariance(residuals: np.ndarray) -> np.ndarray:
    """``(series, series)`` covariance of ``residuals`` with its correlations shrunk toward
    zero by :func:`shrinkage_intensity` (variances kept); always positive definite when every
    series' residuals vary."""
    centred = residuals - residuals.mean(axis=1, keepdims=True)
    periods = residuals.shape[1]
    covariance = centred @ centred.T / max(periods - 1, 1)
    variance = np.diag(covariance).copy()
    floor = max(float(variance.max(initial=0.0)) * 1e-9, 1e-12)
    variance = np.maximum(variance, floor)
    scale = np.sqrt(variance)
    correlation = covariance / np.outer(scale, scale)
    np.fill_diagonal(correlation, 1.0)
    strength = shrinkage_intensity(residuals)
    shrunk = strength * np.eye(len(variance)) + (1.0 - strength) * correlation
    return cast("np.ndarray", shrunk * np.outer(scale, scale))


def _standardise(residuals: np.ndarray) -> np.ndarray:
    centred = residuals - residuals.mean(axis=1, keepdims=True)
    spread = centred.std(axis=1, ddof=1, keepdims=True)
    return np.where(spread > 0, centred / np.where(spread > 0, spread, 1.0), 0.0)
