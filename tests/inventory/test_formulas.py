"""Hand-computed examples for each inventory formula (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inventory.policy import (
    cost_optimal_service_level,
    days_of_cover,
    economic_order_quantity,
    fill_rate_for_z,
    inventory_position,
    lead_time_demand,
    normal_loss,
    on_order_within_lead_time,
    order_up_to_level,
    reorder_level_discrete,
    reorder_point,
    round_order_quantity,
    safety_stock_discrete,
    safety_stock_from_quantiles,
    safety_stock_normal,
    stockout_risk,
    z_for_cycle_service_level,
    z_for_fill_rate,
)
from inventory.policy.safety_stock import review_undershoot


def poisson_cdf(units: int, mean: float) -> float:
    return sum(math.exp(-mean) * mean**x / math.factorial(x) for x in range(units + 1))


def negative_binomial_pmf(x: int, mean: float, variance: float) -> float:
    p = mean / variance
    r = mean * p / (1 - p)
    return math.gamma(x + r) / (math.gamma(r) * math.factorial(x)) * p**r * (1 - p) ** x


def test_z_for_cycle_service_level_matches_the_normal_table():
    assert z_for_cycle_service_level(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert z_for_cycle_service_level(0.5) == pytest.approx(0.0)
    assert z_for_cycle_service_level(1.0) == 8.0  # capped, not infinite


def test_normal_loss_matches_the_table():
    # G(0) = φ(0) = 1/sqrt(2π); G(1) = φ(1) − (1 − Φ(1)) = 0.241971 − 0.158655
    assert normal_loss(0.0) == pytest.approx(0.398942, abs=1e-6)
    assert normal_loss(1.0) == pytest.approx(0.083315, abs=1e-6)
    assert normal_loss(-1.0) == pytest.approx(1.083315, abs=1e-6)  # G(−z) = G(z) + z


def test_fill_rate_solves_the_loss_equation():
    # Q = 100 units per cycle, σ_LT = 20: a 95% fill rate allows 5 units short per cycle,
    # G(z) = 5 / 20 = 0.25, which the table puts at z ≈ 0.345.
    z = z_for_fill_rate(0.95, 100.0, 20.0)
    assert normal_loss(z) == pytest.approx(0.25, rel=1e-9)
    assert z == pytest.approx(0.345, abs=1e-3)
    assert fill_rate_for_z(z, 100.0, 20.0) == pytest.approx(0.95)
    # Certain demand needs no safety factor; a big cycle needs a negative one.
    assert z_for_fill_rate(0.99, 100.0, 0.0) == 0.0
    assert z_for_fill_rate(0.95, 10_000.0, 20.0) < -5


def test_cost_optimal_service_level_is_the_critical_ratio():
    # Cu = 9; Co = 10 per unit-year × 36.5 / 365 years = 1 → 9 / (9 + 1)
    assert cost_optimal_service_level(9.0, 10.0, 36.5) == pytest.approx(0.9)
    assert np.isnan(cost_optimal_service_level(np.nan, 10.0, 7.0))
    assert cost_optimal_service_level(0.0, 0.0, 7.0) == 0.5


def test_safety_stock_normal_with_demand_and_lead_time_spread():
    # d = 10/day, σ_d = 3, L = 4 days, σ_L = 1 day: σ_LT = sqrt(4·9 + 100·1) = sqrt(136)
    expected = 1.644854 * math.sqrt(136)
    assert safety_stock_normal(0.95, 10, 3, 4, 1) == pytest.approx(expected, rel=1e-6)
    # A 3-day review period lengthens the protection interval to 7 days: sqrt(7·9 + 100)
    with_review = safety_stock_normal(0.95, 10, 3, 4, 1, review_period_days=3)
    assert with_review == pytest.approx(1.644854 * math.sqrt(163), rel=1e-6)
    # Below 50% the formula goes negative; a planner's buffer never does.
    assert safety_stock_normal(0.3, 10, 3, 4) == 0.0


def test_safety_stock_normal_for_a_fill_rate_needs_the_cycle_quantity():
    sigma = math.sqrt(4 * 9)
    value = safety_stock_normal(
        0.95, 10, 3, 4, service_level_kind="fill_rate", order_quantity=20 * sigma / 20
    )
    # G(z) = 0.05 · 6 / 6 = 0.05 → z ≈ 1.2546
    assert value == pytest.approx(1.2546 * sigma, rel=1e-3)
    with pytest.raises(ValueError, match="order quantity"):
        safety_stock_normal(0.95, 10, 3, 4, service_level_kind="fill_rate")
    with pytest.raises(ValueError, match="service_level_kind"):
        safety_stock_normal(0.95, 10, 3, 4, service_level_kind="type 3")


def test_lead_time_demand_mean_and_spread():
    mean, std = lead_time_demand(10, 3, 4, 1, 3)
    assert mean == pytest.approx(70)
    assert std == pytest.approx(math.sqrt(163))


def test_undershoot_of_a_daily_review():
    # Constant 10 a day: the position lands uniformly 0–10 below s, mean 5, variance 100/12.
    mean, variance = review_undershoot(10.0, 0.0, 1.0)
    assert mean == pytest.approx(5.0)
    assert variance == pytest.approx(100 / 12)
    assert review_undershoot(10.0, 3.0, 0.0) == (0.0, 0.0)  # continuous review
    # σ² = 9: E[U] = 9/20 + 5
    assert review_undershoot(10.0, 3.0, 1.0)[0] == pytest.approx(5.45)


def test_poisson_reorder_level_is_the_smallest_covering_quantile():
    level = reorder_level_discrete(0.95, 3.0, 3.0)
    assert level == 6
    assert poisson_cdf(5, 3.0) < 0.95 <= poisson_cdf(6, 3.0)
    assert safety_stock_discrete(0.95, 0.5, math.sqrt(0.5), 6) == pytest.approx(6 - 3)


def test_negative_binomial_reorder_level_when_demand_is_lumpy():
    level = float(reorder_level_discrete(0.95, 3.0, 9.0))
    cdf = np.cumsum([negative_binomial_pmf(x, 3.0, 9.0) for x in range(40)])
    assert level == 9
    assert cdf[8] < 0.95 <= cdf[9]


def test_discrete_fill_rate_uses_the_discrete_loss():
    # Poisson(3), Q = 10, β = 0.95: at most 0.5 units short per cycle.
    level = int(
        reorder_level_discrete(0.95, 3.0, 3.0, service_level_kind="fill_rate", order_quantity=10)
    )

    def shortage(s: int) -> float:
        return sum((x - s) * math.exp(-3) * 3**x / math.factorial(x) for x in range(s, 60))

    assert shortage(level) <= 0.5 < shortage(level - 1)
    with pytest.raises(ValueError, match="order quantity"):
        reorder_level_discrete(0.95, 3.0, 3.0, service_level_kind="fill_rate")
    with pytest.raises(ValueError, match="service_level_kind"):
        reorder_level_discrete(0.95, 3.0, 3.0, service_level_kind="both")


def test_large_lead_time_demand_falls_back_to_bisection():
    # exp(−800) underflows, so the probability walk cannot start; bisection answers instead.
    level = float(reorder_level_discrete(0.95, 800.0, 800.0))
    assert abs(level - (800 + 1.645 * math.sqrt(800))) < 3
    fill = float(
        reorder_level_discrete(
            0.99, 800.0, 4000.0, service_level_kind="fill_rate", order_quantity=50
        )
    )
    assert 800 < fill < 800 + 3 * math.sqrt(4000)


def test_discrete_reorder_level_edge_cases():
    levels = reorder_level_discrete([0.95, 0.95, 0.95], [0.0, np.nan, 2.0], [0.0, 1.0, 2.0])
    assert levels[0] == 0  # no demand, nothing to hold
    assert np.isnan(levels[1])
    assert levels[2] == 5  # Poisson(2): P(X ≤ 4) = 0.947, P(X ≤ 5) = 0.983


def test_safety_stock_from_forecast_quantiles():
    levels = [0.5, 0.9, 0.99]
    quantiles = [[10, 20, 40], [10, 40, 20]]  # the second row crosses and is sorted
    value = safety_stock_from_quantiles([0.95, 0.95], levels, quantiles, [11, 11])
    # 20 + (0.95 − 0.9)/(0.99 − 0.9) · (40 − 20) − 11
    assert value == pytest.approx([20 + 20 * 5 / 9 - 11] * 2)
    # Outside the forecast's levels the outer quantile is held.
    assert safety_stock_from_quantiles(0.995, levels, [[10, 20, 40]], 11) == pytest.approx(29)
    assert safety_stock_from_quantiles(0.9, [0.9], [[25]], 11) == pytest.approx(14)


def test_reorder_point_and_order_up_to_level():
    assert reorder_point(10, 4, 19.2) == pytest.approx(59.2)
    assert order_up_to_level(10, 4, 7, 19.2) == pytest.approx(129.2)


def test_economic_order_quantity_and_rounding():
    # D = 3650 a year, K = 50, h = 20 · 0.25 = 5 → sqrt(2 · 3650 · 50 / 5) = sqrt(73000)
    eoq = economic_order_quantity(10, 50, 20, 0.25)
    assert eoq == pytest.approx(270.185, abs=1e-3)
    assert round_order_quantity(eoq, 300, 12) == 300  # MOQ 300 is 25 packs
    assert round_order_quantity(eoq, 0, 12) == 276  # 23 packs
    assert round_order_quantity(eoq, 250, 0) == 271  # no pack size: whole units
    assert round_order_quantity(12.0, 0, 0.1) == pytest.approx(12.0)  # no float creep
    assert round_order_quantity(0.0, 50, 12) == 0  # nothing wanted, nothing ordered
    assert np.isnan(round_order_quantity(np.nan, 50, 12))
    assert np.isnan(economic_order_quantity(10, 50, 0, 0.25))  # no unit cost, no EOQ


def test_inventory_position_counts_only_orders_due_within_the_lead_time():
    on_order = on_order_within_lead_time(
        item_index=[0, 0, 1, 1, 2],
        quantity=[30, 40, 5, 7, 9],
        due_in_days=[3, 10, -1, 6, 1],
        lead_time_days=[7, 5, 2, 4],
    )
    # item 0: 30 (due day 3; day 10 is after its 7-day lead time); item 1: 5 (overdue counts);
    # item 2: 9; item 3: nothing open
    assert on_order.tolist() == [30, 5, 9, 0]
    assert inventory_position(100, on_order[0], 20) == 110


def test_days_of_cover():
    cover = days_of_cover([100, 10, 0, -5, np.nan], [10, 0, 0, 3, 1])
    assert cover[0] == 10
    assert cover[1] == np.inf  # stock and no demand
    assert cover[2] == 0
    assert cover[3] == 0  # backordered: nothing left to cover with
    assert np.isnan(cover[4])


def test_stockout_risk_normal_and_discrete():
    # d = 10, σ_d = 3, L = 7: μ = 70, σ = sqrt(63). Half the time demand beats a position of 70.
    assert stockout_risk(70, 10, 3, 7) == pytest.approx(0.5)
    assert stockout_risk(70 + 1.644854 * math.sqrt(63), 10, 3, 7) == pytest.approx(0.05, abs=1e-6)
    assert stockout_risk(0, 10, 3, 7) == 1.0  # already out
    assert stockout_risk(50, 0, 0, 7) == 0.0  # nothing sells
    assert stockout_risk([69, 71], 10, 0, 7).tolist() == [1.0, 0.0]  # certain demand
    # Poisson(3) over the interval, 5 in position: P(X > 5) = 1 − P(X ≤ 5)
    discrete = stockout_risk(5, 0.5, math.sqrt(0.5), 6, discrete=True)
    assert discrete == pytest.approx(1 - poisson_cdf(5, 3.0))
    assert np.isnan(stockout_risk(np.nan, 10, 3, 7))


def test_undershoot_is_bounded_when_the_forecast_falls_near_zero():
    # A forecast of 0.001/day with an error spread of 0.5: σ²/(2μ) would be 125 units.
    mean, _ = review_undershoot(0.001, 0.5, 1.0)
    assert mean == pytest.approx(0.001 + 1.5)
