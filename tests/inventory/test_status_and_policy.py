"""Status boundaries, recommendations, the all-in-one calculation and ABC/XYZ (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inventory.policy import (
    STATUS_NAMES,
    PolicyInputs,
    PolicySettings,
    SafetyStockMethod,
    StockStatus,
    abc_classify,
    calculate_policy,
    coefficient_of_variation,
    days_until_order,
    latest_order_date,
    recommended_order_quantity,
    safety_stock_normal,
    stock_status,
    xyz_classify,
)


def status_of(position, on_hand=None, demand=10.0, **overrides):
    arguments = {
        "inventory_position": position,
        "on_hand": position if on_hand is None else on_hand,
        "mean_daily_demand": demand,
        "lead_time_days": 5.0,
        "reorder_point": 70.0,
        "order_up_to_level": 200.0,
    }
    arguments.update(overrides)
    return STATUS_NAMES[stock_status(**arguments)].tolist()


def test_status_boundaries():
    # d·L = 50 (critical below), reorder point 70, overstock above 200 · 1.25 = 250
    positions = [49.9, 50.0, 70.0, 70.1, 250.0, 250.1]
    assert status_of(positions) == [
        "critical",
        "reorder_now",
        "reorder_now",
        "ok",
        "ok",
        "overstock",
    ]


def test_status_no_data_and_dead_stock():
    assert status_of([np.nan, 30.0, 30.0], demand=[10.0, np.nan, 0.0]) == [
        "no_data",
        "no_data",
        "dead_stock",
    ]
    assert status_of([0.0], demand=0.0) == ["ok"]  # nothing held, nothing sells
    since = [200.0, 100.0, np.nan]
    assert status_of([300.0, 300.0, 300.0], days_since_last_sale=since) == [
        "dead_stock",
        "overstock",
        "dead_stock",  # never sold
    ]


def test_recommended_order_quantity_only_when_ordering():
    status = np.array([StockStatus.REORDER_NOW, StockStatus.CRITICAL, StockStatus.OK])
    quantity = recommended_order_quantity(
        status=status,
        inventory_position=[10.0, -5.0, 10.0],
        order_up_to_level=[100.0, 100.0, 100.0],
        minimum_order_quantity=[0.0, 120.0, 0.0],
        pack_size=[12.0, 12.0, 12.0],
    )
    # 90 → 8 packs = 96; 105 → MOQ 120; ok → 0
    assert quantity.tolist() == [96.0, 120.0, 0.0]


def test_latest_order_date():
    days = days_until_order(
        [100.0, 30.0, 50.0, np.nan], [40.0, 40.0, 40.0, 40.0], [10.0, 10.0, 0.0, 1.0]
    )
    assert days[:2].tolist() == [6.0, 0.0]
    assert days[2] == np.inf
    assert np.isnan(days[3])
    dates = latest_order_date("2024-02-27", days)
    assert dates[0] == np.datetime64("2024-03-04")
    assert dates[1] == np.datetime64("2024-02-27")
    assert np.isnat(dates[2]) and np.isnat(dates[3])


def inputs(**overrides):
    base = {
        "mean_daily_demand": np.array([10.0, 0.4, 50.0]),
        "demand_std_daily": np.array([3.0, 0.8, 10.0]),
        "lead_time_days": np.array([4.0, 10.0, 7.0]),
        "lead_time_std_days": np.array([1.0, 0.0, 0.0]),
        "on_hand": np.array([40.0, 2.0, 5000.0]),
        "service_level": np.array([0.95, 0.95, 0.98]),
        "unit_cost": np.array([20.0, 5.0, 2.0]),
        "minimum_order_quantity": np.array([0.0, 10.0, 0.0]),
        "pack_size": np.array([12.0, 1.0, 1.0]),
    }
    base.update(overrides)
    return PolicyInputs(**base)


def test_calculate_policy_continuous_review_by_hand():
    settings = PolicySettings(review_period_days=0, ordering_cost=50, holding_cost_rate=0.25)
    result = calculate_policy(inputs(), settings)
    expected_safety = 1.644854 * math.sqrt(4 * 9 + 100 * 1)
    assert result.safety_stock[0] == pytest.approx(expected_safety, rel=1e-6)
    assert result.reorder_point[0] == pytest.approx(40 + expected_safety, rel=1e-6)
    assert result.order_quantity[0] == 276  # EOQ 270.2 in packs of 12
    assert result.order_up_to_level[0] == pytest.approx(40 + expected_safety + 276)
    # Item 0: 40 on hand equals d·L = 40, so not yet critical; item 1: 2 on hand against
    # 0.4 · 10 = 4 units of lead-time demand is.
    assert STATUS_NAMES[result.status].tolist() == ["reorder_now", "critical", "overstock"]
    assert result.recommended_order_quantity[0] % 12 == 0
    assert result.recommended_order_quantity[0] >= result.order_up_to_level[0] - 40
    # The slow mover (4 units over its lead time) goes to the discrete method.
    assert result.method.tolist() == [
        SafetyStockMethod.NORMAL,
        SafetyStockMethod.DISCRETE,
        SafetyStockMethod.NORMAL,
    ]
    assert result.days_of_cover.tolist() == [4.0, 5.0, 100.0]
    assert result.stockout_risk.min() >= 0.0 and result.stockout_risk.max() <= 1.0
    assert set(result.as_columns()) >= {"safety_stock", "status", "stockout_risk"}


def test_daily_review_adds_the_undershoot_to_the_reorder_point():
    continuous = calculate_policy(inputs(), PolicySettings(review_period_days=0))
    daily = calculate_policy(inputs(), PolicySettings(review_period_days=1))
    # d = 10, σ_d = 3: E[U] = 9/20 + 5 = 5.45 units more before the safety stock
    gap = daily.reorder_point[0] - continuous.reorder_point[0]
    assert gap > 5.45
    assert daily.safety_stock[0] > continuous.safety_stock[0]


def test_order_up_to_policy_protects_lead_time_plus_review():
    settings = PolicySettings(policy_kind="order_up_to", review_period_days=7)
    result = calculate_policy(inputs(), settings)
    safety = safety_stock_normal(0.98, 50, 10, 7, 0, 7)
    assert result.safety_stock[2] == pytest.approx(safety)
    assert result.order_up_to_level[2] == pytest.approx(50 * 14 + safety)
    assert result.reorder_point[2] == pytest.approx(50 * 7 + safety)


def test_fill_rate_target_and_cost_optimal_level():
    fill = calculate_policy(inputs(), PolicySettings(service_level_kind="fill_rate"))
    cycle = calculate_policy(inputs(), PolicySettings())
    # With a 276-unit lot a 95% fill rate needs less buffer than a 95% cycle service level.
    assert fill.safety_stock[0] < cycle.safety_stock[0]
    costly = calculate_policy(
        inputs(stockout_cost_per_unit=np.array([1000.0, np.nan, np.nan])),
        PolicySettings(service_level_kind="fill_rate"),
    )
    assert costly.service_level[0] > 0.99  # a dear stockout buys a high level
    assert costly.service_level[1:].tolist() == [0.95, 0.98]  # targets kept without a cost
    assert costly.safety_stock[0] > fill.safety_stock[0]


def test_slow_movers_can_use_forecast_quantiles():
    quantiles = np.array([[4.0, 8.0, 12.0], [2.0, 6.0, 9.0], [300.0, 350.0, 400.0]])
    result = calculate_policy(
        inputs(
            intermittent=np.array([False, True, False]),
            quantile_levels=np.array([0.5, 0.9, 0.99]),
            lead_time_demand_quantiles=quantiles,
        ),
        PolicySettings(review_period_days=0),
    )
    assert result.method[1] == SafetyStockMethod.QUANTILES
    # 6 + (0.05/0.09)·3 − 4 (mean lead-time demand 0.4 · 10)
    assert result.safety_stock[1] == pytest.approx(6 + 3 * 5 / 9 - 4)


def test_settings_are_validated():
    with pytest.raises(ValueError):
        PolicySettings(service_level_kind="type 3")
    with pytest.raises(ValueError):
        PolicySettings(policy_kind="kanban")
    with pytest.raises(ValueError):
        PolicySettings(review_period_days=-1)
    with pytest.raises(ValueError):
        PolicySettings(policy_kind="order_up_to", review_period_days=0)


def test_abc_by_hand():
    revenue = [50, 30, 10, 5, 3, 2]
    # shares before each item: 0, .5, .8, .9, .95, .98
    assert abc_classify(revenue).tolist() == ["A", "A", "B", "B", "C", "C"]
    # 50/30/20: the third item starts at 0.8, the A+B limit, so it is already C
    assert abc_classify(revenue, shares=(0.5, 0.3, 0.2)).tolist() == list("ABCCCC")
    # The item that crosses the limit stays in A, even alone.
    assert abc_classify([90, 5, 5]).tolist() == ["A", "B", "C"]
    assert abc_classify([0, 0]).tolist() == ["C", "C"]


def test_abc_within_groups_and_bad_input():
    classes = abc_classify([50, 30, 10, 5, 1, 1, 8], group=[1, 1, 1, 1, 2, 2, 2])
    assert classes.tolist() == ["A", "A", "B", "B", "B", "B", "A"]
    with pytest.raises(ValueError):
        abc_classify([1, 2], shares=(0.8, 0.1, 0.05))
    with pytest.raises(ValueError):
        abc_classify([1, -2])


def test_xyz_by_hand():
    demand = [[1, 1, 1, 1], [1, 3, 1, 3], [0, 0, 0, 4], [0, 0, 0, 0], [1, np.nan, 1, 1]]
    cv = coefficient_of_variation(demand)
    assert cv[:3] == pytest.approx([0.0, 0.5, math.sqrt(3)])
    assert cv[3] == np.inf
    assert xyz_classify(demand).tolist() == ["X", "X", "Z", "Z", "X"]
    assert xyz_classify(demand, cutoffs=(0.2, 2.0)).tolist() == ["X", "Y", "Y", "Z", "X"]
    with pytest.raises(ValueError):
        xyz_classify(demand, cutoffs=(1.0, 0.5))
