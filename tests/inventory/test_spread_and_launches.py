"""ADR 44: a spread from few errors (empirical Bayes toward a pooled prior, Student-t widening)
and the cycles of items launched inside a replay. Small arrays, checked by hand."""

import numpy as np
import pytest

from inventory.policy import PolicyInputs, PolicySettings, calculate_policy
from inventory.policy.simulation import ReplenishmentPolicy, launch_days, simulate
from inventory.policy.spread import pooled_error_spread, small_sample_factor


def test_pooled_spread_is_the_conjugate_mix_of_own_and_pooled_prior():
    # Pool: items 0 and 1 (n ≥ 4). κ = Σ n·s² / Σ n·scale² = (12·4 + 4·9) / (12·1 + 4·4) = 3.
    # Item 0: (12·4 + 4·3·1) / (12 + 4) = 3.75; item 1: (4·9 + 4·3·4) / 8 = 10.5;
    # item 2, a launch without errors: the prior alone, 3·2² = 12, worth 4 observations.
    spread, freedom = pooled_error_spread(
        [2.0, 3.0, 0.0], [12.0, 4.0, 0.0], [1.0, 2.0, 2.0], prior_weight=4.0
    )
    np.testing.assert_allclose(spread, np.sqrt([3.75, 10.5, 12.0]))
    np.testing.assert_allclose(freedom, [16.0, 8.0, 4.0])


def test_pooled_spread_keeps_own_where_no_pool_or_scale():
    # Item 1 has no scale: it keeps its own spread and its own observations.
    spread, freedom = pooled_error_spread([2.0, 5.0], [10.0, 1.0], [1.0, 0.0])
    assert spread[1] == 5.0 and freedom[1] == 1.0
    # Nobody with enough errors to pool: every spread stays its own.
    spread, freedom = pooled_error_spread([2.0, 0.0], [3.0, 0.0], [1.0, 1.0])
    np.testing.assert_allclose(spread, [2.0, 0.0])
    np.testing.assert_allclose(freedom, [3.0, 0.0])


def test_pooled_spread_per_group_and_per_refit_column():
    # Two re-fits (columns); group "b" pools only item 2 with itself: its prior is its own.
    own = np.array([[1.0, 2.0], [1.0, 2.0], [4.0, 4.0]])
    spread, _ = pooled_error_spread(own, 8.0, 1.0, group=["a", "a", "b"])
    np.testing.assert_allclose(spread, own)


def test_small_sample_factor_is_t_over_z():
    # Tables: t₄(0.95) = 2.1318, z(0.95) = 1.6449; t₁(0.9) = 3.0777, z(0.9) = 1.2816.
    factor = small_sample_factor([0.95, 0.9, 0.5, 0.95], [4.0, 1.0, 4.0, np.inf])
    np.testing.assert_allclose(factor, [2.1318 / 1.6449, 3.0777 / 1.2816, 1.0, 1.0], rtol=1e-4)


def test_calculate_policy_widens_a_spread_from_few_errors():
    # 100 a day ± 10, lead time 4 days, continuous review: σ_LT = 20; at 95 % the safety
    # stock is z·20 = 32.9 with a known spread and t₄·20 = 42.6 from 4 errors.
    def inputs(observations):
        return PolicyInputs(
            mean_daily_demand=np.array([100.0]),
            demand_std_daily=np.array([10.0]),
            lead_time_days=np.array([4.0]),
            on_hand=np.array([0.0]),
            service_level=np.array([0.95]),
            unit_cost=np.array([1.0]),
            error_observations=observations,
        )

    settings = PolicySettings(review_period_days=0.0)
    known = calculate_policy(inputs(None), settings).safety_stock
    few = calculate_policy(inputs(np.array([4.0])), settings).safety_stock
    np.testing.assert_allclose(known, 1.6449 * 20.0, rtol=1e-4)
    np.testing.assert_allclose(few, 2.1318 * 20.0, rtol=1e-4)


