"""Invariants of the inventory maths, checked by hypothesis on generated inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inventory.policy import (
    abc_classify,
    reorder_level_discrete,
    round_order_quantity,
    safety_stock_normal,
    stockout_risk,
    z_for_fill_rate,
)
from inventory.policy.service_level import fill_rate_for_z
from inventory.policy.simulation import ReplenishmentPolicy, simulate

settings.register_profile("inventory", max_examples=60, deadline=None)
settings.load_profile("inventory")

levels = st.floats(0.5, 0.999)
demand = st.floats(0.0, 500.0)
spread = st.floats(0.0, 200.0)
days = st.floats(0.0, 120.0)


@given(levels, levels, demand, spread, days, st.floats(0.0, 30.0))
def test_safety_stock_grows_with_service_level(a, b, mean, sigma, lead, lead_sigma):
    low, high = sorted((a, b))
    assert (
        safety_stock_normal(low, mean, sigma, lead, lead_sigma)
        <= safety_stock_normal(high, mean, sigma, lead, lead_sigma) + 1e-9
    )


@given(levels, demand, spread, days, days, st.floats(0.0, 30.0))
def test_safety_stock_grows_with_lead_time(level, mean, sigma, a, b, lead_sigma):
    short, long = sorted((a, b))
    assert (
        safety_stock_normal(level, mean, sigma, short, lead_sigma)
        <= safety_stock_normal(level, mean, sigma, long, lead_sigma) + 1e-9
    )


@given(levels, levels, st.floats(0.0, 60.0), st.floats(0.0, 3.0))
def test_discrete_reorder_level_grows_with_service_level(a, b, mean, dispersion):
    low, high = sorted((a, b))
    variance = mean * (1.0 + dispersion)
    assert reorder_level_discrete(low, mean, variance) <= reorder_level_discrete(
        high, mean, variance
    )


@given(
    arrays(np.float64, 5, elements=levels),
    arrays(np.float64, 5, elements=st.floats(0.0, 80.0)),
    arrays(np.float64, 5, elements=st.floats(0.0, 4.0)),
    st.booleans(),
)
def test_mass_walk_agrees_with_bisection(level, mean, dispersion, fill_rate):
    """The fast recurrence and the special-function bisection give the same reorder level."""
    from inventory.policy.safety_stock import _bisect_reorder_level, _walk_probability_mass

    variance = mean * (1.0 + dispersion)
    allowed = (1.0 - level) * 10.0 if fill_rate else np.zeros(5)
    walked = _walk_probability_mass(level, mean, variance, allowed, fill_rate)
    bisected = _bisect_reorder_level(level, mean, variance, allowed, fill_rate)
    settled = ~np.isnan(walked)
    np.testing.assert_array_equal(walked[settled], bisected[settled])


@given(levels, levels, st.floats(1.0, 1e4), st.floats(0.1, 500.0))
def test_fill_rate_factor_grows_with_fill_rate_and_round_trips(a, b, quantity, sigma):
    low, high = sorted((a, b))
    z_low, z_high = z_for_fill_rate([low, high], quantity, sigma)
    assert z_low <= z_high + 1e-9
    if -7.5 < z_high < 7.5:  # inside the band where z is not capped
        assert abs(fill_rate_for_z(z_high, quantity, sigma) - high) < 1e-6


@given(
    st.floats(0.0, 1e5),
    st.floats(0.0, 5000.0),
    st.sampled_from([1.0, 6.0, 12.0, 24.0, 0.5, 0.25]),
)
def test_rounded_order_quantity_is_whole_packs_and_at_least_moq(wanted, moq, pack):
    quantity = float(round_order_quantity(wanted, moq, pack))
    if wanted == 0:
        assert quantity == 0
        return
    assert quantity >= moq - 1e-9
    assert quantity >= wanted - 1e-9
    packs = quantity / pack
    assert abs(packs - round(packs)) < 1e-6
    assert quantity - pack < max(wanted, moq) + 1e-6  # no pack more than needed


@given(
    st.floats(-50.0, 1000.0),
    st.floats(0.0, 300.0),
    st.floats(0.01, 50.0),
    spread,
    days,
    st.booleans(),
)
def test_stockout_risk_is_a_probability_falling_with_stock(
    position, extra, mean, sigma, lead, discrete
):
    risks = stockout_risk([position, position + extra], mean, sigma, lead, discrete=discrete)
    assert np.all((risks >= 0) & (risks <= 1))
    assert risks[1] <= risks[0] + 1e-12


@given(
    arrays(np.float64, st.integers(1, 40), elements=st.floats(0.0, 1e6)),
    st.sampled_from([(0.8, 0.15, 0.05), (0.7, 0.2, 0.1), (0.5, 0.3, 0.2)]),
)
def test_abc_class_shares_match_the_configuration(measure, shares):
    classes = abc_classify(measure, shares=shares)
    total = measure.sum()
    if total == 0:
        assert set(classes) == {"C"}
        return
    for label, limit in (("A", shares[0]), ("B", shares[0] + shares[1])):
        members = np.isin(classes, ["A", "B"][: "AB".index(label) + 1])
        share = measure[members].sum() / total
        smallest_member = measure[members].min() if members.any() else 0.0
        # The class reaches its cumulative limit, and would not without its smallest item.
        if share < limit - 1e-9:
            assert not np.any(measure[~members] > 0)
        assert share - smallest_member / total < limit + 1e-9
    # Higher classes never hold a smaller item than lower ones.
    rank = np.searchsorted(["A", "B", "C"], classes)
    order = np.argsort(-measure, kind="stable")
    assert np.all(np.diff(rank[order]) >= 0)


@st.composite
def replays(draw):
    items = draw(st.integers(1, 6))
    horizon = draw(st.integers(1, 40))
    demand = draw(arrays(np.float64, (items, horizon), elements=st.floats(0.0, 30.0)))
    reorder = draw(arrays(np.float64, items, elements=st.floats(0.0, 60.0)))
    extra = draw(arrays(np.float64, items, elements=st.floats(0.0, 80.0)))
    lead = draw(arrays(np.int64, items, elements=st.integers(0, 7)))
    start = draw(arrays(np.float64, items, elements=st.floats(0.0, 100.0)))
    by_quantity = draw(st.booleans())
    policy = ReplenishmentPolicy(
        reorder_point=reorder,
        order_up_to_level=None if by_quantity else reorder + extra,
        order_quantity=extra + 1.0 if by_quantity else None,
        review_period_days=draw(st.integers(1, 5)),
        pack_size=draw(st.sampled_from([1.0, 5.0, 0.5])),
    )
    return demand, policy, lead, start, draw(st.booleans())


@given(replays())
def test_simulation_conserves_stock(case):
    demand, policy, lead, start, backorders = case
    result = simulate(demand, policy, lead, start, backorders=backorders)
    np.testing.assert_allclose(
        start + result.received_units - result.shipped_units, result.ending_stock, atol=1e-6
    )
    np.testing.assert_allclose(
        result.ordered_units - result.received_units, result.ending_on_order, atol=1e-6
    )
    np.testing.assert_allclose(
        result.filled_units + result.short_units, demand.sum(axis=1), atol=1e-6
    )
    assert np.all(result.ending_stock >= -1e-9)
    assert np.all(result.stockout_cycles <= result.cycles)
    if not backorders:
        np.testing.assert_allclose(result.shipped_units, result.filled_units)


@given(arrays(np.float64, (3, 30), elements=st.floats(0.0, 20.0)))
def test_zero_lead_time_with_ample_stock_fills_all_demand(demand):
    policy = ReplenishmentPolicy(reorder_point=np.full(3, 25.0), order_up_to_level=np.full(3, 50.0))
    result = simulate(demand, policy, np.zeros(3, int), np.full(3, 50.0))
    assert result.summary()["fill_rate"] == 1.0
    assert result.short_units.sum() == 0
