"""The replay with the forecasting engine re-fitted on a rolling schedule (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.policy.calculate import PolicySettings
from inventory.policy.simulation import (
    ReplayInputs,
    ReplayOptions,
    calibrated_service_level,
    protection_days_for,
    recommended_methods,
    replay,
    rolling_forecast_estimates,
    sample_lead_times,
    simulate,
    summaries_by_class,
)


def inputs_for(history, days, *, lead=3.0, method="ses", **extra):
    items = history.shape[0]
    return ReplayInputs(
        history=history,
        days=days,
        lead_time_days=np.full(items, lead),
        unit_cost=np.full(items, 2.0),
        service_level=np.full(items, 0.95),
        method=method,
        **extra,
    )


def test_constant_demand_is_forecast_exactly_and_never_runs_out():
    history = np.full((2, 120), 5.0)
    estimates = rolling_forecast_estimates(
        history, 60, 60, protection_days=[3, 4], method="moving_average"
    )
    # The forecast over P days is 5·P on every day; it never misses, so no safety stock.
    np.testing.assert_allclose(estimates.protection_demand[0], 15.0)
    np.testing.assert_allclose(estimates.protection_demand[1], 20.0)
    np.testing.assert_allclose(estimates.mean_daily_demand, 5.0)
    np.testing.assert_allclose(estimates.demand_std_daily, 0.0, atol=1e-9)
    assert estimates.change_days.tolist() == list(range(0, 60, 7))
    # A re-fit on day t sees misses of decisions d with d + P ≤ t, within the error window.
    assert (estimates.misses_used > 0).all()
    outcome = replay(inputs_for(history, 60))
    assert outcome.proposed.summary()["stockout_days"] == 0
    assert outcome.proposed.summary()["cycle_service_level"] == 1.0


def test_spread_is_the_error_of_the_forecast_actually_used():
    # Demand alternates 0, 10: a 28-day moving average forecasts 5 a day; over P = 1 day it
    # misses by ±5, so RMSE_1 = 5; over P = 2 days it never misses.
    # One item per call: the pooled prior of the spread (ADR 44) is then the item's own.
    history = np.tile([0.0, 10.0], (1, 100))
    for period, spread in ((1, 5.0), (2, 0.0)):
        estimates = rolling_forecast_estimates(
            history, 100, 70, protection_days=[period], method="moving_average"
        )
        np.testing.assert_allclose(estimates.demand_std_daily[0], spread, atol=1e-9)


def test_unknown_method_and_bad_window_are_refused():
    history = np.ones((1, 50))
    with pytest.raises(ValueError, match="unknown forecasting method"):
        rolling_forecast_estimates(history, 30, 10, protection_days=2, method="oracle")
    with pytest.raises(ValueError, match="window"):
        rolling_forecast_estimates(history, 45, 10, protection_days=2)
    with pytest.raises(ValueError, match="lead_time_mode"):
        ReplayOptions(lead_time_mode="psychic")


def test_protection_period_per_policy_kind():
    assert protection_days_for([0, 4], PolicySettings()).tolist() == [1, 4]
    up_to = PolicySettings(policy_kind="order_up_to", review_period_days=7)
    assert protection_days_for([0, 4], up_to).tolist() == [7, 11]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, 59),
    factor=st.floats(0.0, 5.0),
    method=st.sampled_from(["ses", "moving_average", "holt_winters_additive", "recommended"]),
    backorders=st.booleans(),
    seed=st.integers(0, 2**16),
    cap=st.sampled_from([None, 3.0]),
    allocation=st.sampled_from(["item", "aggregate"]),
)
def test_no_decision_depends_on_later_demand(
    cut, factor, method, backorders, seed, cap, allocation
):
    """Changing demand from replay day ``cut`` on changes no order placed on or before it
    (also with a lot cap and the aggregate allocation, which re-allocates per re-fit)."""
    rng = np.random.default_rng(seed)
    history = rng.poisson(rng.gamma(2.0, 4.0, 6)[:, None], (6, 160)).astype(float)
    changed = history.copy()
    start = 160 - 60
    changed[:, start + cut :] = np.rint(changed[:, start + cut :] * factor + 1)
    options = ReplayOptions(
        backorders=backorders,
        record_orders=True,
        lead_time_mode="sampled",
        service_level_allocation=allocation,
    )

    def orders(values):
        inputs = inputs_for(values, 60, method=method, lead_time_std_days=np.full(6, 1.0))
        inputs.unit_cost = np.linspace(200.0, 700.0, 6)  # dear items: small lots, many decisions
        outcome = replay(inputs, PolicySettings(max_cover_days=cap), options=options)
        return outcome.proposed.orders_by_day, outcome.baseline.orders_by_day

    proposed, baseline = orders(history)
    proposed_changed, baseline_changed = orders(changed)
    assert proposed.sum() > 0
    np.testing.assert_array_equal(proposed[:, : cut + 1], proposed_changed[:, : cut + 1])
    np.testing.assert_array_equal(baseline[:, : cut + 1], baseline_changed[:, : cut + 1])


def test_the_look_ahead_test_can_fail():
    # Sanity of the test above: a change *before* the cut does change earlier decisions.
    rng = np.random.default_rng(5)
    history = rng.poisson(8.0, (6, 160)).astype(float)
    changed = history.copy()
    changed[:, 90:110] *= 4
    options = ReplayOptions(record_orders=True)

    def orders(values):
        inputs = inputs_for(values, 60)
        inputs.unit_cost = np.full(6, 500.0)  # dear items: small lots, orders every few days
        return replay(inputs, options=options).proposed.orders_by_day

    first, second = orders(history), orders(changed)
    assert first[:, :30].sum() > 0
    assert not np.array_equal(first[:, :30], second[:, :30])


def test_sampled_lead_times_have_the_asked_mean_and_spread():
    rng = np.random.default_rng(1)
    draws = sample_lead_times(np.array([10.0, 4.0, 3.0]), np.array([3.0, 0.0, 1.0]), 20000, rng=rng)
    assert draws.shape == (3, 20000)
    assert draws.min() >= 0
    assert draws[0].mean() == pytest.approx(10.0, abs=0.1)
    assert draws[0].std() == pytest.approx(3.0, abs=0.15)
    assert (draws[1] == 4).all()
    with pytest.raises(ValueError):
        sample_lead_times(np.array([-1.0]), np.array([0.0]), 5, rng=rng)


def test_orders_arrive_after_their_sampled_lead_time():
    # One order on day 0 (position 0 ≤ s); with lead time 3 it is on the shelf from day 3.
    from inventory.policy.simulation import ReplenishmentPolicy

    policy = ReplenishmentPolicy(reorder_point=np.array([0.0]), order_up_to_level=np.array([9.0]))
    lead = np.array([[3, 1, 1, 1, 1, 1]])
    result = simulate(np.zeros((1, 6)), policy, lead, [0.0], record_orders=True)
    assert result.orders_by_day.tolist() == [[9, 0, 0, 0, 0, 0]]
    assert result.daily_inventory_value.tolist() == [0, 0, 0, 9, 9, 9]


def test_per_class_summaries_add_up():
    rng = np.random.default_rng(2)
    history = rng.poisson(rng.gamma(2.0, 5.0, 9)[:, None], (9, 150)).astype(float)
    outcome = replay(inputs_for(history, 60), options=ReplayOptions(backorders=True))
    classes = np.array(list("AAABBBCCC"))
    table = summaries_by_class(outcome.proposed, classes)
    assert set(table) == {"all", "A", "B", "C"}
    for key in ("demand_units", "stockout_units", "holding_cost", "total_cost", "orders_placed"):
        assert sum(table[c][key] for c in "ABC") == pytest.approx(table["all"][key])
    a = table["A"]
    assert a["items"] == 3
    assert a["total_cost"] == pytest.approx(
        a["holding_cost"] + a["ordering_cost"] + a["stockout_cost"]
    )
    per_item = outcome.proposed.per_item()
    assert per_item["demand_units"][:3].sum() == pytest.approx(a["demand_units"])


def test_proposed_policy_is_calibrated_on_stationary_demand():
    rng = np.random.default_rng(11)
    items = 300
    history = rng.poisson(rng.gamma(3.0, 8.0, items)[:, None], (items, 550)).astype(float)
    for target in (0.90, 0.98):
        inputs = inputs_for(history, 365, lead=5.0)
        inputs.service_level = np.full(items, target)
        outcome = replay(inputs)
        assert abs(outcome.proposed.summary()["cycle_service_level"] - target) < 0.02


def test_a_group_launched_after_the_calibration_window_borrows_the_overall_shift():
    rng = np.random.default_rng(12)
    items, launched, days = 200, 20, 120
    history = rng.poisson(rng.gamma(3.0, 8.0, items)[:, None], (items, 500)).astype(float)
    history[:launched, : 500 - days] = 0.0  # no sale before the replay window
    group = np.where(np.arange(items) < launched, "new", "old")
    inputs = inputs_for(history, days, lead=5.0, service_level_group=group)
    inputs.service_level = np.full(items, 0.98)
    options = ReplayOptions(calibrate_days=182)
    levels = calibrated_service_level(inputs, PolicySettings(), options, 500 - days)
    assert not np.allclose(levels[launched:], 0.98)  # the past replay moved the old items
    # The new items finished no cycle in the past: same correction as all items, not none.
    np.testing.assert_allclose(levels[:launched], levels[launched])


def test_on_hand_is_walked_back_through_the_ledger():
    from inventory.policy.simulation import actual_summary, reconstruct_on_hand

    # Today 5 on hand. Day 1 received 10; sales 2, 3, 4 on days 0–2; after the window, −1.
    on_hand = reconstruct_on_hand(
        [5.0], [[0.0, 10.0, 0.0]], [[2.0, 3.0, 4.0]], net_after=np.array([-1.0])
    )
    # End of day 2: 5 + 1 = 6; day 1: 6 + 4 = 10; day 0: 10 + 3 − 10 = 3.
    assert on_hand.tolist() == [[3.0, 10.0, 6.0]]
    empty = reconstruct_on_hand([0.0], [[0.0, 0.0]], [[1.0, 0.0]])
    assert empty.tolist() == [[0.0, 0.0]]
    summary = actual_summary(
        np.array([[3.0, 10.0, 6.0], [0.0, 0.0, 1.0]]), [[2, 3, 4], [0, 0, 0]], [2.0, 1.0]
    )
    assert summary["stockout_days"] == 2
    assert summary["average_inventory_value"] == pytest.approx(2.0 * 19 / 3 + 1 / 3)


def test_an_open_cycle_counts_only_once_it_has_run_out():
    from inventory.policy.simulation import ReplenishmentPolicy

    never = ReplenishmentPolicy(reorder_point=np.array([-1.0]), order_up_to_level=np.array([0.0]))
    # Never reorders. Ample stock: no finished cycle, no failure, the level reads 1.
    ample = simulate(np.ones((1, 5)), never, [1], [10.0])
    assert ample.cycles.tolist() == [0] and ample.cycle_service_level.tolist() == [1.0]
    # Runs dry on day 3: the open cycle is a certain failure and counts.
    dry = simulate(np.ones((1, 5)), never, [1], [3.0])
    assert dry.cycles.tolist() == [1] and dry.stockout_cycles.tolist() == [1]
    assert dry.cycle_service_level.tolist() == [0.0]


def test_lots_of_n_days_of_demand_replace_the_eoq():
    history = np.full((1, 150), 4.0)
    eoq = replay(inputs_for(history, 60))
    days = replay(inputs_for(history, 60), options=ReplayOptions(lot_cover_days=10.0))
    # Certain demand of 4 a day: lots of 40 units, a receipt about every 10 days.
    assert days.proposed.ordered_units.sum() / days.proposed.orders_placed.sum() == 40.0
    assert days.proposed.orders_placed.sum() > eoq.proposed.orders_placed.sum()


def test_recommended_uses_each_items_test_bed_pick():
    # Item 0 has a strict weekly pattern (seasonal naive is exact), item 1 is flat with noise.
    rng = np.random.default_rng(4)
    weekly = np.tile([0.0, 0.0, 0.0, 0.0, 0.0, 30.0, 40.0], 30)[:200]
    noisy = rng.poisson(10.0, 200).astype(float)
    history = np.stack([weekly, noisy])
    picks = recommended_methods(history[:, :120])
    estimates = rolling_forecast_estimates(
        history, 120, 70, protection_days=[3, 3], method="recommended"
    )
    names = estimates.method_names
    assert [names[i] for i in estimates.method_index[:, 0]] == picks.tolist()
    assert (estimates.method_index == estimates.method_index[:, :1]).all()  # fixed per item
    # The weekly item's pick follows the pattern (seasonal naive or Holt-Winters, alone or
    # in a combination); the noisy one's does not need a season.
    assert "seasonal_naive" in picks[0] or "holt_winters" in picks[0]
    # (its spread keeps a share 4 / (n + 4) of the pooled prior, ADR 44: not quite 0)
    assert estimates.demand_std_daily[0, -1] < 0.3 * estimates.demand_std_daily[1, -1]
    assert estimates.method_index.shape == (2, 10)
    # A combination named by its members averages their forecasts.
    mixed = rolling_forecast_estimates(
        history, 120, 70, protection_days=[3, 3], method=["ses+seasonal_naive", "ses"]
    )
    alone = [
        rolling_forecast_estimates(history, 120, 70, protection_days=[3, 3], method=name)
        for name in ("ses", "seasonal_naive")
    ]
    np.testing.assert_allclose(
        mixed.protection_demand[0],
        (alone[0].protection_demand[0] + alone[1].protection_demand[0]) / 2,
        rtol=1e-9,
    )
    assert recommended_methods(history[:, :20]).tolist() == ["ses", "ses"]  # too short: SES
