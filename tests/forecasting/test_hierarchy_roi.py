"""Hierarchy reconciliation (sums match, known closed forms) and the ROI calculator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.engine import hierarchy, roi

# Four location × product series: products A, A, B, B; categories X, X, X, Y.
PRODUCTS = np.array(["A", "A", "B", "C"])
CATEGORIES = np.array(["X", "X", "X", "Y"])


def tree() -> hierarchy.Hierarchy:
    return hierarchy.hierarchy([("category", CATEGORIES), ("product", PRODUCTS)])


def test_summing_matrix_rows_and_labels():
    built = tree()
    dense = built.summing.toarray()
    assert built.nodes == 1 + 2 + 3 + 4 and built.bottom == 4
    assert built.labels[0] == ("total", "total")
    assert built.labels[1:3] == (("category", "X"), ("category", "Y"))
    assert built.labels[3:6] == (("product", "A"), ("product", "B"), ("product", "C"))
    assert built.labels[6:] == tuple(("bottom", i) for i in range(4))
    np.testing.assert_array_equal(dense[0], [1, 1, 1, 1])
    np.testing.assert_array_equal(dense[1], [1, 1, 1, 0])
    np.testing.assert_array_equal(dense[3], [1, 1, 0, 0])
    np.testing.assert_array_equal(dense[6:], np.eye(4))


def test_bad_levels_are_refused():
    with pytest.raises(ValueError, match="one label per bottom"):
        hierarchy.hierarchy([("category", CATEGORIES), ("product", PRODUCTS[:3])])
    with pytest.raises(ValueError, match="at least one"):
        hierarchy.hierarchy([])
    built = tree()
    with pytest.raises(ValueError, match="nodes="):
        hierarchy.reconcile(np.zeros((3, 2)), built)
    with pytest.raises(ValueError, match="one of"):
        hierarchy.reconcile(np.zeros((built.nodes, 2)), built, method="top_down")
    with pytest.raises(ValueError, match="residuals"):
        hierarchy.reconcile(np.zeros((built.nodes, 2)), built, method="mint_shrink")


def test_bottom_up_adds_the_bottom_forecasts():
    bottom = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    result = hierarchy.bottom_up(bottom, tree())
    np.testing.assert_allclose(result[0], [16.0, 20.0])
    np.testing.assert_allclose(result[1], [9.0, 12.0])  # category X
    np.testing.assert_allclose(result[2], [7.0, 8.0])  # category Y
    np.testing.assert_allclose(result[3], [4.0, 6.0])  # product A
    np.testing.assert_allclose(result[6:], bottom)


def test_coherent_base_forecasts_stay_as_they_are():
    built = tree()
    coherent = built.aggregate(np.array([[1.0], [2.0], [3.0], [4.0]]))
    rng = np.random.default_rng(0)
    residuals = rng.normal(size=(built.nodes, 60))
    for method in hierarchy.METHODS:
        np.testing.assert_allclose(
            hierarchy.reconcile(coherent, built, method, residuals), coherent, atol=1e-9
        )


def test_ols_splits_a_total_gap_evenly_in_a_two_level_tree():
    # Total 12, group 8, bottoms 4 + 4. OLS: SᵀS = [[3, 2], [2, 3]], Sᵀŷ = [24, 24], so each
    # bottom is 24 / 5 = 4.8 and the total 9.6.
    built = hierarchy.hierarchy([("group", np.array(["g", "g"]))])
    base = np.array([[12.0], [8.0], [4.0], [4.0]])  # total, group g, two bottoms
    result = hierarchy.reconcile(base, built, "ols")
    np.testing.assert_allclose(result[2:, 0], [4.8, 4.8])
    np.testing.assert_allclose(result[0], result[2:].sum(axis=0))


@settings(max_examples=40, deadline=None)
@given(
    base=arrays(np.float64, (10, 3), elements=st.floats(-50, 500, allow_nan=False)),
    seed=st.integers(0, 1000),
)
def test_every_method_returns_forecasts_that_add_up(base, seed):
    built = tree()
    residuals = np.random.default_rng(seed).normal(size=(built.nodes, 40))
    dense = built.summing.toarray()
    for method in hierarchy.METHODS:
        result = hierarchy.reconcile(base, built, method, residuals)
        bottom = result[-built.bottom :]
        np.testing.assert_allclose(result, dense @ bottom, rtol=1e-9, atol=1e-6)


def test_shrinkage_intensity_limits():
    rng = np.random.default_rng(3)
    independent = rng.normal(size=(5, 2000))
    common = rng.normal(size=2000)
    correlated = common[None, :] + 0.05 * rng.normal(size=(5, 2000))
    assert hierarchy.shrinkage_intensity(correlated) < 0.01  # strong, well measured
    few = rng.normal(size=(5, 8))  # noise only, few periods: shrink hard
    assert hierarchy.shrinkage_intensity(few) > 0.3
    assert 0.0 <= hierarchy.shrinkage_intensity(independent) <= 1.0
    assert hierarchy.shrinkage_intensity(np.zeros((3, 2))) == 1.0
    covariance = hierarchy.shrunk_covariance(independent)
    assert np.all(np.linalg.eigvalsh(covariance) > 0)
    np.testing.assert_allclose(np.diag(covariance), independent.var(axis=1, ddof=1))


def test_mint_trusts_the_less_noisy_node_more():
    # Total and its one group both forecast 10 with tiny errors, the bottoms 3 + 3 with large
    # ones: MinT keeps the total near 10, OLS moves it further toward 6.
    built = hierarchy.hierarchy([("group", np.array(["g", "g"]))])
    base = np.array([[10.0], [10.0], [3.0], [3.0]])
    rng = np.random.default_rng(5)
    residuals = np.vstack(
        [0.01 * rng.normal(size=200), 0.01 * rng.normal(size=200), rng.normal(size=(2, 200))]
    )
    mint = hierarchy.reconcile(base, built, "mint_shrink", residuals)
    ols = hierarchy.reconcile(base, built, "ols")
    assert abs(mint[0, 0] - 10.0) < abs(ols[0, 0] - 10.0)
    assert abs(mint[0, 0] - 10.0) < 0.5


def test_safety_stock_formula():
    ss = roi.safety_stock(np.array([10.0, 0.0]), 4.0, 0.95)
    np.testing.assert_allclose(ss, [1.6448536 * 10.0 * 2.0, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match="service level"):
        roi.safety_stock(np.ones(1), 1.0, 1.0)
    with pytest.raises(ValueError, match="negative"):
        roi.safety_stock(-np.ones(1), 1.0, 0.9)


def test_roi_estimate_per_series_and_totals():
    result = roi.estimate(
        recommended_rmse=np.array([5.0, 8.0, 3.0]),
        current_rmse=np.array([10.0, 8.0, 2.0]),
        unit_cost=np.array([2.0, 1.0, 5.0]),
        lead_time=9.0,
        service_level=0.9,
        holding_rate=0.25,
    )
    z = 1.2815516
    np.testing.assert_allclose(result.units_saved, [z * 3 * 5, 0.0, -z * 3 * 1], rtol=1e-6)
    np.testing.assert_allclose(result.value_saved, [z * 30, 0.0, -z * 15], rtol=1e-6)
    assert result.total_value_saved == pytest.approx(z * 15, rel=1e-6)
    assert result.total_value_current == pytest.approx(z * 3 * (20 + 8 + 10), rel=1e-6)
    assert result.holding_saving == pytest.approx(0.25 * z * 15, rel=1e-6)
    assert 0 < result.share_saved < 1
    with pytest.raises(ValueError, match="one value per series"):
        roi.estimate(np.ones(2), np.ones(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="unit cost"):
        roi.estimate(np.ones(2), np.ones(2), -1.0, 1.0)


def test_roi_from_a_backtest():
    methods = ("seasonal_naive", "ses", "theta")
    rmse = np.array([[10.0, 6.0, 5.0], [4.0, 4.0, 3.0]])
    result = roi.from_backtest(
        methods, rmse, np.array(["theta", "ses"], dtype=object), unit_cost=1.0, lead_time=1.0
    )
    np.testing.assert_allclose(result.units_saved, [1.6448536 * 5.0, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match="not in the backtest"):
        roi.from_backtest(methods, rmse, np.array(["gbm", "ses"], dtype=object), 1.0, 1.0)
