"""Reorder point, order-up-to level, order quantities, inventory position and days of cover.

Units: quantities in product units, demand in units/day, times in days, costs in the tenant's
currency. Every function works element-wise on arrays (one element per product × location).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

DAYS_PER_YEAR = 365.0


def reorder_point(
    mean_daily_demand: ArrayLike, lead_time_days: ArrayLike, safety_stock: ArrayLike
) -> NDArray[np.float64]:
    """Continuous review: order when inventory position ≤ ``d · L + safety_stock`` (units)."""
    return cast(
        "NDArray[np.float64]",
        np.asarray(mean_daily_demand, float) * np.asarray(lead_time_days, float)
        + np.asarray(safety_stock, float),
    )


def order_up_to_level(
    mean_daily_demand: ArrayLike,
    lead_time_days: ArrayLike,
    review_period_days: ArrayLike,
    safety_stock: ArrayLike,
) -> NDArray[np.float64]:
    """Periodic review (R, S): at each review order up to ``S = d · (L + R) + safety_stock``."""
    protection_days = np.asarray(lead_time_days, float) + np.asarray(review_period_days, float)
    return cast(
        "NDArray[np.float64]",
        np.asarray(mean_daily_demand, float) * protection_days + np.asarray(safety_stock, float),
    )


def economic_order_quantity(
    mean_daily_demand: ArrayLike,
    ordering_cost: ArrayLike,
    unit_cost: ArrayLike,
    holding_cost_rate: ArrayLike,
) -> NDArray[np.float64]:
    """Wilson's EOQ ``sqrt(2 · D · K / h)`` in units (Harris 1913).

    ``D`` annual demand = ``mean_daily_demand · 365``; ``K`` cost per order; ``h`` holding cost
    per unit per year = ``unit_cost · holding_cost_rate`` (rate per year, e.g. 0.25).
    Items without a holding cost (unit cost missing or 0) get NaN: the EOQ is undefined for them.
    """
    annual_demand = np.asarray(mean_daily_demand, float) * DAYS_PER_YEAR
    holding = np.asarray(unit_cost, float) * np.asarray(holding_cost_rate, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        quantity = np.sqrt(2.0 * annual_demand * np.asarray(ordering_cost, float) / holding)
    return np.where(holding > 0, quantity, np.nan)


def round_order_quantity(
    quantity: ArrayLike, minimum_order_quantity: ArrayLike = 0.0, pack_size: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """Round a wanted quantity up to something a supplier accepts: at least the MOQ, in whole
    packs. A wanted quantity of 0 stays 0 (nothing is ordered); NaN stays NaN.

    ``pack_size`` ≤ 0 is treated as 1 (no pack constraint).
    """
    wanted = np.asarray(quantity, float)
    pack = np.asarray(pack_size, float)
    pack = np.where(pack > 0, pack, 1.0)
    lot = np.maximum(wanted, np.asarray(minimum_order_quantity, float))
    # Divide first and allow a hair of float noise, so 12 / 0.1 packs does not become 121.
    # A positive need always orders at least one pack, however small (the tolerance above
    # must not round a tiny need down to nothing).
    packs = np.maximum(np.ceil(lot / pack - 1e-9), 1.0)
    return np.where(wanted > 0, packs * pack, np.where(np.isnan(wanted), np.nan, 0.0))


def inventory_position(
    on_hand: ArrayLike, on_order_within_lead_time: ArrayLike = 0.0, reserved: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Stock available to cover demand until a new order can arrive (units):
    ``on_hand + on_order due within the lead time − reserved`` (backorders count as reserved)."""
    return cast(
        "NDArray[np.float64]",
        np.asarray(on_hand, float)
        + np.asarray(on_order_within_lead_time, float)
        - np.asarray(reserved, float),
    )


def on_order_within_lead_time(
    item_index: ArrayLike,
    quantity: ArrayLike,
    due_in_days: ArrayLike,
    lead_time_days: ArrayLike,
) -> NDArray[np.float64]:
    """Sum open purchase-order lines per item, keeping only lines due within the item's lead time.

    ``item_index`` (lines,) is the item each open line belongs to, ``quantity`` its open units and
    ``due_in_days`` days from today until it is due (overdue lines are negative and count);
    ``lead_time_days`` (items,) sets both the horizon and the number of items. Lines due later
    than an order placed today would arrive are left out: they do not protect this cycle.
    """
    index = np.asarray(item_index, dtype=np.intp)
    lead_time = np.asarray(lead_time_days, float)
    due = np.asarray(due_in_days, float) <= lead_time[index]
    # With weights, bincount sums floats (numpy's stub says intp).
    return cast(
        "NDArray[np.float64]",
        np.bincount(
            index, weights=np.where(due, np.asarray(quantity, float), 0.0), minlength=lead_time.size
        ),
    )


def days_of_cover(stock: ArrayLike, mean_daily_demand: ArrayLike) -> NDArray[np.float64]:
    """Days the stock lasts at mean demand: ``stock / d``; +inf with stock and no demand,
    0 when there is no stock."""
    stock = np.asarray(stock, float)
    demand = np.asarray(mean_daily_demand, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.maximum(stock, 0.0) / demand
    cover = np.where(demand > 0, cover, np.where(stock > 0, np.inf, 0.0))
    return np.where(np.isnan(stock) | np.isnan(demand), np.nan, cover)
