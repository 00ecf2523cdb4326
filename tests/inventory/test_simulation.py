"""The replay, traced by hand on tiny cases, and its guarantees (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from inventory.policy.calculate import PolicySettings
from inventory.policy.simulation import (
    ReplenishmentPolicy,
    SimulationCosts,
    compare_policies,
    days_of_cover_policy,
    policy_from_estimates,
    rolling_demand_estimates,
    simulate,
)


def one_item(s=4.0, up_to=10.0, **extra):
    return ReplenishmentPolicy(
        reorder_point=np.array([s]), order_up_to_level=np.array([up_to]), **extra
    )


def test_lost_sales_trace():
    # Day 0: 6 → 3. Day 1: IP 3 ≤ 4, order 7 (arrives day 2); 5 wanted, 3 served, 2 lost.
    # Day 2: receive 7, serve 3 → 4. Day 3: IP 4, order 6; serve 3 → 1. Day 4: receive 6 → 7 → 4.
    costs = SimulationCosts(
        unit_cost=2.0, holding_cost_rate=0.365, ordering_cost=10.0, stockout_cost_per_unit=5.0
    )
    result = simulate([[3, 5, 3, 3, 3]], one_item(), [1], [6.0], costs=costs)
    assert result.filled_units.tolist() == [15]
    assert result.short_units.tolist() == [2]
    assert result.stockout_days.tolist() == [1]
    assert result.orders_placed.tolist() == [2]
    assert result.ordered_units.tolist() == [13]
    assert result.ending_stock.tolist() == [4]
    assert result.average_on_hand.tolist() == [pytest.approx((3 + 0 + 4 + 1 + 4) / 5)]
    # Cycles end at the receipts on days 2 and 4 (the open one after day 4 never ran out, so
    # its outcome is unknown and it does not count); only the first ran out.
    assert result.cycles.tolist() == [2]
    assert result.stockout_cycles.tolist() == [1]
    assert result.fill_rate.tolist() == [pytest.approx(15 / 17)]
    assert result.cycle_service_level.tolist() == [pytest.approx(1 / 2)]
    # Holding 2 · 0.365 / 365 = 0.002 per unit-day over 12 unit-days
    assert result.holding_cost.tolist() == [pytest.approx(0.024)]
    assert result.ordering_cost.tolist() == [20.0]
    assert result.stockout_cost.tolist() == [10.0]
    assert result.daily_inventory_value.tolist() == [6, 0, 8, 2, 8]
    assert result.daily_short_units.tolist() == [0, 2, 0, 0, 0]
    summary = result.summary()
    assert summary["total_cost"] == pytest.approx(30.024)
    assert summary["fill_rate"] == pytest.approx(15 / 17)
    assert summary["stockout_item_day_share"] == pytest.approx(1 / 5)


def test_backorder_trace():
    # Day 1: 2 backordered. Day 2: IP 0 + 7 − 2 = 5 > 4, no order; receive 7, ship the 2, then
    # 3 → 2 left. Day 3: IP 2, order 8; 2 served, 1 backordered. Day 4: receive 8, ship 1, 3 → 4.
    result = simulate([[3, 5, 3, 3, 3]], one_item(), [1], [6.0], backorders=True)
    assert result.filled_units.tolist() == [14]
    assert result.shipped_units.tolist() == [17]
    assert result.short_units.tolist() == [3]
    assert result.ordered_units.tolist() == [15]
    assert result.ending_stock.tolist() == [4]
    assert result.ending_backorders.tolist() == [0]
    assert result.stockout_days.tolist() == [2]
    assert result.stockout_cycles.tolist() == [2]


def test_order_quantity_policy_orders_whole_batches():
    policy = ReplenishmentPolicy(reorder_point=np.array([4.0]), order_quantity=np.array([4.0]))
    # Day 0: IP 3 ≤ 4 → one batch of 4 (IP 7 > 4), arriving after 2 days.
    result = simulate([[0, 0, 0]], policy, [2], [3.0])
    assert result.ordered_units.tolist() == [4]
    # Backorders: day 0 orders 4 and backorders 5; day 1 IP = 4 − 5 = −1 needs two batches.
    result = simulate([[8, 0, 0]], policy, [2], [3.0], backorders=True)
    assert result.ordered_units.tolist() == [4 + 8]


def test_moq_pack_size_and_open_orders():
    policy = one_item(s=4.0, up_to=10.0, minimum_order_quantity=12.0, pack_size=5.0)
    result = simulate([[4, 0, 0, 0]], policy, [1], [6.0], on_order=[[0.0, 0.0, 3.0]])
    # Day 0: IP 6 + 3 on order = 9 → no order; day 1: IP 2 + 3 = 5 → none; 3 arrives day 2.
    assert result.orders_placed.tolist() == [0]
    result = simulate([[6, 0, 0, 0]], policy, [1], [6.0])
    # Day 1: IP 0 → wants 10, MOQ 12, packs of 5 → 15.
    assert result.ordered_units.tolist() == [15]
    assert result.received_units.tolist() == [15]


def test_zero_lead_time_and_ample_stock_fill_everything():
    rng = np.random.default_rng(7)
    demand = rng.poisson(20, (50, 120)).astype(float)
    policy = ReplenishmentPolicy(
        reorder_point=np.full(50, 100.0), order_up_to_level=np.full(50, 500.0)
    )
    result = simulate(demand, policy, np.zeros(50, int), np.full(50, 500.0))
    assert result.summary()["fill_rate"] == 1.0
    assert result.summary()["cycle_service_level"] == 1.0
    assert result.stockout_days.sum() == 0


def test_time_varying_policy_and_lead_times():
    policy = ReplenishmentPolicy(
        reorder_point=np.array([[0.0, 5.0]]),
        order_up_to_level=np.array([[0.0, 20.0]]),
        change_days=np.array([0, 2]),
    )
    lead_time = np.array([[1, 1, 3, 1, 1, 1]])
    # No orders before day 2; on day 2 IP = 6 − 2·2 = 2 → order 18 arriving day 5.
    result = simulate([[2, 2, 2, 2, 2, 2]], policy, lead_time, [6.0])
    assert result.orders_placed.tolist() == [1]
    assert result.daily_inventory_value.tolist() == [4, 2, 0, 0, 0, 16]
    assert result.stockout_days.tolist() == [2]


def test_review_period_skips_days():
    policy = one_item(s=8.0, up_to=10.0, review_period_days=3)
    result = simulate([[2, 2, 2, 2, 2, 2]], policy, [0], [9.0])
    # Reviews on days 0 and 3 only. Day 0: order 1 → 10, serve 2 → 8; days 1–2 → 4 (no review
    # although below s); day 3: order 6 → 10 → 8; days 4–5 → 4.
    assert result.ordered_units.tolist() == [7]
    assert result.ending_stock.tolist() == [4]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        ReplenishmentPolicy(reorder_point=np.array([1.0]))
    with pytest.raises(ValueError):
        one_item(review_period_days=0)
    with pytest.raises(ValueError):
        simulate([[-1.0]], one_item(), [1], [1.0])
    with pytest.raises(ValueError):
        simulate([[1.0]], one_item(), [-1], [1.0])
    with pytest.raises(ValueError):
        simulate([[1.0]], one_item(), [1], [-1.0])
    with pytest.raises(ValueError):
        bad = ReplenishmentPolicy(
            reorder_point=np.array([[1.0, 2.0]]),
            order_up_to_level=np.array([[3.0, 4.0]]),
            change_days=np.array([1, 2]),
        )
        simulate([[1.0, 1.0]], bad, [1], [1.0])
    with pytest.raises(ValueError):
        rolling_demand_estimates(np.ones((1, 10)), 0, 5)


def test_rolling_estimates_by_hand():
    history = np.array([[1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 2, np.nan, 2, 2, 2]], dtype=float)
    estimates = rolling_demand_estimates(history, 4, 4, window_days=4, refit_every_days=2)
    assert estimates.change_days.tolist() == [0, 2]
    # Day 4 sees days 0–3; day 6 sees days 2–5 (the NaN day is skipped).
    assert estimates.mean_daily_demand[0].tolist() == [2.5, 4.5]
    assert estimates.mean_daily_demand[1].tolist() == [2.0, 2.0]
    # Daily misses of the moving average known by day 4: days 1, 2, 3 sold 2, 3, 4 against
    # forecasts 1, 1.5, 2 (day 0 had no history to forecast from).
    assert estimates.demand_std_daily[0, 0] == pytest.approx(np.sqrt((1 + 1.5**2 + 2**2) / 3))
    assert estimates.demand_std_daily[1].tolist() == [0.0, 0.0]
    # Forecast misses over 2-day runs known by day 4: on day 1 the average was 1 and days 1–2
    # sold 5 (miss 3); on day 2 it was 1.5 and days 2–3 sold 7 (miss 4). RMSE = sqrt(12.5),
    # per day sqrt(12.5 / 2) = 2.5.
    paired = rolling_demand_estimates(history, 4, 4, window_days=4, protection_days=2)
    assert paired.demand_std_daily[0, 0] == pytest.approx(2.5)


def test_replay_never_uses_future_demand():
    rng = np.random.default_rng(3)
    history = rng.poisson(10, (30, 200)).astype(float)
    lead = rng.integers(1, 6, 30)
    start, cut = 100, 40  # change demand from replay day 40 on

    def replay(values):
        estimates = rolling_demand_estimates(values, start, 100, refit_every_days=5)
        policy = policy_from_estimates(estimates, lead, service_level=0.95, unit_cost=1.0)
        result = simulate(values[:, start:], policy, lead, np.full(30, 150.0))
        return estimates, result

    changed = history.copy()
    changed[:, start + cut :] *= 3
    before, result_before = replay(history)
    after, result_after = replay(changed)
    known = before.change_days <= cut
    np.testing.assert_array_equal(
        before.mean_daily_demand[:, known], after.mean_daily_demand[:, known]
    )
    np.testing.assert_array_equal(
        result_before.daily_inventory_value[:cut], result_after.daily_inventory_value[:cut]
    )
    # The later refits do see the change, so the test can tell the difference.
    assert not np.array_equal(before.mean_daily_demand, after.mean_daily_demand)


def test_proposed_policy_lands_near_its_target_in_the_replay():
    rng = np.random.default_rng(11)
    items = 200
    history = rng.poisson(rng.gamma(3.0, 8.0, items)[:, None], (items, 400)).astype(float)
    lead = rng.integers(3, 10, items)
    estimates = rolling_demand_estimates(history, 35, 365, protection_days=lead + 1)
    proposed = policy_from_estimates(estimates, lead, service_level=0.95, unit_cost=5.0)
    baseline = days_of_cover_policy(estimates, lead)
    report = compare_policies(
        history[:, 35:], proposed, baseline, lead, costs=SimulationCosts(unit_cost=5.0)
    )
    assert abs(report["proposed"]["cycle_service_level"] - 0.95) < 0.03
    assert report["savings"]["average_inventory_value"] == pytest.approx(
        report["baseline"]["average_inventory_value"]
        - report["proposed"]["average_inventory_value"]
    )
    assert set(report) == {"proposed", "baseline", "savings"}


def test_order_up_to_policy_replays_every_review():
    history = np.full((1, 60), 4.0)
    estimates = rolling_demand_estimates(history, 30, 30, refit_every_days=30)
    settings = PolicySettings(policy_kind="order_up_to", review_period_days=7)
    policy = policy_from_estimates(estimates, [2], settings=settings, unit_cost=1.0)
    # Certain demand of 4 a day: S = 4 · (2 + 7); starting at S, every later weekly review
    # orders the 28 sold since.
    assert policy.order_up_to_level.tolist() == [[36.0]]
    result = simulate(history[:, 30:], policy, [2], [36.0])
    assert result.orders_placed.tolist() == [4]  # days 7, 14, 21, 28
    assert result.ordered_units.tolist() == [4 * 28]
    assert result.stockout_days.tolist() == [0]
    assert result.per_item()["fill_rate"].tolist() == [1.0]
