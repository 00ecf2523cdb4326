"""Pegging: which demands each planned order serves (NumPy only, no Django).

For every item, supply is matched first-in-first-out against demand: supply in the order
on-hand, then open supply and planned orders by due day (open supply first on a tie); demand by
day (independent demand first on a tie). Matching is an overlap of intervals on a cumulative
quantity line, done for all items at once with cumulative sums and ``searchsorted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from manufacturing.mrp.plan import MrpResult

PEG_INDEPENDENT = 0
PEG_PARENT_ORDER = 1

_SUPPLY_ON_HAND, _SUPPLY_OPEN, _SUPPLY_PLANNED, _FILLER = 0, 1, 2, 3


def _fifo_order(item: np.ndarray, day: np.ndarray, kind: np.ndarray, horizon: int) -> np.ndarray:
    """Order of records by (item, day, kind), ties kept in input order.

    One int64 key and a stable sort: faster than ``lexsort`` on millions of records, and the
    records arrive in long already-sorted runs, which the stable sort exploits.
    """
    # day runs from -1 (on-hand) to horizon (filler): horizon + 2 values; kind < 4.
    key = item * (horizon + 2)
    key += day
    key += 1
    key *= 4
    key += kind
    return np.argsort(key, kind="stable")


def peg_orders(
    *,
    n_items: int,
    horizon: int,
    on_hand: np.ndarray,
    supply_item: np.ndarray,
    supply_day: np.ndarray,
    supply_qty: np.ndarray,
    order_item: np.ndarray,
    order_due_day: np.ndarray,
    order_quantity: np.ndarray,
    demand_item: np.ndarray,
    demand_day: np.ndarray,
    demand_qty: np.ndarray,
    demand_id: np.ndarray,
    dependent_item: np.ndarray,
    dependent_day: np.ndarray,
    dependent_qty: np.ndarray,
    dependent_parent_order: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """FIFO-peg planned orders to the demands they serve.

    Inputs (units and day indices): ``n_items``, ``horizon`` (H); per item ``on_hand``
    (negative counts as 0); open supply
    ``supply_*``; planned orders ``order_*`` (order index = position); independent demand
    ``demand_*``; dependent demand ``dependent_*`` (one record per parent order × BOM line,
    ``dependent_parent_order`` = index of the parent planned order).
    Outputs, one element per link, sorted by order: ``peg_order``, ``peg_demand_kind``
    (``PEG_INDEPENDENT`` 0 / ``PEG_PARENT_ORDER`` 1), ``peg_demand_ref`` (``demand_id`` or the
    parent order index), ``peg_quantity`` (units). On-hand and open supply peg too but are not
    reported; an order's excess over its demands (MOQ, pack, safety stock) stays unpegged.
    """
    items = np.arange(n_items)
    n_supply = n_items + supply_item.size + order_item.size
    n_demand = demand_item.size + dependent_item.size
    s_item = np.concatenate((items, supply_item, order_item, items))
    d_item = np.concatenate((demand_item, dependent_item, items))
    # Pad each item's shorter side with a filler so both sides span the same length per item:
    # then one cumulative line holds every item and item boundaries coincide on both sides.
    s_qty = np.empty(n_supply + n_items)
    np.maximum(on_hand, 0.0, out=s_qty[:n_items])
    s_qty[n_items : n_items + supply_qty.size] = supply_qty
    s_qty[n_items + supply_qty.size : n_supply] = order_quantity
    d_qty = np.empty(n_demand + n_items)
    d_qty[: demand_qty.size] = demand_qty
    d_qty[demand_qty.size : n_demand] = dependent_qty
    s_total = np.bincount(s_item[:n_supply], weights=s_qty[:n_supply], minlength=n_items)
    d_total = np.bincount(d_item[:n_demand], weights=d_qty[:n_demand], minlength=n_items)
    span = np.maximum(s_total, d_total)
    np.subtract(span, s_total, out=s_qty[n_supply:])
    np.subtract(span, d_total, out=d_qty[n_demand:])
    del s_total, d_total, span
    s_kind = np.repeat(
        np.array([_SUPPLY_ON_HAND, _SUPPLY_OPEN, _SUPPLY_PLANNED, _FILLER], dtype=np.int8),
        [n_items, supply_item.size, order_item.size, n_items],
    )
    d_kind = np.repeat(
        np.array([PEG_INDEPENDENT, PEG_PARENT_ORDER, _FILLER], dtype=np.int8),
        [demand_item.size, dependent_item.size, n_items],
    )
    no_day = np.full(n_items, -1)
    filler_day = np.full(n_items, horizon)
    s_order = _fifo_order(
        s_item,
        np.concatenate((no_day, supply_day, order_due_day, filler_day)),
        s_kind,
        horizon,
    )
    d_order = _fifo_order(
        d_item, np.concatenate((demand_day, dependent_day, filler_day)), d_kind, horizon
    )
    s_sorted = s_qty[s_order]
    del s_qty
    s_end = np.cumsum(s_sorted)
    s_start = np.subtract(s_end, s_sorted, out=s_sorted)  # s_sorted is not needed any more
    d_start = d_qty[d_order]
    del d_qty
    d_end = np.cumsum(d_start)
    np.subtract(d_end, d_start, out=d_start)

    # Demand j (sorted) overlaps the supplies from the one holding its start to the one holding
    # its end; list every such pair and measure the overlap.
    last_supply = s_end.size - 1
    first = np.searchsorted(s_end, d_start, side="right")
    np.minimum(first, last_supply, out=first)
    count = np.searchsorted(s_end, d_end, side="left")
    np.minimum(count, last_supply, out=count)
    count -= first
    count += 1
    np.maximum(count, 0, out=count)
    n_pairs = int(count.sum())
    d_pos = np.repeat(np.arange(d_end.size, dtype=np.int32), count)
    offset = np.cumsum(count)
    offset -= count
    np.subtract(first, offset, out=first)
    del offset
    s_pos = np.repeat(first.astype(np.int32), count)
    del first, count
    s_pos += np.arange(n_pairs, dtype=np.int32)
    length = s_end[s_pos]
    np.minimum(length, d_end[d_pos], out=length)
    lower = s_start[s_pos]
    np.maximum(lower, d_start[d_pos], out=lower)
    length -= lower
    del lower
    # Float cumsums of the two sides differ in the last bits: drop overlaps that thin.
    tolerance = max(1e-9, 1e-12 * float(s_end[-1]))
    del s_end, s_start, d_end, d_start
    keep = length > tolerance
    keep &= (s_kind == _SUPPLY_PLANNED)[s_order][s_pos]
    keep &= (d_kind != _FILLER)[d_order][d_pos]
    keep &= s_item[s_order].astype(np.int32)[s_pos] == d_item[d_order].astype(np.int32)[d_pos]
    s_rec = s_order[s_pos[keep]]
    d_rec = d_order[d_pos[keep]]
    length = length[keep]
    del s_pos, d_pos, keep
    n_plain = n_items + supply_item.size
    peg_order = s_rec
    peg_order -= n_plain  # planned orders sit after on-hand and open supply
    # Sorted by order, ties in FIFO order (a stable sort).
    by_order = np.argsort(peg_order, kind="stable")
    d_rec = d_rec[by_order]
    peg_ref = np.concatenate((demand_id, dependent_parent_order))[d_rec]
    return (
        peg_order[by_order],
        (d_rec >= demand_item.size).view(np.int8),
        peg_ref,
        length[by_order],
    )


@dataclass(frozen=True)
class PegPath:
    """One route from a planned order up to what it ultimately serves.

    ``orders``: planned order indices from the asked order up to the top (finished-good) order.
    ``demand_id``: the independent demand at the top, or None when the top order serves no
    demand (it exists for safety stock, MOQ or pack rounding). ``quantity``: units of the top
    order's item pegged to that demand (0 when ``demand_id`` is None).
    """

    orders: tuple[int, ...]
    demand_id: int | None
    quantity: float


def peg_chain(result: MrpResult, order_index: int) -> list[PegPath]:
    """Why is this order here? Every route from ``order_index`` through parent orders to the
    independent demands (finished-good forecast / MPS rows) it serves.

    Inputs: an ``MrpResult`` and a planned order index. Output: list of ``PegPath``, one per
    route, depth-first in peg order.
    """
    paths: list[PegPath] = []
    stack: list[tuple[int, ...]] = [(order_index,)]
    while stack:
        route = stack.pop()
        order = route[-1]
        lo = int(np.searchsorted(result.peg_order, order, side="left"))
        hi = int(np.searchsorted(result.peg_order, order, side="right"))
        if lo == hi:
            paths.append(PegPath(route, None, 0.0))
            continue
        for link in range(hi - 1, lo - 1, -1):  # reversed so pops come out in peg order
            ref = int(result.peg_demand_ref[link])
            if result.peg_demand_kind[link] == PEG_INDEPENDENT:
                paths.append(PegPath(route, ref, float(result.peg_quantity[link])))
            else:
                stack.append((*route, ref))
    return paths