def launch_policy():
    # Nothing stocked before the launch; from day 3 on (s, S) = (5, 15).
    return ReplenishmentPolicy(
        reorder_point=np.array([[0.0, 5.0]]),
        order_up_to_level=np.array([[0.0, 15.0]]),
        change_days=np.array([0, 3]),
    )


def test_a_launch_counts_its_cycles_from_the_first_receipt_after_the_first_sale():
    # First sale on day 2 (short 5, day 3 short 5); day 3 orders 15, received day 4: the
    # launch stretch ends, no cycle. Day 6 orders 10 (position 5 ≤ 5), received day 7: one
    # cycle without a stockout. The two short days still count as stockout days.
    demand = [[0, 0, 5, 5, 5, 5, 5, 5]]
    launched = simulate(demand, launch_policy(), [1], [0.0], launch_day=[2])
    assert (launched.cycles[0], launched.stockout_cycles[0]) == (1, 0)
    assert launched.stockout_days[0] == 2
    assert launched.cycle_service_level[0] == 1.0
    # Without the launch day the stretch was a failed cycle: 1 of 2.
    plain = simulate(demand, launch_policy(), [1], [0.0])
    assert (plain.cycles[0], plain.stockout_cycles[0]) == (2, 1)


def test_a_miss_after_the_first_receipt_still_counts():
    # Day 6 wants 7 with 5 on the shelf: that cycle (ended by day 7's receipt) failed.
    demand = [[0, 0, 5, 5, 5, 5, 7, 5]]
    launched = simulate(demand, launch_policy(), [1], [0.0], launch_day=[2])
    assert (launched.cycles[0], launched.stockout_cycles[0]) == (1, 1)


def test_launch_days_are_first_sales_inside_the_window():
    history = np.array([[0, 0, 0, 0, 3, 1], [1, 0, 0, 0, 0, 2], [0, 0, 0, 0, 0, 0]], float)
    # Window from day 3: item 0 first sold on day 4 (window day 1); item 1 sold before; item 2
    # never sold.
    assert launch_days(history, 3).tolist() == [1, -1, -1]


@pytest.mark.parametrize("day", [0, 1])
def test_receipts_before_the_first_sale_start_nothing(day):
    # Stock arriving before any sale (an opening order) is no cycle, and no cycle starts yet.
    policy = ReplenishmentPolicy(reorder_point=np.array([0.0]), order_up_to_level=np.array([0.0]))
    result = simulate(
        [[0, 0, 0, 2, 2]], policy, [1], [0.0], on_order=[[0.0, 4.0]], launch_day=[3 + day]
    )
    assert result.cycles[0] == 0


def test_miss_tails_pool_within_the_demand_pattern():
    from inventory.policy.simulation import TAIL_LEVELS, _miss_quantiles, _prefix_sum

    # Forecast 1 a day (P = 1). Items 0–1 sell 10 every 10th day: misses −1 and +9, RMSE 3,
    # standardised −1/3 and 3. Items 2–3 alternate 0 and 2: misses ±1, standardised ±1.
    skewed = np.where(np.arange(40) % 10 == 9, 10.0, 0.0)
    flat = np.tile([0.0, 2.0], 20)
    values = np.stack([skewed, skewed, flat, flat])
    args = (_prefix_sum(values), np.ones((4, 40)), 0, 40, np.ones(4, np.int64), np.zeros(4, int))
    top = TAIL_LEVELS.index(0.99)
    pooled_by_pattern = _miss_quantiles(*args, group=np.array(["lumpy"] * 2 + ["smooth"] * 2))
    pooled_by_all = _miss_quantiles(*args)
    # Within its pattern a flat item's 99 % quantile stays its own, 1; pooled with the skewed
    # items' it is (40·1 + 30·3) / (40 + 30): their 3 leaks into it.
    assert pooled_by_pattern[2, top] == pytest.approx(1.0)
    assert pooled_by_all[2, top] == pytest.approx((40 * 1 + 30 * 3) / 70)
