"""The pure MRP core: hand-computed plans, BOM cycles and properties (no database, no Django).

Conventions checked here (as stated in ``manufacturing.mrp.plan``): days 0..H-1 from today;
projected stock = on-hand + open supply on its due day - gross requirement; an order is planned
on the day projected stock falls below safety stock, for ``safety_stock - projected`` raised to
the MOQ and rounded up to the pack size (0/1 = none), the excess carried forward; release =
due - lead time (negative = late, kept); components need ``qty × qty_per × (1 + scrap%/100)``
on the parent's release day (day 0 when negative); pegging is FIFO.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manufacturing.mrp import (
    KIND_BUY,
    KIND_MAKE,
    PEG_INDEPENDENT,
    PEG_PARENT_ORDER,
    CycleError,
    MrpInputs,
    PegPath,
    find_cycle,
    lot_size,
    low_level_codes,
    peg_chain,
    plan_mrp,
)
from manufacturing.mrp.capacity import overloaded_days, work_centre_load

INT = np.int64


def make_inputs(
    n: int,
    horizon: int,
    *,
    on_hand=None,
    safety_stock=None,
    lead_time=None,
    moq=None,
    pack=None,
    has_bom=None,
    bom=(),
    demand=(),
    supply=(),
) -> MrpInputs:
    """Small inputs: ``bom`` = (parent, component, qty_per, scrap_pct) tuples, ``demand`` =
    (item, day, qty, demand_id) tuples, ``supply`` = (item, day, qty) tuples."""

    def per_item(values, default):
        return np.full(n, default, float) if values is None else np.asarray(values, float)

    bom_cols = list(zip(*bom, strict=True)) if bom else [[], [], [], []]
    demand_cols = list(zip(*demand, strict=True)) if demand else [[], [], [], []]
    supply_cols = list(zip(*supply, strict=True)) if supply else [[], [], []]
    parents = np.asarray(bom_cols[0], INT)
    return MrpInputs(
        horizon_days=horizon,
        on_hand=per_item(on_hand, 0.0),
        safety_stock=per_item(safety_stock, 0.0),
        lead_time_days=per_item(lead_time, 0).astype(INT),
        moq=per_item(moq, 0.0),
        pack_size=per_item(pack, 0.0),
        has_bom=(np.isin(np.arange(n), parents) if has_bom is None else np.asarray(has_bom, bool)),
        bom_parent=parents,
        bom_component=np.asarray(bom_cols[1], INT),
        bom_qty_per=np.asarray(bom_cols[2], float),
        bom_scrap_pct=np.asarray(bom_cols[3], float),
        demand_item=np.asarray(demand_cols[0], INT),
        demand_day=np.asarray(demand_cols[1], INT),
        demand_qty=np.asarray(demand_cols[2], float),
        demand_id=np.asarray(demand_cols[3], INT),
        supply_item=np.asarray(supply_cols[0], INT),
        supply_day=np.asarray(supply_cols[1], INT),
        supply_qty=np.asarray(supply_cols[2], float),
        labels=[chr(ord("A") + i) for i in range(n)],
    )


def orders(result) -> list[tuple[int, int, float, int, int]]:
    """(item, kind, quantity, release_day, due_day) per planned order, quantities rounded."""
    return [
        (int(i), int(k), round(float(q), 9), int(r), int(d))
        for i, k, q, r, d in zip(
            result.order_item,
            result.order_kind,
            result.order_quantity,
            result.order_release_day,
            result.order_due_day,
            strict=True,
        )
    ]


def pegs(result) -> list[tuple[int, int, int, float]]:
    """(order, demand kind, demand ref, quantity) per peg link, quantities rounded."""
    return [
        (int(o), int(k), int(r), round(float(q), 9))
        for o, k, r, q in zip(
            result.peg_order,
            result.peg_demand_kind,
            result.peg_demand_ref,
            result.peg_quantity,
            strict=True,
        )
    ]


# --- hand-computed plans ---------------------------------------------------------------------


def test_single_level_nets_on_hand_and_open_supply():
    # On-hand 20, open PO of 15 due day 4, lead time 3; demand 12 (day 2), 30 (day 5), 10 (day 8).
    # Projected: days 0-1 = 20; day 2 = 8; day 4 = 8 + 15 = 23; day 5 = 23 - 30 = -7 → order 7
    # due 5, released 5 - 3 = 2, stock 0; day 8 = -10 → order 10 due 8, released 5.
    inputs = make_inputs(
        1,
        10,
        on_hand=[20],
        lead_time=[3],
        supply=[(0, 4, 15)],
        demand=[(0, 2, 12, 101), (0, 5, 30, 102), (0, 8, 10, 103)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [(0, KIND_BUY, 7.0, 2, 5), (0, KIND_BUY, 10.0, 5, 8)]
    assert result.projected_stock[0].tolist() == [20, 20, 8, 8, 23, 0, 0, 0, 0, 0]
    assert result.late.size == 0
    # FIFO: on-hand 20 → 12 of #101 and 8 of #102; the PO 15 → 15 of #102; order 0 → the last
    # 7 of #102; order 1 → #103.
    assert pegs(result) == [(0, PEG_INDEPENDENT, 102, 7.0), (1, PEG_INDEPENDENT, 103, 10.0)]


def test_moq_and_pack_rounding_carries_the_excess():
    # MOQ 25, pack 10, no stock; demand 12 (day 1), 20 (day 3), 5 (day 6).
    # Day 1: net 12 → MOQ 25 → 3 packs = 30, stock 18. Day 3: 18 - 20 = -2 → net 2 → 30 again,
    # stock 28. Day 6: 28 - 5 = 23, no order.
    inputs = make_inputs(
        1,
        8,
        moq=[25],
        pack=[10],
        demand=[(0, 1, 12, 1), (0, 3, 20, 2), (0, 6, 5, 3)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [(0, KIND_BUY, 30.0, 1, 1), (0, KIND_BUY, 30.0, 3, 3)]
    assert result.projected_stock[0].tolist() == [0, 18, 18, 28, 28, 28, 23, 23]
    # FIFO: order 0 (30) → all 12 of #1 and 18 of #2; order 1 (30) → 2 of #2 and 5 of #3.
    assert pegs(result) == [
        (0, PEG_INDEPENDENT, 1, 12.0),
        (0, PEG_INDEPENDENT, 2, 18.0),
        (1, PEG_INDEPENDENT, 2, 2.0),
        (1, PEG_INDEPENDENT, 3, 5.0),
    ]


def test_lot_size_moq_then_pack_and_float_noise():
    net = np.array([0.0, 3.0, 12.0 + 1e-12, 7.0, 2.5])
    moq = np.array([5.0, 0.0, 0.0, 10.0, 0.0])
    pack = np.array([0.0, 5.0, 6.0, 4.0, 1.0])
    # no need → 0; 3 → 1 pack of 5; 12 (+ float noise) stays 2 packs of 6; 7 → MOQ 10 → 3 packs
    # of 4 = 12; pack 1 = no rounding, 2.5 stays 2.5.
    assert lot_size(net, moq, pack).tolist() == [0.0, 5.0, 12.0, 12.0, 2.5]


def test_safety_stock_is_restored():
    # Item A: on-hand 10, safety stock 5; demand 8 (day 2), 3 (day 4).
    # Day 2: 10 - 8 = 2 < 5 → order 3 due 2, stock 5. Day 4: 5 - 3 = 2 → order 3 due 4, stock 5.
    # Item B: on-hand 1, safety stock 4, no demand → order 3 due day 0.
    inputs = make_inputs(
        2,
        6,
        on_hand=[10, 1],
        safety_stock=[5, 4],
        lead_time=[1, 0],
        demand=[(0, 2, 8, 7), (0, 4, 3, 8)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [
        (0, KIND_BUY, 3.0, 1, 2),
        (0, KIND_BUY, 3.0, 3, 4),
        (1, KIND_BUY, 3.0, 0, 0),
    ]
    assert result.projected_stock[0].tolist() == [10, 10, 5, 5, 5, 5]
    assert result.projected_stock[1].tolist() == [4] * 6
    assert result.late.size == 0
    # FIFO: on-hand 10 → 8 of #7 and 2 of #8; order 0 → the last 1 of #8; order 1 and B's order
    # only hold safety stock, so they peg to nothing.
    assert pegs(result) == [(0, PEG_INDEPENDENT, 8, 1.0)]
    assert peg_chain(result, 2) == [PegPath((2,), None, 0.0)]


def test_two_levels_offset_by_lead_time():
    # A (make, lead time 2) uses 2 B (buy, lead time 3, on-hand 5). Demand 10 A on day 6.
    # A: order 10 due 6, released 4. B: gross 2 × 10 = 20 on day 4 (A's release day);
    # 5 - 20 = -15 → order 15 due 4, released 1.
    inputs = make_inputs(
        2,
        10,
        on_hand=[0, 5],
        lead_time=[2, 3],
        bom=[(0, 1, 2.0, 0.0)],
        demand=[(0, 6, 10, 55)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [(0, KIND_MAKE, 10.0, 4, 6), (1, KIND_BUY, 15.0, 1, 4)]
    assert result.gross_requirement[1].tolist() == [0, 0, 0, 0, 20, 0, 0, 0, 0, 0]
    assert pegs(result) == [(0, PEG_INDEPENDENT, 55, 10.0), (1, PEG_PARENT_ORDER, 0, 15.0)]
    assert peg_chain(result, 1) == [PegPath((1, 0), 55, 10.0)]


def test_three_levels_with_scrap():
    # A → B: 2 per A, 10% scrap; B → C: 1.5 per B, 4% scrap. Lead times 1 / 2 / 3 days.
    # A: demand 100 on day 9, no stock → order 100 due 9, released 8.
    # B: gross 100 × 2 × 1.10 = 220 on day 8; on-hand 20 → order 200 due 8, released 6.
    # C: gross 200 × 1.5 × 1.04 = 312 on day 6; on-hand 12 → net 300 = 6 packs of 50 exactly
    # (float noise must not add a seventh pack) → order 300 due 6, released 3.
    inputs = make_inputs(
        3,
        10,
        on_hand=[0, 20, 12],
        lead_time=[1, 2, 3],
        pack=[0, 0, 50],
        bom=[(0, 1, 2.0, 10.0), (1, 2, 1.5, 4.0)],
        demand=[(0, 9, 100, 1)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [
        (0, KIND_MAKE, 100.0, 8, 9),
        (1, KIND_MAKE, 200.0, 6, 8),
        (2, KIND_BUY, 300.0, 3, 6),
    ]
    assert result.gross_requirement[1, 8] == pytest.approx(220.0)
    assert result.gross_requirement[2, 6] == pytest.approx(312.0)
    assert result.low_level_code.tolist() == [0, 1, 2]
    assert peg_chain(result, 2) == [PegPath((2, 1, 0), 1, 100.0)]


def test_late_release_is_kept_negative_and_component_demand_clamped_to_day_0():
    # A: lead time 4, demand 5 on day 2 → order due 2, released -2 (late).
    # B (1 per A, lead time 1): gross 5 on day max(-2, 0) = 0 → order due 0, released -1 (late).
    inputs = make_inputs(2, 5, lead_time=[4, 1], bom=[(0, 1, 1.0, 0.0)], demand=[(0, 2, 5, 9)])
    result = plan_mrp(inputs)
    assert orders(result) == [(0, KIND_MAKE, 5.0, -2, 2), (1, KIND_BUY, 5.0, -1, 0)]
    assert result.late.tolist() == [0, 1]


def test_demand_and_supply_outside_the_horizon():
    # Demand on day -3 counts on day 0; on day 5 (= H) it is ignored. A PO overdue (day -1)
    # arrives on day 0; one due on day 9 is ignored. Day 0: 0 + 4 - 6 = -2 → order 2.
    inputs = make_inputs(
        1,
        5,
        demand=[(0, -3, 6, 1), (0, 5, 50, 2)],
        supply=[(0, -1, 4), (0, 9, 100)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [(0, KIND_BUY, 2.0, 0, 0)]
    assert pegs(result) == [(0, PEG_INDEPENDENT, 1, 2.0)]


def test_shared_component_pegs_to_both_finished_goods():
    # A and B each use 1 C; demand 4 A on day 3 (#10) and 6 B on day 5 (#20); no lead times.
    # C: gross 4 on day 3, 6 on day 5 → orders 4 (due 3) and 6 (due 5), pegged to A's and B's.
    inputs = make_inputs(
        3,
        7,
        bom=[(0, 2, 1.0, 0.0), (1, 2, 1.0, 0.0)],
        demand=[(0, 3, 4, 10), (1, 5, 6, 20)],
    )
    result = plan_mrp(inputs)
    assert orders(result) == [
        (0, KIND_MAKE, 4.0, 3, 3),
        (1, KIND_MAKE, 6.0, 5, 5),
        (2, KIND_BUY, 4.0, 3, 3),
        (2, KIND_BUY, 6.0, 5, 5),
    ]
    assert peg_chain(result, 2) == [PegPath((2, 0), 10, 4.0)]
    assert peg_chain(result, 3) == [PegPath((3, 1), 20, 6.0)]


# --- BOM structure ---------------------------------------------------------------------------


def test_find_cycle_names_the_cycle():
    labels = ["A", "B", "C", "D", "E"]
    # A → B → C → A, plus D → A above the cycle and B → E below it.
    parent = np.array([0, 1, 2, 3, 1])
    component = np.array([1, 2, 0, 0, 4])
    assert find_cycle(parent, component, labels) == ["A", "B", "C", "A"]
    with pytest.raises(CycleError) as error:
        low_level_codes(5, parent, component, labels)
    assert error.value.cycle == ["A", "B", "C", "A"]
    assert "A → B → C → A" in str(error.value)
    with pytest.raises(CycleError):
        plan_mrp(make_inputs(3, 5, bom=[(0, 1, 1, 0), (1, 2, 1, 0), (2, 0, 1, 0)]))


def test_acyclic_bom_has_no_cycle_and_low_level_codes_take_the_longest_path():
    # A → B → C and A → C directly, D → C: C sits below B, so its code is 2, not 1.
    parent = np.array([0, 1, 0, 3])
    component = np.array([1, 2, 2, 2])
    assert find_cycle(parent, component, ["A", "B", "C", "D"]) is None
    assert low_level_codes(4, parent, component).tolist() == [0, 1, 2, 0]


# --- properties ------------------------------------------------------------------------------


def random_plant(seed: int, n_items: int, horizon: int, *, with_stock: bool) -> MrpInputs:
    """A random layered BOM (edges only go from a lower layer to a higher one) with demand on
    the top layer; with_stock adds on-hand, safety stock, open supply, MOQ and pack sizes."""
    rng = np.random.default_rng(seed)
    layer = np.sort(rng.integers(0, 4, n_items))
    layer[0] = 0
    edges = [
        (p, c)
        for p in range(n_items)
        for c in range(n_items)
        if layer[p] < layer[c] and rng.random() < 0.35
    ]
    parent = np.array([p for p, _ in edges], INT)
    component = np.array([c for _, c in edges], INT)
    n_demand = int(rng.integers(1, 12))
    tops = np.flatnonzero(layer == 0)
    zeros = np.zeros(n_items)
    n_supply = int(rng.integers(0, 5)) if with_stock else 0
    return MrpInputs(
        horizon_days=horizon,
        on_hand=np.round(rng.uniform(0, 30, n_items)) if with_stock else zeros,
        safety_stock=np.round(rng.uniform(0, 8, n_items)) * (rng.random(n_items) < 0.5)
        if with_stock
        else zeros,
        lead_time_days=rng.integers(0, 6, n_items),
        moq=np.round(rng.uniform(0, 20, n_items)) if with_stock else zeros,
        pack_size=rng.choice([0.0, 1.0, 3.0, 10.0], n_items) if with_stock else zeros,
        has_bom=np.isin(np.arange(n_items), parent),
        bom_parent=parent,
        bom_component=component,
        bom_qty_per=rng.choice([0.5, 1.0, 2.0, 3.0], parent.size),
        bom_scrap_pct=rng.choice([0.0, 2.5, 10.0], parent.size),
        demand_item=rng.choice(tops, n_demand),
        demand_day=rng.integers(-2, horizon + 2, n_demand),
        demand_qty=rng.integers(1, 40, n_demand).astype(float),
        demand_id=np.arange(1000, 1000 + n_demand),
        supply_item=rng.integers(0, n_items, n_supply),
        supply_day=rng.integers(0, horizon, n_supply),
        supply_qty=rng.integers(1, 30, n_supply).astype(float),
    )


def usage_of(inputs: MrpInputs) -> np.ndarray:
    return inputs.bom_qty_per * (1 + inputs.bom_scrap_pct / 100)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_items=st.integers(2, 9),
    horizon=st.integers(1, 15),
)
def test_bom_explosion_conserves_quantities(seed, n_items, horizon):
    inputs = random_plant(seed, n_items, horizon, with_stock=False)
    result = plan_mrp(inputs)
    planned_total = np.bincount(result.order_item, weights=result.order_quantity, minlength=n_items)
    independent = np.zeros(n_items)
    day = np.maximum(inputs.demand_day, 0)
    inside = day < horizon
    np.add.at(independent, inputs.demand_item[inside], inputs.demand_qty[inside])
    dependent = np.bincount(
        inputs.bom_component,
        weights=planned_total[inputs.bom_parent] * usage_of(inputs),
        minlength=n_items,
    )
    # Each component's total gross = Σ over parents of planned qty × qty_per × (1 + scrap).
    gross_total = result.gross_requirement.sum(axis=1)
    np.testing.assert_allclose(gross_total, independent + dependent, rtol=1e-9, atol=1e-9)
    # No stock, MOQ or pack: every unit of gross requirement is planned, no more.
    np.testing.assert_allclose(planned_total, gross_total, rtol=1e-9, atol=1e-9)
    # With nothing on hand every demand is fully covered by planned orders: the pegs to each
    # independent demand sum to its quantity, and to each parent order × component to the
    # parent's quantity × usage.
    independent_pegs = result.peg_demand_kind == PEG_INDEPENDENT
    for demand_id, qty, inside_day in zip(inputs.demand_id, inputs.demand_qty, inside, strict=True):
        total = result.peg_quantity[independent_pegs & (result.peg_demand_ref == demand_id)].sum()
        assert total == pytest.approx(qty if inside_day else 0.0)
    for order in range(result.order_item.size):
        item = result.order_item[order]
        lines = inputs.bom_parent == item
        for component in np.unique(inputs.bom_component[lines]):
            need = (
                result.order_quantity[order]
                * usage_of(inputs)[lines & (inputs.bom_component == component)].sum()
            )
            links = (
                (result.peg_demand_kind == PEG_PARENT_ORDER)
                & (result.peg_demand_ref == order)
                & (result.order_item[result.peg_order] == component)
            )
            assert result.peg_quantity[links].sum() == pytest.approx(need)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_items=st.integers(1, 9),
    horizon=st.integers(1, 15),
)
def test_orders_cover_net_requirements_and_hold_safety_stock(seed, n_items, horizon):
    inputs = random_plant(seed, n_items, horizon, with_stock=True)
    result = plan_mrp(inputs)
    item, due, qty = result.order_item, result.order_due_day, result.order_quantity
    ss = inputs.safety_stock
    # Projected stock never ends a day below safety stock: orders are due on the day of need
    # (late ones are flagged, not dropped), so there is always "enough time" in the plan.
    assert (result.projected_stock >= ss[:, None] - 1e-9).all()
    # An order exists only where stock fell below safety stock, and covers the net requirement.
    before = result.projected_stock[item, due] - qty
    assert (before < ss[item] - 1e-9).all()
    assert (qty >= ss[item] - before - 1e-9).all()
    assert (qty >= inputs.moq[item] - 1e-9).all()
    packed = ~np.isin(inputs.pack_size[item], [0.0, 1.0])
    packs = qty[packed] / inputs.pack_size[item][packed]
    np.testing.assert_allclose(packs, np.round(packs), atol=1e-9)
    assert (result.order_release_day == due - inputs.lead_time_days[item]).all()
    assert result.late.tolist() == np.flatnonzero(result.order_release_day < 0).tolist()
    # Pegs: an order never pegs more than its quantity; a demand never receives more than it is.
    per_order = np.bincount(result.peg_order, weights=result.peg_quantity, minlength=item.size)
    assert (per_order <= qty + 1e-9).all()
    independent_pegs = result.peg_demand_kind == PEG_INDEPENDENT
    for demand_id, demand_qty in zip(inputs.demand_id, inputs.demand_qty, strict=True):
        total = result.peg_quantity[independent_pegs & (result.peg_demand_ref == demand_id)].sum()
        assert total <= demand_qty + 1e-9
    assert (result.peg_quantity > 0).all()


# --- work-centre load ------------------------------------------------------------------------


def test_work_centre_load_spreads_hours_over_working_days():
    # Item 0 has two operations (WC0: 30 min setup + 9 min/unit; WC1: 6 min/unit), item 1 one
    # (WC0: 60 min setup + 15 min/unit). Day 2 is not a working day.
    # Order 0: 10 × item 0, release 1, due 4 → working days 1 and 3:
    #   WC0 (30 + 90) / 60 = 2 h → 1 h a day; WC1 60 / 60 = 1 h → 0.5 h a day.
    # Order 1: 4 × item 1, release = due = 2, a closed day → all (60 + 60) / 60 = 2 h on the
    #   last working day before it, day 1 (never on the closed day).
    # Order 2: 6 × item 0, release -3 (late), due 1 → day 0 only: WC0 84 / 60 = 1.4 h,
    #   WC1 36 / 60 = 0.6 h.
    load = work_centre_load(
        order_item=np.array([0, 1, 0]),
        order_quantity=np.array([10.0, 4.0, 6.0]),
        order_release_day=np.array([1, 2, -3]),
        order_due_day=np.array([4, 2, 1]),
        op_item=np.array([0, 0, 1]),
        op_work_centre=np.array([0, 1, 0]),
        op_setup_minutes=np.array([30.0, 0.0, 60.0]),
        op_run_minutes=np.array([9.0, 6.0, 15.0]),
        n_work_centres=2,
        horizon_days=6,
        working_day=np.array([True, True, False, True, True, True]),
    )
    np.testing.assert_allclose(load, [[1.4, 3, 0, 1, 0, 0], [0.6, 0.5, 0, 0.5, 0, 0]])
    centre, day = overloaded_days(load, np.array([1.2, 0.55]))
    assert list(zip(centre.tolist(), day.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 0)]
