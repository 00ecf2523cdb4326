"""The MRP run: netting, lot sizing, lead-time offset and BOM explosion (NumPy only, no Django).

Conventions (the service and the tests rely on them):

* Items are integer indices ``0..n-1``; quantities are in each item's stock unit.
* Buckets are calendar days ``0..H-1`` counted from today; lead times are calendar days.
* Netting: projected stock starts at ``on_hand`` (already net of reservations), adds open supply
  on its due day and subtracts the gross requirement of the day. Whenever the projected stock
  of day ``d`` falls below the item's safety stock, the net requirement is
  ``safety_stock - projected`` and a planned order is due on day ``d``.
* Lot sizing is lot-for-lot: the net requirement is raised to the MOQ, then rounded up to a
  multiple of the pack size (pack size 0 or 1 = no rounding); the excess stays in projected
  stock for later days.
* A planned order due on day ``d`` is released on ``d - lead_time``; a negative release day is
  kept as it is and the order is listed as ``late``. Kind is ``make`` where the item has an
  active BOM (``has_bom``), else ``buy``.
* Dependent demand: each BOM edge puts ``planned qty × qty_per × (1 + scrap_pct / 100)`` of the
  component on the parent order's release day (day 0 when the release day is negative). Items
  are planned level by level in low-level-code order, so every parent is planned before its
  components.
* Independent demand and open supply dated before day 0 count on day 0; those dated on day
  ``H`` or later are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from manufacturing.mrp.bom import low_level_codes
from manufacturing.mrp.pegging import peg_orders

KIND_BUY = 0
KIND_MAKE = 1
KIND_NAMES = ("buy", "make")

# Quantities below this are float noise (e.g. 0.1 × 3 - 0.3), not a requirement.
QTY_EPSILON = 1e-9


@dataclass(frozen=True)
class MrpInputs:
    """Everything one MRP run needs, as arrays indexed by item (shape ``(n,)``) or by record.

    Per item: ``on_hand`` (units, net of reservations), ``safety_stock`` (units, 0 where none),
    ``lead_time_days`` (calendar days), ``moq`` (units, 0 = none), ``pack_size`` (units, 0 or
    1 = none), ``has_bom`` (bool: the item has an active BOM, so its orders are ``make``).
    BOM edges (one record per BOM line, active BOMs only): ``bom_parent``, ``bom_component``
    (item indices), ``bom_qty_per`` (component units per parent unit), ``bom_scrap_pct``
    (percent). Independent demand: ``demand_item``, ``demand_day`` (day index), ``demand_qty``,
    ``demand_id`` (an int the service maps back to its forecast / MPS row). Open supply
    (purchase orders, work orders, firmed planned orders): ``supply_item``, ``supply_day``
    (due day), ``supply_qty``. ``horizon_days`` is H. ``labels`` (optional, one per item)
    name items in cycle errors.
    """

    horizon_days: int
    on_hand: np.ndarray
    safety_stock: np.ndarray
    lead_time_days: np.ndarray
    moq: np.ndarray
    pack_size: np.ndarray
    has_bom: np.ndarray
    bom_parent: np.ndarray
    bom_component: np.ndarray
    bom_qty_per: np.ndarray
    bom_scrap_pct: np.ndarray
    demand_item: np.ndarray
    demand_day: np.ndarray
    demand_qty: np.ndarray
    demand_id: np.ndarray
    supply_item: np.ndarray
    supply_day: np.ndarray
    supply_qty: np.ndarray
    labels: Sequence[str] | None = None


@dataclass(frozen=True)
class MrpResult:
    """Planned orders, pegging and exceptions of one MRP run.

    Orders (one element per planned order, ordered by low-level code, item, due day):
    ``order_item``, ``order_kind`` (``KIND_BUY`` 0 / ``KIND_MAKE`` 1), ``order_quantity``
    (units), ``order_release_day`` (may be negative), ``order_due_day`` (0..H-1).
    Pegs (one element per order-demand link): ``peg_order`` (planned order index),
    ``peg_demand_kind`` (0 = independent demand, 1 = dependent demand of a parent planned
    order), ``peg_demand_ref`` (the ``demand_id`` for kind 0, the parent planned order index for
    kind 1), ``peg_quantity`` (units of the order's item).
    Exceptions: ``late`` (indices of orders whose release day is negative).
    Per item × day, shape ``(n, H)``: ``gross_requirement`` (independent + dependent),
    ``projected_stock`` (end of day, after planned receipts); ``low_level_code`` per item.
    """

    order_item: np.ndarray
    order_kind: np.ndarray
    order_quantity: np.ndarray
    order_release_day: np.ndarray
    order_due_day: np.ndarray
    peg_order: np.ndarray
    peg_demand_kind: np.ndarray
    peg_demand_ref: np.ndarray
    peg_quantity: np.ndarray
    late: np.ndarray
    gross_requirement: np.ndarray = field(repr=False)
    projected_stock: np.ndarray = field(repr=False)
    low_level_code: np.ndarray = field(repr=False)


def lot_size(net: np.ndarray, moq: np.ndarray, pack_size: np.ndarray) -> np.ndarray:
    """Lot-for-lot order quantity for a net requirement.

    Inputs (same shape, units): ``net`` (> 0 where an order is needed), ``moq`` (0 = none),
    ``pack_size`` (0 or 1 = none). Output: ``max(net, moq)`` rounded up to a multiple of the
    pack size; 0 where ``net`` is not positive.
    """
    quantity = np.maximum(net, moq)
    rounds = (pack_size > 0) & (pack_size != 1)
    safe_pack = np.where(rounds, pack_size, 1.0)
    # Subtract a hair before ceil so 12.000000001 packs (float noise) stays 12 packs.
    packed = np.ceil(quantity / safe_pack - QTY_EPSILON) * safe_pack
    quantity = np.where(rounds, packed, quantity)
    return np.where(net > QTY_EPSILON, quantity, 0.0)


def net_requirements(
    gross: np.ndarray,
    supply: np.ndarray,
    on_hand: np.ndarray,
    safety_stock: np.ndarray,
    moq: np.ndarray,
    pack_size: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Net and lot-size a block of items over the horizon (one vector step per day).

    Inputs: ``gross`` and ``supply`` of shape ``(k, H)`` (units due on each day), per item
    ``on_hand``, ``safety_stock``, ``moq``, ``pack_size`` of shape ``(k,)``.
    Outputs, shape ``(k, H)``: planned receipts (order quantity due each day, 0 where none) and
    the projected stock at the end of each day after those receipts.
    """
    k, horizon = gross.shape
    planned = np.zeros((k, horizon))
    projected = np.zeros((k, horizon))
    stock = on_hand.astype(float).copy()
    for day in range(horizon):
        stock += supply[:, day] - gross[:, day]
        quantity = lot_size(safety_stock - stock, moq, pack_size)
        stock += quantity
        planned[:, day] = quantity
        projected[:, day] = stock
    return planned, projected


def _edges_by_parent(n_items: int, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR view of the BOM: edge order sorted by parent, and each item's first edge offset."""
    order = np.argsort(parent, kind="stable")
    counts = np.bincount(parent, minlength=n_items)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, starts


def _clip_to_horizon(day: np.ndarray, horizon: int, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Records due before day 0 move to day 0; records on day H or later are dropped."""
    day = np.maximum(np.asarray(day, dtype=np.int64), 0)
    inside = day < horizon
    return (day[inside], *(np.asarray(a)[inside] for a in arrays))


def plan_mrp(inputs: MrpInputs) -> MrpResult:
    """Run MRP over all items: see the module docstring for the conventions.

    Input: ``MrpInputs``. Output: ``MrpResult`` (planned orders, pegs, ``late`` exceptions,
    gross requirement and projected stock per item × day). Raises ``CycleError`` when the BOM
    is cyclic.
    """
    horizon = int(inputs.horizon_days)
    n_items = len(inputs.on_hand)
    bom_parent = np.asarray(inputs.bom_parent, dtype=np.int64)
    bom_component = np.asarray(inputs.bom_component, dtype=np.int64)
    usage = np.asarray(inputs.bom_qty_per, dtype=float) * (
        1.0 + np.asarray(inputs.bom_scrap_pct, dtype=float) / 100.0
    )
    lead_time = np.asarray(inputs.lead_time_days, dtype=np.int64)
    llc = low_level_codes(n_items, bom_parent, bom_component, inputs.labels)

    demand_day, demand_item, demand_qty, demand_id = _clip_to_horizon(
        inputs.demand_day, horizon, inputs.demand_item, inputs.demand_qty, inputs.demand_id
    )
    supply_day, supply_item, supply_qty = _clip_to_horizon(
        inputs.supply_day, horizon, inputs.supply_item, inputs.supply_qty
    )
    demand_item = demand_item.astype(np.int64)
    supply_item = supply_item.astype(np.int64)
    gross = np.zeros((n_items, horizon))
    np.add.at(gross, (demand_item, demand_day), demand_qty.astype(float))
    supply = np.zeros((n_items, horizon))
    np.add.at(supply, (supply_item, supply_day), supply_qty.astype(float))
    projected = np.zeros((n_items, horizon))

    edge_order, edge_starts = _edges_by_parent(n_items, bom_parent)
    edge_counts = np.bincount(bom_parent, minlength=n_items)
    on_hand = np.asarray(inputs.on_hand, dtype=float)
    safety_stock = np.asarray(inputs.safety_stock, dtype=float)
    moq = np.asarray(inputs.moq, dtype=float)
    pack_size = np.asarray(inputs.pack_size, dtype=float)

    order_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    dependent_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    orders_so_far = 0
    for level in range(int(llc.max(initial=0)) + 1):
        items = np.flatnonzero(llc == level)
        if items.size == 0:
            continue
        planned, projected[items] = net_requirements(
            gross[items],
            supply[items],
            on_hand[items],
            safety_stock[items],
            moq[items],
            pack_size[items],
        )
        row, due = np.nonzero(planned)
        item = items[row]
        quantity = planned[row, due]
        order_parts.append((item, quantity, due))

        # Explode every order of the level through its BOM lines at once: order i has
        # edge_counts[item_i] lines, found at edge_starts[item_i] + 0, 1, ... in CSR order.
        lines = edge_counts[item]
        order_of_line = np.repeat(np.arange(item.size), lines)
        first_line = np.cumsum(lines) - lines
        within = np.arange(order_of_line.size) - np.repeat(first_line, lines)
        edge = edge_order[edge_starts[item[order_of_line]] + within]
        release = np.maximum(due[order_of_line] - lead_time[item[order_of_line]], 0)
        need = quantity[order_of_line] * usage[edge]
        np.add.at(gross, (bom_component[edge], release), need)
        dependent_parts.append((bom_component[edge], release, need, orders_so_far + order_of_line))
        orders_so_far += item.size

    def _concat(parts: Sequence[tuple[np.ndarray, ...]], column: int, dtype: type) -> np.ndarray:
        return np.concatenate([p[column] for p in parts]) if parts else np.zeros(0, dtype)

    order_item = _concat(order_parts, 0, np.int64)
    order_quantity = _concat(order_parts, 1, float)
    order_due_day = _concat(order_parts, 2, np.int64)
    order_release_day = order_due_day - lead_time[order_item]
    order_kind = np.where(np.asarray(inputs.has_bom, dtype=bool)[order_item], KIND_MAKE, KIND_BUY)

    pegs = peg_orders(
        n_items=n_items,
        horizon=horizon,
        on_hand=on_hand,
        supply_item=supply_item,
        supply_day=supply_day,
        supply_qty=supply_qty.astype(float),
        order_item=order_item,
        order_due_day=order_due_day,
        order_quantity=order_quantity,
        demand_item=demand_item,
        demand_day=demand_day,
        demand_qty=demand_qty.astype(float),
        demand_id=demand_id.astype(np.int64),
        dependent_item=_concat(dependent_parts, 0, np.int64),
        dependent_day=_concat(dependent_parts, 1, np.int64),
        dependent_qty=_concat(dependent_parts, 2, float),
        dependent_parent_order=_concat(dependent_parts, 3, np.int64),
    )
    return MrpResult(
        order_item=order_item,
        order_kind=order_kind.astype(np.int8),
        order_quantity=order_quantity,
        order_release_day=order_release_day,
        order_due_day=order_due_day,
        peg_order=pegs[0],
        peg_demand_kind=pegs[1],
        peg_demand_ref=pegs[2],
        peg_quantity=pegs[3],
        late=np.flatnonzero(order_release_day < 0),
        gross_requirement=gross,
        projected_stock=projected,
        low_level_code=llc,
    )
