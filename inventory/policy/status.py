"""Status per item, recommended order quantity and latest order date.

Statuses, strongest first (an item gets the first that applies):

* ``no_data``     demand, lead time or stock unknown (NaN): nothing can be said;
* ``dead_stock``  stock on hand but no sale for ``dead_stock_days`` (or no demand at all);
* ``critical``    projected stockout inside the lead time: the inventory position is below the
                  mean demand over the lead time, so even an order placed today arrives too late;
* ``reorder_now`` inventory position at or below the reorder point;
* ``overstock``   inventory position above the most a well-run policy holds (order-up-to level)
                  by more than ``overstock_tolerance``;
* ``ok``          everything else.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inventory.policy.levels import round_order_quantity


class StockStatus(IntEnum):
    OK = 0
    REORDER_NOW = 1
    CRITICAL = 2
    OVERSTOCK = 3
    DEAD_STOCK = 4
    NO_DATA = 5


# Index with a status code array to get the names the API and admin show.
STATUS_NAMES = np.array([status.name.lower() for status in StockStatus])


def stock_status(
    *,
    inventory_position: ArrayLike,
    on_hand: ArrayLike,
    mean_daily_demand: ArrayLike,
    lead_time_days: ArrayLike,
    reorder_point: ArrayLike,
    order_up_to_level: ArrayLike,
    days_since_last_sale: ArrayLike | None = None,
    dead_stock_days: float = 180.0,
    overstock_tolerance: float = 0.25,
) -> NDArray[np.int8]:
    """Status code per item (``StockStatus`` values, int8); see the module docstring.

    ``days_since_last_sale`` (days, NaN or inf for never sold) decides dead stock when given;
    without it an item with zero mean demand and stock on hand is dead stock.
    """
    position = np.asarray(inventory_position, float)
    stock = np.asarray(on_hand, float)
    demand = np.asarray(mean_daily_demand, float)
    lead_time = np.asarray(lead_time_days, float)
    reorder_level = np.asarray(reorder_point, float)
    maximum = np.asarray(order_up_to_level, float)
    position, stock, demand, lead_time, reorder_level, maximum = np.broadcast_arrays(
        position, stock, demand, lead_time, reorder_level, maximum
    )

    if days_since_last_sale is None:
        unsold = demand <= 0
    else:
        since = np.asarray(days_since_last_sale, float)
        unsold = np.isnan(since) | (since >= dead_stock_days)

    no_data = (
        np.isnan(position)
        | np.isnan(stock)
        | np.isnan(demand)
        | np.isnan(lead_time)
        | np.isnan(reorder_level)
    )
    dead = (stock > 0) & unsold
    critical = (demand > 0) & (position < demand * lead_time)
    reorder = (demand > 0) & (position <= reorder_level)
    overstock = position > maximum * (1.0 + overstock_tolerance)

    return np.select(
        [no_data, dead, critical, reorder, overstock],
        [
            StockStatus.NO_DATA,
            StockStatus.DEAD_STOCK,
            StockStatus.CRITICAL,
            StockStatus.REORDER_NOW,
            StockStatus.OVERSTOCK,
        ],
        default=StockStatus.OK,
    ).astype(np.int8)


def recommended_order_quantity(
    *,
    status: ArrayLike,
    inventory_position: ArrayLike,
    order_up_to_level: ArrayLike,
    minimum_order_quantity: ArrayLike = 0.0,
    pack_size: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Units to order now: for ``reorder_now`` and ``critical`` items enough to bring the
    inventory position back to the order-up-to level, rounded up to MOQ and whole packs;
    0 for every other item."""
    codes = np.asarray(status)
    wanted = np.asarray(order_up_to_level, float) - np.asarray(inventory_position, float)
    order_now = (codes == StockStatus.REORDER_NOW) | (codes == StockStatus.CRITICAL)
    wanted = np.where(order_now, np.maximum(np.nan_to_num(wanted), 0.0), 0.0)
    return round_order_quantity(wanted, minimum_order_quantity, pack_size)


def days_until_order(
    inventory_position: ArrayLike, reorder_point: ArrayLike, mean_daily_demand: ArrayLike
) -> NDArray[np.float64]:
    """Whole days from today until the inventory position falls to the reorder point at mean
    demand, ``floor((IP − ROP) / d)``, at least 0; +inf when there is no demand."""
    demand = np.asarray(mean_daily_demand, float)
    slack = np.asarray(inventory_position, float) - np.asarray(reorder_point, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        days = np.maximum(np.floor(slack / demand), 0.0)
    days = np.where(demand > 0, days, np.inf)
    return np.where(np.isnan(slack) | np.isnan(demand), np.nan, days)


def latest_order_date(as_of: np.datetime64 | str, days: ArrayLike) -> NDArray[np.datetime64]:
    """Calendar date of the latest order: ``as_of + days`` (``NaT`` where days is inf or NaN)."""
    days = np.asarray(days, float)
    finite = np.isfinite(days)
    offsets = np.where(finite, days, 0.0).astype(np.int64).astype("timedelta64[D]")
    # numpy accepts a datetime64 and a unit; its stub only types str/date with a unit.
    dates = np.datetime64(as_of, "D") + offsets  # type: ignore[call-overload]
    return np.where(finite, dates, np.datetime64("NaT", "D"))
