"""Sparse patterns take their pattern's best single method, ranked over a longer backtest, and
keep their spikes (ADR 40 addendum)."""

from __future__ import annotations

import numpy as np

from forecasting.engine import cleaning
from forecasting.engine.backtest import (
    COMBO,
    POOLED_FOLDS,
    pattern_choice,
    run_test_bed,
)
from forecasting.engine.classification import INTERMITTENT, LUMPY, SMOOTH
from forecasting.engine.forecast import ForecastSpec, is_count_like

SPEC = ForecastSpec(horizon=14, season_length=7)


def mixed(seed: int = 4, sparse: int = 16, dense: int = 6, periods: int = 420) -> np.ndarray:
    """``sparse`` intermittent/lumpy rows (sales on ~25 % of days) and ``dense`` smooth ones."""
    rng = np.random.default_rng(seed)
    occurs = rng.random((sparse, periods)) < 0.25
    sizes = rng.negative_binomial(2, 0.4, size=(sparse, periods)) + 1
    smooth = rng.poisson(40.0, size=(dense, periods))
    return np.vstack([np.where(occurs, sizes, 0), smooth]).astype(float)


def test_sparse_series_share_their_patterns_single_method_and_dense_ones_do_not_have_to():
    history = mixed()
    bed = run_test_bed(history, SPEC)
    pattern = bed.classification.pattern
    sparse = np.isin(pattern, [INTERMITTENT, LUMPY]) & ~bed.classification.new_item
    assert sparse.sum() >= 10 and (pattern == SMOOTH).any()
    method = bed.recommendation.method
    for name in (INTERMITTENT, LUMPY):
        rows = sparse & (pattern == name)
        if rows.any():
            assert len(set(method[rows])) == 1
    assert COMBO not in set(method[sparse])
    # The choice is the longer backtest's: the selection carries that method's forecast.
    picked = pattern_choice(
        history, history, SPEC, bed.backtest.methods[:-1], pattern, sparse, "rmsse"
    )
    assert picked is not None
    assert picked[1] == POOLED_FOLDS  # 420 days leave room for 12 folds of 14
    assert method[sparse].tolist() == picked[0].tolist()
    for row in np.flatnonzero(sparse):
        np.testing.assert_allclose(bed.selected.point[row], bed.forecasts[method[row]].point[row])
    # Without the rule each sparse series ranks on its own folds: choices differ or combine.
    own = run_test_bed(history, SPEC, pooled_patterns=()).recommendation.method
    assert len(set(own[sparse])) > 2 or COMBO in set(own[sparse])


def test_the_longer_backtest_uses_as_many_folds_as_the_history_allows():
    history = mixed(periods=120)
    pattern = np.array([INTERMITTENT] * len(history), dtype=object)
    rows = np.ones(len(history), dtype=bool)
    picked = pattern_choice(history, history, SPEC, ("ses", "sba"), pattern, rows, "rmsse")
    assert picked is not None
    assert picked[1] == (120 - 28) // 14  # each origin keeps two horizons of history
    assert set(picked[0]) <= {"ses", "sba"}
    assert (
        pattern_choice(history[:, :30], history[:, :30], SPEC, ("ses",), pattern, rows, "rmse")
        is None
    )
    assert pattern_choice(history, history, SPEC, ("ses",), pattern, ~rows, "rmse") is None
    assert pattern_choice(history, history, SPEC, (), pattern, rows, "rmse") is None
    # No more folds than the Test Bed's own: no pattern choice (the per-series one stays).
    assert (
        pattern_choice(history, history, SPEC, ("ses",), pattern, rows, "rmse", more_than=6) is None
    )


def test_no_more_folds_than_the_test_beds_keeps_the_per_series_choice():
    history = mixed(periods=98)  # (98 − 28) // 14 = 5 folds fit, the Test Bed runs 5
    bed = run_test_bed(history, SPEC, folds=5)
    own = run_test_bed(history, SPEC, folds=5, pooled_patterns=())
    assert bed.recommendation.method.tolist() == own.recommendation.method.tolist()


def test_a_sparse_series_with_filled_stockout_days_is_not_capped():
    # Lumpy sales (a quarter of the days, sizes averaging 20); twelve stockout days are filled
    # with weekday medians, which makes row 1 fractional, so no longer count-like.
    rng = np.random.default_rng(0)
    occurs = rng.random((3, 420)) < 0.25
    sizes = rng.negative_binomial(1, 1 / 20, size=(3, 420)) + 1
    history = np.where(occurs, sizes, 0).astype(float)
    stockout = np.zeros(history.shape, dtype=bool)
    stockout[:, 300:312] = True
    filled, _mask = cleaning.censor(history, stockout, infer=False)
    assert is_count_like(history).all() and not is_count_like(filled)[1]
    bed = run_test_bed(history, SPEC, stockout=stockout, infer_stockouts=False)
    level = bed.forecasts["ses"].point.mean(axis=1)
    # Capped at its mostly-zero fortnight medians the level fell to a fifth of the demand.
    assert level[1] > 0.6 * history[1, -200:].mean()
