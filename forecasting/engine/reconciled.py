"""Reconciled forecasts of a whole hierarchy from its bottom series' history and forecasts.

The bottom series (product × location) already have their forecasts (the Test Bed's
choice). Every upper node (product, category, total) gets a *base* forecast of its own
here: its history is the sum of its bottom series' history (``S @ history``), and the best
of a few fast methods by a rolling-origin backtest forecasts it. Base forecasts of all
nodes are then reconciled (:func:`hierarchy.reconcile`: OLS or MinT-shrink) so that every
node is the sum of its children again.

MinT needs each node's forecast errors: here the backtest errors of the node's own base
method, ``folds`` folds of ``horizon`` periods ending at the history's end (the errors of
every step pooled, ``folds × horizon`` columns per node). For a bottom series that is the
method the run selected when it is one of the fast methods; otherwise (an ensemble, the
global model) the best quick method's errors stand in.

Pure NumPy, no Django; dense OLS/MinT, so meant for up to a few thousand bottom series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from .backtest import rolling_origins
from .forecast import ForecastSpec, as_history
from .hierarchy import Hierarchy, hierarchy, reconcile
from .methods import FAST_METHODS, method_named

# Quick candidates for the upper nodes' base forecasts (aggregates are smooth, rarely
# intermittent: the seasonal and level methods cover them).
UPPER_METHODS: tuple[str, ...] = ("seasonal_naive", "ses", "holt_winters_additive", "theta")


@dataclass(frozen=True)
class ReconciledForecast:
    """``base`` and ``reconciled`` forecasts ``(nodes, horizon)`` in the node order of
    ``tree``; ``node_method`` the base method of each upper node (bottom rows: ``""``);
    ``residuals`` ``(nodes, folds × horizon)`` backtest errors (the MinT input)."""

    tree: Hierarchy
    base: np.ndarray
    reconciled: np.ndarray
    node_method: np.ndarray
    residuals: np.ndarray

    @property
    def bottom_change(self) -> np.ndarray:
        """Reconciled minus stored bottom forecasts ``(bottom, horizon)``."""
        return cast(
            "np.ndarray", self.reconciled[-self.tree.bottom :] - self.base[-self.tree.bottom :]
        )


def _backtest_paths(
    history: np.ndarray, method: str, spec: ForecastSpec, origins: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """``method`` from every backtest origin and from the end: errors ``(series, folds ×
    horizon)`` (actual − forecast) and the final point forecast ``(series, horizon)``."""
    periods = history.shape[1]
    paths = method_named(method)(history, spec, (*origins, periods))
    actual = np.concatenate([history[:, o : o + spec.horizon] for o in origins], axis=1)
    predicted = np.concatenate([path.point for path in paths[:-1]], axis=1)
    return actual - predicted, paths[-1].point


def reconcile_hierarchy(
    history: np.ndarray,
    bottom_forecast: np.ndarray,
    levels: Sequence[tuple[str, np.ndarray]],
    spec: ForecastSpec,
    method: str,
    *,
    folds: int = 3,
    bottom_methods: np.ndarray | None = None,
    candidates: Sequence[str] = UPPER_METHODS,
) -> ReconciledForecast:
    """Reconcile the hierarchy over bottom series with ``history`` ``(bottom, periods)`` and
    stored forecasts ``bottom_forecast`` ``(bottom, horizon)``; ``levels`` as in
    :func:`hierarchy.hierarchy` (top level first); ``method`` ``ols`` or ``mint_shrink``;
    ``bottom_methods`` the method that made each bottom forecast (for its residuals)."""
    values = as_history(history)
    bottom = np.asarray(bottom_forecast, dtype=np.float64)
    if bottom.shape != (values.shape[0], spec.horizon):
        raise ValueError("bottom forecasts must be (bottom series, horizon)")
    if method not in ("ols", "mint_shrink"):
        raise ValueError(f"reconciliation is 'ols' or 'mint_shrink', not {method!r}")
    folds = min(folds, (values.shape[1] - 2) // spec.horizon)
    if folds < 1:
        raise ValueError(f"{values.shape[1]} periods are too few to backtest {spec.horizon}")
    point_spec = ForecastSpec(horizon=spec.horizon, season_length=spec.season_length, levels=())
    origins = rolling_origins(values.shape[1], spec.horizon, folds)
    tree = hierarchy(levels)
    nodes = tree.aggregate(values)  # (nodes, periods): every node's history
    upper = tree.nodes - tree.bottom

    # Every candidate on every node: upper nodes pick the best by MAE; the bottom rows give
    # the stand-in residuals of series whose own method is not a fast one.
    errors, finals = [], []
    for name in candidates:  # a loop over methods, not rows
        error, final = _backtest_paths(nodes, name, point_spec, origins)
        errors.append(error)
        finals.append(final)
    error_stack = np.stack(errors)  # (candidates, nodes, folds × horizon)
    best = np.argmin(np.abs(error_stack).mean(axis=2), axis=0)  # (nodes,)
    rows = np.arange(tree.nodes)
    residuals = error_stack[best, rows]
    base = np.concatenate([np.stack(finals)[best[:upper], rows[:upper]], bottom], axis=0)

    if bottom_methods is not None:
        named = np.asarray(bottom_methods, dtype=object)
        for name in sorted(set(named.tolist()) & set(FAST_METHODS)):  # over methods
            mine = np.flatnonzero(named == name)
            own, _final = _backtest_paths(values[mine], name, point_spec, origins)
            residuals[upper + mine] = own
    node_method = np.concatenate(
        [np.asarray(candidates, dtype=object)[best[:upper]], np.full(tree.bottom, "", object)]
    )
    result = reconcile(base, tree, method, residuals if method == "mint_shrink" else None)
    return ReconciledForecast(tree, base, result, node_method, residuals)
