"""Rough-cut work-centre load of planned (or any) orders (NumPy only, no Django).

An order's hours on a work centre are ``(setup_minutes + run_minutes_per_unit × quantity) / 60``
per routing operation, spread evenly over the working days from its release day to the day
before its due day (the due day itself when release = due). Release days before day 0 count
from day 0: a late order's load is squeezed into the days that are left.
"""

from __future__ import annotations

import numpy as np


def work_centre_load(
    *,
    order_item: np.ndarray,
    order_quantity: np.ndarray,
    order_release_day: np.ndarray,
    order_due_day: np.ndarray,
    op_item: np.ndarray,
    op_work_centre: np.ndarray,
    op_setup_minutes: np.ndarray,
    op_run_minutes: np.ndarray,
    n_work_centres: int,
    horizon_days: int,
    working_day: np.ndarray | None = None,
) -> np.ndarray:
    """Hours of load per work centre per day.

    Inputs: orders (item index, quantity in units, release and due day indices); routing
    operations, one record per item × operation (``op_item``, ``op_work_centre`` index,
    ``op_setup_minutes`` per order, ``op_run_minutes`` per unit); ``n_work_centres``,
    ``horizon_days`` (H); ``working_day`` (bool, shape ``(H,)``; default every day).
    Output: float array ``(n_work_centres, H)`` of hours. Operations of an order are loaded in
    the same window (no operation-by-operation scheduling: this is a rough-cut check).
    """
    horizon = int(horizon_days)
    working = np.ones(horizon, bool) if working_day is None else np.asarray(working_day, bool)
    op_item = np.asarray(op_item, dtype=np.int64)
    ops_order = np.argsort(op_item, kind="stable")
    n_items = int(max(op_item.max(initial=-1), np.max(order_item, initial=-1))) + 1
    ops_count = np.bincount(op_item, minlength=n_items)
    ops_start = np.cumsum(ops_count) - ops_count

    # One record per order × operation of its item (CSR expansion, as for BOM lines).
    per_order = ops_count[order_item]
    order = np.repeat(np.arange(order_item.size), per_order)
    within = np.arange(order.size) - np.repeat(np.cumsum(per_order) - per_order, per_order)
    op = ops_order[ops_start[order_item[order]] + within]
    hours = (op_setup_minutes[op] + op_run_minutes[op] * order_quantity[order]) / 60.0
    centre = np.asarray(op_work_centre, dtype=np.int64)[op]

    due = np.clip(order_due_day[order], 0, horizon - 1)
    first = np.clip(order_release_day[order], 0, horizon - 1)
    last = np.maximum(np.minimum(due - 1, horizon - 1), first)
    working_before = np.concatenate(([0], np.cumsum(working)))
    days = working_before[last + 1] - working_before[first]

    load = np.zeros((n_work_centres, horizon))
    # Even spread over working days: a per-day rate added on [first, last] via a difference
    # array, then kept only on working days. A window without a working day (a weekend
    # between release and due) takes it all on the last working day before it, else the next
    # one after it, else its first day: the hours are never lost nor put on a closed day.
    spread = days > 0
    rate = np.where(spread, hours / np.maximum(days, 1), 0.0)
    step = np.zeros((n_work_centres, horizon + 1))
    np.add.at(step, (centre, first), rate)
    np.add.at(step, (centre, last + 1), -rate)
    load += np.cumsum(step[:, :horizon], axis=1) * working
    day_index = np.arange(horizon)
    previous_working = np.maximum.accumulate(np.where(working, day_index, -1))
    next_working = np.minimum.accumulate(np.where(working, day_index, horizon)[::-1])[::-1]
    alone = ~spread
    before = previous_working[first[alone]]
    after = next_working[last[alone]]
    fallback = np.where(before >= 0, before, np.where(after < horizon, after, first[alone]))
    np.add.at(load, (centre[alone], fallback), hours[alone])
    return load


def overloaded_days(load: np.ndarray, capacity_hours: np.ndarray) -> tuple[np.ndarray, ...]:
    """Work centre × day cells where load exceeds capacity.

    Inputs: ``load`` (hours, ``(n_work_centres, H)``) and ``capacity_hours`` (same shape, or
    ``(n_work_centres,)`` for the same capacity every day). Output: ``(work_centre, day)``
    index arrays of the overloaded cells.
    """
    capacity = np.asarray(capacity_hours, dtype=float)
    if capacity.ndim == 1:
        capacity = capacity[:, None]
    return np.nonzero(load > capacity + 1e-9)
