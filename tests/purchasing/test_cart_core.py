"""The purchase order builder's pure core: rounding, line values, the budget and minimums.

No database: run alone with ``pytest tests/purchasing -p no:django --noconftest``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purchasing.cart import (
    _VECTOR_PASSES,
    REASON_BUDGET,
    REASON_NO_RATE,
    REASON_NO_SUPPLIER,
    REASON_ZERO_QUANTITY,
    CartLines,
    _greedy_fill,
    build_cart,
    expected_units_short_avoided,
    round_order_quantity,
    select_within_budget,
    shortage_cost_avoided,
    top_up_minimums,
    unit_margin,
)

settings.register_profile("purchasing", max_examples=150, deadline=None)
settings.load_profile("purchasing")

TOLERANCE = 1e-9


# --- rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "moq", "pack", "expected"),
    [
        (12, 10, 6, 12),
        (13, 10, 6, 18),
        (5, 10, 6, 12),
        (2.5, 0, 0.5, 2.5),
        (2.6, 0, 0.5, 3.0),
        (2.5, 0, 1, 2.5),  # pack 1: no pack constraint, decimals stay
        (2.5, 0, 0, 2.5),
        (12.000000001, 0, 6, 12),  # float noise is not a 3rd pack
        (0.01, 0, 6, 6),  # a positive need is at least one pack
        (0, 10, 6, 0),
        (-3, 10, 6, 0),
        (float("nan"), 10, 6, 0),
    ],
)
def test_round_order_quantity_cases(quantity, moq, pack, expected):
    assert round_order_quantity([quantity], [moq], [pack])[0] == pytest.approx(expected)


packs = st.one_of(
    st.sampled_from([0.0, -1.0, 1.0, 0.5, 0.25, 6.0, 12.0, 0.1]), st.floats(0.01, 1000.0)
)


@given(
    st.lists(st.tuples(st.floats(-10.0, 1e6), st.floats(0.0, 1e4), packs), min_size=1, max_size=30)
)
def test_rounding_covers_quantity_and_moq_in_whole_packs(rows):
    quantity, moq, pack = (np.array(column) for column in zip(*rows, strict=True))
    rounded = round_order_quantity(quantity, moq, pack)
    positive = quantity > 0
    slack = TOLERANCE * np.maximum(1.0, np.maximum(quantity, moq)) * 10
    assert np.all(rounded[~positive] == 0)
    assert np.all(rounded[positive] >= quantity[positive] - slack[positive])
    assert np.all(rounded[positive] >= moq[positive] - slack[positive])
    with_pack = positive & (pack > 0) & (pack != 1)
    packs_ordered = rounded[with_pack] / pack[with_pack]
    assert np.allclose(packs_ordered, np.round(packs_ordered), rtol=0, atol=1e-6)
    # never more than one pack above what was needed
    need = np.maximum(quantity, moq)[with_pack]
    assert np.all(rounded[with_pack] < need + pack[with_pack] + slack[with_pack])


# --- value of a line ------------------------------------------------------------------------


def test_normal_loss_value_by_hand():
    # μ_L = 1/day × 10 days = 10, σ_L = 2, position 10: z = 0, G(0) = φ(0) = 0.39894.
    units = expected_units_short_avoided(
        daily_demand_mean=[1.0],
        demand_std=[2.0],
        lead_time_days=[10.0],
        inventory_position=[10.0],
        stockout_risk=[0.9],
        order_quantity=[1000.0],
    )
    assert units[0] == pytest.approx(2 * 0.3989423, abs=1e-6)  # 0.7979 units
    value = shortage_cost_avoided(
        daily_demand_mean=[1.0],
        demand_std=[2.0],
        lead_time_days=[10.0],
        inventory_position=[10.0],
        stockout_risk=[0.9],
        order_quantity=[1000.0],
        selling_price=[15.0],
        unit_cost=[10.0],
    )
    assert value[0] == pytest.approx(5 * 0.7978846, abs=1e-6)


def test_daily_std_scales_with_root_lead_time():
    common = dict(
        daily_demand_mean=[1.0], lead_time_days=[4.0], inventory_position=[4.0],
        stockout_risk=[0.0], order_quantity=[1e6],
    )  # fmt: skip
    daily = expected_units_short_avoided(demand_std=[1.0], std_is_daily=True, **common)
    over_lead_time = expected_units_short_avoided(demand_std=[2.0], **common)
    assert daily[0] == pytest.approx(over_lead_time[0])


def test_units_saved_are_capped_by_the_order():
    # position far below demand: ≈ 50 units short, the order of 5 can only save 5.
    units = expected_units_short_avoided(
        daily_demand_mean=[10.0], demand_std=[1.0], lead_time_days=[5.0],
        inventory_position=[0.0], stockout_risk=[1.0], order_quantity=[5.0],
    )  # fmt: skip
    assert units[0] == pytest.approx(5.0)


def test_stockout_risk_stands_in_without_sigma():
    units = expected_units_short_avoided(
        daily_demand_mean=[2.0, 2.0, 2.0], demand_std=[0.0, np.nan, 0.0],
        lead_time_days=[5.0, 5.0, 5.0], inventory_position=[3.0, 3.0, 3.0],
        stockout_risk=[0.4, 0.4, np.nan], order_quantity=[6.0, 20.0, 6.0],
    )  # fmt: skip
    # risk × min(Q, μ_L): 0.4 × min(6, 10) and 0.4 × min(20, 10); unknown risk counts as 0.
    assert units == pytest.approx([2.4, 4.0, 0.0])


def test_margin_floors_at_a_fraction_of_price():
    margin = unit_margin([10.0, 10.0, 10.0, np.nan], [6.0, 12.0, 10.0, 5.0], floor_fraction=0.01)
    assert margin == pytest.approx([4.0, 0.1, 0.1, 0.05])


@given(
    st.floats(0.0, 100.0), st.floats(0.0, 50.0), st.floats(0.0, 60.0),
    st.floats(-500.0, 500.0), st.floats(0.0, 1.0), st.floats(0.0, 1e4), st.floats(0.0, 1e4),
)  # fmt: skip
def test_units_saved_between_zero_and_the_order_and_grow_with_it(mean, std, lead, pos, risk, a, b):
    small, large = sorted((a, b))
    units = expected_units_short_avoided(
        daily_demand_mean=[mean] * 2, demand_std=[std] * 2, lead_time_days=[lead] * 2,
        inventory_position=[pos] * 2, stockout_risk=[risk] * 2, order_quantity=[small, large],
    )  # fmt: skip
    assert np.all(units >= 0)
    assert units[0] <= small + 1e-9 and units[1] <= large + 1e-9
    assert units[0] <= units[1] + 1e-9


# --- budget ---------------------------------------------------------------------------------


def test_greedy_skips_a_line_that_does_not_fit_and_continues():
    # ratios 2, 1.5, 1.67, 1: take 0 (5), skip 2 (3 > 2 left)... 1 (4) skipped, 3 (1) fits.
    kept, reasons = select_within_budget([10, 6, 5, 1], [5, 4, 3, 1], 7)
    assert kept.tolist() == [True, False, False, True]
    assert reasons.tolist() == [None, REASON_BUDGET, REASON_BUDGET, None]


def test_single_best_line_beats_a_greedy_pick():
    # greedy by ratio takes the 1-for-1 line and then 100-for-10 no longer fits.
    kept, _ = select_within_budget([2, 100], [1, 10], 10)
    assert kept.tolist() == [False, True]


def test_ties_prefer_the_higher_value_then_the_lower_index():
    kept, _ = select_within_budget([1, 2, 2], [1, 2, 2], 2)
    assert kept.tolist() == [False, True, False]


def test_no_budget_keeps_all_and_free_lines_are_always_kept():
    kept, reasons = select_within_budget([1, 2, 3], [5, 5, 5], None)
    assert kept.all() and all(reason is None for reason in reasons)
    kept, _ = select_within_budget([0, 1, 3], [0, 5, 5], 0)
    assert kept.tolist() == [True, False, False]


def test_groups_have_their_own_budgets():
    kept, _ = select_within_budget(
        [5, 5, 5, 5], [4, 4, 4, 4], [8, 4], groups=[0, 0, 1, 1]
    )  # fmt: skip
    assert kept.tolist() == [True, True, True, False]


money = st.one_of(st.just(0.0), st.floats(0.0, 1e3), st.floats(0.0, 1e12))


@st.composite
def carts(draw, max_lines=60):
    lines = draw(st.integers(0, max_lines))
    values = draw(st.lists(money, min_size=lines, max_size=lines))
    costs = draw(st.lists(money, min_size=lines, max_size=lines))
    budget = draw(st.one_of(money, st.floats(0.0, max(sum(costs), 1.0))))
    return np.array(values, float), np.array(costs, float), budget


@given(carts())
def test_budget_is_never_exceeded_and_no_left_out_line_fits_what_is_left(cart):
    values, costs, budget = cart
    kept, reasons = select_within_budget(values, costs, budget)
    spent = math.fsum(costs[kept])
    assert spent <= budget * (1 + TOLERANCE)
    left = budget - spent
    assert np.all(costs[~kept] > left - TOLERANCE * max(budget, 1.0))
    assert np.all(kept[costs == 0])
    assert all((reason is None) == k for reason, k in zip(reasons, kept, strict=True))


@given(carts(max_lines=12))
def test_selection_is_worth_at_least_half_the_optimum(cart):
    values, costs, budget = cart
    kept, _ = select_within_budget(values, costs, budget)
    subsets = np.array(list(itertools.product((False, True), repeat=values.size)), dtype=bool)
    subsets = subsets.reshape(2**values.size, values.size)
    feasible = subsets @ costs <= budget
    optimum = float((subsets @ values)[feasible].max())
    assert values[kept].sum() >= 0.5 * optimum * (1 - TOLERANCE)


def _greedy_reference(costs, budget):
    taken = np.zeros(costs.size, dtype=bool)
    remaining = budget
    for i, cost in enumerate(costs):
        if cost <= remaining:
            taken[i] = True
            remaining -= cost
    return taken


def test_skip_and_continue_pass_matches_line_by_line_on_alternating_costs():
    # every vectorised pass takes one line and skips one, so the line-by-line finish runs.
    lines = 400
    costs = np.where(np.arange(lines) % 2 == 0, 1.0, lines - np.arange(lines) / 2 - 0.25)
    taken = _greedy_fill(costs, float(lines))
    assert taken.tolist() == _greedy_reference(costs, float(lines)).tolist()
    assert taken.sum() > _VECTOR_PASSES


@given(st.lists(st.floats(1e-3, 1e3), max_size=80), st.floats(0.0, 2e4))
def test_skip_and_continue_pass_matches_line_by_line(costs, budget):
    costs = np.array(costs, dtype=float)
    assert _greedy_fill(costs, budget).tolist() == _greedy_reference(costs, budget).tolist()


# --- supplier minimums ----------------------------------------------------------------------


def test_top_up_adds_best_left_out_lines_until_the_minimum():
    supplier = np.array([0, 0, 0, 0, 1, 1])
    costs = np.array([30.0, 20.0, 25.0, 40.0, 10.0, 5.0])
    values = np.array([30.0, 40.0, 25.0, 4.0, 10.0, 5.0])
    kept = np.array([True, False, False, False, True, False])
    minimum = np.array([70.0, 100.0])
    new_kept, below = top_up_minimums(kept, supplier, costs, values, minimum, np.ones(6, bool))
    # supplier 0: 30 kept, add line 1 (ratio 2) → 50, line 2 (ratio 1) → 75 ≥ 70, stop.
    # supplier 1: 10 kept, add line 5 → 15 < 100, lines run out.
    assert new_kept.tolist() == [True, True, True, False, True, True]
    assert below.tolist() == [False, True]


def test_top_up_respects_the_budget_and_candidates():
    supplier = np.array([0, 0, 1, 1])
    costs = np.array([10.0, 50.0, 10.0, 20.0])
    values = np.ones(4)
    kept = np.array([True, False, True, False])
    new_kept, below = top_up_minimums(
        kept, supplier, costs, values, [60.0, 30.0], [True, True, True, True], budget=45.0
    )
    # 25 left: supplier 1's top-up (20) fits, supplier 0's (50) does not.
    assert new_kept.tolist() == [True, False, True, True]
    assert below.tolist() == [True, False]
    not_candidate, _ = top_up_minimums(
        kept, supplier, costs, values, [60.0, 30.0], [True, True, True, False]
    )
    assert not not_candidate[3]


# --- the whole cart -------------------------------------------------------------------------


def _lines(**overrides):
    n = len(overrides.get("unit_price", [10.0] * 5))
    base = dict(
        recommended_quantity=np.full(n, 10.0), moq=np.zeros(n), pack_size=np.zeros(n),
        unit_price=np.full(n, 10.0), supplier_index=np.zeros(n, np.int64),
        selling_price=np.full(n, 15.0), daily_demand_mean=np.full(n, 1.0),
        demand_std=np.full(n, 2.0), lead_time_days=np.full(n, 10.0),
        inventory_position=np.full(n, 10.0), stockout_risk=np.full(n, 0.5),
    )  # fmt: skip
    base.update({key: np.asarray(value) for key, value in overrides.items()})
    return CartLines(**base)


def test_build_cart_reasons_totals_and_suppliers():
    lines = _lines(
        recommended_quantity=[10.0, 10.0, 10.0, 0.0, 10.0],
        unit_price=[10.0, np.nan, 10.0, 10.0, 12.0],
        supplier_index=[0, 0, -1, 1, 1],
        inventory_position=[0.0, 0.0, 0.0, 0.0, 10.0],
    )
    cart = build_cart(lines, budget=150.0, min_order_value=[0.0, 200.0])
    assert cart.value[[0, 4]] == pytest.approx([100.0, 120.0])
    assert cart.reasons.tolist() == [
        None, REASON_NO_RATE, REASON_NO_SUPPLIER, REASON_ZERO_QUANTITY, REASON_BUDGET,
    ]  # fmt: skip
    assert cart.kept.tolist() == [True, False, False, False, False]
    assert cart.kept_value == pytest.approx(100.0)
    assert cart.left_out_value == pytest.approx(120.0)
    assert cart.kept_count == 1
    assert cart.supplier_value == pytest.approx([100.0, 0.0])
    assert cart.below_minimum.tolist() == [False, False]


def test_build_cart_flags_suppliers_below_minimum_and_fill_stays_within_budget():
    lines = _lines(
        unit_price=[10.0, 10.0, 10.0], supplier_index=[0, 0, 0],
        inventory_position=[0.0, 10.0, 30.0],
    )  # fmt: skip
    plain = build_cart(lines, budget=150.0, min_order_value=[200.0])
    assert plain.kept.tolist() == [True, False, False]
    assert plain.below_minimum.tolist() == [True]
    # The greedy leaves less budget than any left-out line costs, so within the same budget the
    # top-up has nothing it may add: the supplier stays flagged, the budget holds.
    filled = build_cart(lines, budget=150.0, fill_minimums=True, min_order_value=[200.0])
    assert filled.kept.tolist() == [True, False, False]
    assert filled.below_minimum.tolist() == [True]
    met = build_cart(lines, budget=250.0, fill_minimums=True, min_order_value=[200.0])
    assert met.kept_value == pytest.approx(200.0)
    assert met.below_minimum.tolist() == [False]


@given(carts(max_lines=40), st.booleans())
def test_build_cart_never_exceeds_the_budget(cart, fill):
    values, costs, budget = cart
    n = values.size
    rng = np.random.default_rng(n)
    lines = _lines(
        recommended_quantity=np.ones(n), unit_price=costs,
        supplier_index=rng.integers(-1, 3, n), inventory_position=rng.uniform(0, 20, n),
    )  # fmt: skip
    built = build_cart(
        lines, budget=budget, fill_minimums=fill, min_order_value=rng.uniform(0, 1e3, 3)
    )
    assert math.fsum(built.value[built.kept]) <= budget * (1 + TOLERANCE)
    assert all((reason is None) == k for reason, k in zip(built.reasons, built.kept, strict=True))
