"""The lot cap (``max_cover_days``) and the aggregate service-level allocation (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.policy.calculate import PolicyInputs, PolicySettings, calculate_policy
from inventory.policy.service_level import allocate_cycle_service_levels
from inventory.policy.simulation import ReplayInputs, ReplayOptions, replay


def policy(demand, *, cap=None, moq=0.0, pack=1.0, unit_cost=1.0):
    size = np.size(demand)
    return calculate_policy(
        PolicyInputs(
            mean_daily_demand=np.asarray(demand, float),
            demand_std_daily=np.full(size, 1.0),
            lead_time_days=np.full(size, 5.0),
            on_hand=np.zeros(size),
            service_level=np.full(size, 0.95),
            unit_cost=np.broadcast_to(np.asarray(unit_cost, float), (size,)),
            minimum_order_quantity=np.full(size, moq),
            pack_size=np.full(size, pack),
        ),
        PolicySettings(max_cover_days=cap),
    )


def test_the_cap_limits_the_eoq_then_moq_and_pack_round_it_up():
    plain = policy([10.0])
    assert plain.order_quantity[0] == pytest.approx(np.ceil(plain.economic_order_quantity[0]))
    assert plain.order_quantity[0] > 300  # a cheap item: the EOQ is more than a month
    capped = policy([10.0], cap=14)
    assert capped.order_quantity[0] == 140.0
    assert capped.economic_order_quantity[0] == plain.economic_order_quantity[0]  # reported
    assert capped.order_up_to_level[0] - capped.reorder_point[0] == 140.0
    # MOQ and pack still win over the cap: a supplier does not sell less.
    assert policy([10.0], cap=14, moq=500.0).order_quantity[0] == 500.0
    assert policy([10.0], cap=14, pack=48.0).order_quantity[0] == 144.0
    # Below the cap the EOQ stands (a dear item: small lots anyway).
    dear = policy([10.0], cap=14, unit_cost=5000.0)
    assert dear.order_quantity[0] == np.ceil(dear.economic_order_quantity[0]) < 140


def test_without_a_unit_cost_the_cap_sets_the_lot():
    assert np.isnan(policy([10.0], unit_cost=np.nan).order_quantity[0])
    assert policy([10.0], cap=7, unit_cost=np.nan).order_quantity[0] == 70.0


@pytest.mark.parametrize("cap", [0.0, -3.0])
def test_a_cap_must_be_positive(cap):
    with pytest.raises(ValueError, match="max_cover_days"):
        PolicySettings(max_cover_days=cap)


@settings(max_examples=60, deadline=None)
@given(
    demand=st.floats(0.01, 500.0),
    cap=st.floats(0.5, 120.0),
    moq=st.sampled_from([0.0, 1.0, 12.0, 100.0]),
    pack=st.sampled_from([1.0, 6.0, 24.0]),
    unit_cost=st.floats(0.1, 1000.0),
)
def test_capped_lot_never_exceeds_cap_moq_or_eoq(demand, cap, moq, pack, unit_cost):
    capped = policy([demand], cap=cap, moq=moq, pack=pack, unit_cost=unit_cost)
    plain = policy([demand], moq=moq, pack=pack, unit_cost=unit_cost)
    lot = capped.order_quantity[0]
    # At most the cap rounded up to a whole pack, or the smallest lot the supplier allows.
    smallest = max(np.ceil(moq / pack - 1e-9), 1.0) * pack
    assert lot <= max(np.ceil(demand * cap / pack - 1e-9) * pack, smallest) + 1e-9
    assert lot <= plain.order_quantity[0] + 1e-9
    assert lot >= smallest - 1e-9 and lot % pack == pytest.approx(0.0, abs=1e-6)


def test_replayed_orders_respect_the_cap():
    history = np.full((1, 500), 4.0)
    inputs = ReplayInputs(
        history=history,
        days=300,
        lead_time_days=np.full(1, 3.0),
        unit_cost=np.full(1, 2.0),
        service_level=np.full(1, 0.95),
    )
    options = ReplayOptions(record_orders=True)
    capped = replay(inputs, PolicySettings(max_cover_days=5), options).proposed
    eoq = replay(inputs, PolicySettings(), options).proposed
    orders = capped.orders_by_day[capped.orders_by_day > 0]
    assert orders.size > 5 and orders.max() <= 20.0  # 5 days × 4 a day
    assert eoq.orders_by_day.max() > 500.0  # the EOQ: about 135 days


def cycles_weighted_miss(levels, cycle_days):
    count = 1.0 / np.asarray(cycle_days, float)
    return (count[:, None] * (1.0 - levels.reshape(len(count), -1))).sum(0) / count.sum()


def test_allocation_meets_the_target_on_average_and_favours_cheap_frequent_items():
    cost = np.array([1.0, 1.0, 10.0, 100.0])
    cycle = np.array([5.0, 20.0, 20.0, 60.0])
    levels = allocate_cycle_service_levels(np.full(4, 0.9), cost, cycle, floor=0.5)
    assert cycles_weighted_miss(levels, cycle)[0] == pytest.approx(0.1, abs=1e-6)
    # Stockout chance per cycle ∝ unit cost × cycle length: decreasing levels down the list.
    assert levels[0] > levels[1] > levels[2] > levels[3]
    assert ((levels >= 0.5) & (levels <= 0.999)).all()
    # The default floor (ALLOCATION_FLOOR): nobody below 70%, the average still on target.
    floored = allocate_cycle_service_levels(np.full(4, 0.9), cost, cycle)
    assert floored.min() == pytest.approx(0.7) and levels.min() < 0.7
    assert cycles_weighted_miss(floored, cycle)[0] == pytest.approx(0.1, abs=1e-6)
    # A target below the floor stays reachable: the floor gives way to it.
    low = allocate_cycle_service_levels(np.full(4, 0.6), cost, cycle)
    assert cycles_weighted_miss(low, cycle)[0] == pytest.approx(0.4, abs=1e-6)
    # Identical items keep the target itself.
    same = allocate_cycle_service_levels(np.full(3, 0.95), np.full(3, 4.0), np.full(3, 10.0))
    np.testing.assert_allclose(same, 0.95, atol=1e-6)


def test_allocation_leaves_unusable_items_at_their_target_and_works_per_column():
    cost = np.array([[1.0, 5.0], [np.nan, 5.0], [50.0, 5.0]])
    cycle = np.array([[10.0, 10.0], [10.0, np.inf], [10.0, 10.0]])
    levels = allocate_cycle_service_levels(np.full((3, 2), 0.9), cost, cycle)
    assert levels[1, 0] == 0.9 and levels[1, 1] == 0.9  # no cost / no cycle: the target
    assert levels[0, 0] > levels[2, 0]
    np.testing.assert_allclose(levels[[0, 2], 1], 0.9, atol=1e-6)  # equal items in column 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cost=st.lists(st.floats(0.1, 1000.0), min_size=2, max_size=12),
    target=st.floats(0.6, 0.99),
    seed=st.integers(0, 2**16),
)
def test_allocation_hits_the_average_whenever_the_bounds_allow(cost, target, seed):
    rng = np.random.default_rng(seed)
    cost = np.asarray(cost)
    cycle = rng.uniform(1.0, 90.0, cost.size)
    levels = allocate_cycle_service_levels(np.full(cost.size, target), cost, cycle)
    floor = min(0.7, target)  # ALLOCATION_FLOOR, lowered to a target below it
    assert ((levels >= floor - 1e-12) & (levels <= 0.999 + 1e-12)).all()
    miss = cycles_weighted_miss(levels, cycle)[0]
    # Bisection on the penalty: the average miss is on target (to a hair, from above).
    assert miss == pytest.approx(1.0 - target, abs=1e-6)
    order = np.argsort(cost * cycle)
    assert (np.diff(levels[order]) <= 1e-9).all()  # monotone in unit cost × cycle length


def test_aggregate_allocation_changes_the_replay_and_keeps_the_average():
    rng = np.random.default_rng(3)
    history = rng.poisson(np.array([2.0, 20.0, 5.0, 1.0])[:, None], (4, 400)).astype(float)
    inputs = ReplayInputs(
        history=history,
        days=200,
        lead_time_days=np.full(4, 5.0),
        unit_cost=np.array([200.0, 1.0, 20.0, 50.0]),
        service_level=np.full(4, 0.9),
    )
    item = replay(inputs, PolicySettings(max_cover_days=30))
    aggregate = replay(
        inputs,
        PolicySettings(max_cover_days=30),
        ReplayOptions(service_level_allocation="aggregate"),
    )
    # The cheap fast item gets more protection, the dear slow one less.
    assert aggregate.proposed.fill_rate[1] >= item.proposed.fill_rate[1]
    assert aggregate.proposed.average_on_hand[0] < item.proposed.average_on_hand[0]
    with pytest.raises(ValueError, match="service_level_allocation"):
        ReplayOptions(service_level_allocation="everything")


def test_a_target_above_the_ceiling_stays_reachable():
    levels = allocate_cycle_service_levels(np.full(3, 0.9999), [1.0, 2.0, 3.0], [5.0, 5.0, 5.0])
    assert cycles_weighted_miss(levels, [5.0, 5.0, 5.0])[0] == pytest.approx(1e-4, abs=1e-7)
    # The target is the ceiling itself: only every item at it meets the average.
    np.testing.assert_allclose(levels, 0.9999, atol=1e-9)


def test_allocation_per_group_keeps_each_groups_own_target():
    # Class A (98%) and class C (90%): pooled together, the cheap C items would take the
    # misses A's target allows; per group, each class's expected misses match its own target.
    cost = np.array([1.0, 50.0, 5.0, 1.0, 80.0, 10.0])
    cycle = np.array([7.0, 30.0, 14.0, 10.0, 40.0, 20.0])
    target = np.array([0.98, 0.98, 0.98, 0.9, 0.9, 0.9])
    levels = allocate_cycle_service_levels(target, cost, cycle, group=target)
    for label in (0.98, 0.9):
        rows = target == label
        n = 1.0 / cycle[rows]
        assert np.sum(n * (1 - levels[rows])) == pytest.approx(np.sum(n * (1 - label)), rel=1e-4)
    pooled = allocate_cycle_service_levels(target, cost, cycle)
    assert not np.allclose(pooled, levels)


@pytest.mark.parametrize(
    "bad", [{"lot_cover_days": 0.0}, {"lot_cover_days": -3.0}, {"service_level_allocation": "x"}]
)
def test_bad_lot_rule_or_allocation_is_refused(bad):
    with pytest.raises(ValueError):
        PolicySettings(**bad)
