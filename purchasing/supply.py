"""The providers purchasing lends the inventory refresh (``inventory.supply``): learned lead
times of each product's preferred supplier, and open purchase order quantities with their due
dates (time-phased on-order)."""

from __future__ import annotations

import numpy as np

from inventory.supply import LeadTimes, OpenSupply
from purchasing import selectors


def lead_time_provider() -> LeadTimes:
    ids, mean, std = selectors.preferred_lead_times()
    return LeadTimes(product_id=ids, mean_days=mean, std_days=std)


def open_supply_provider() -> OpenSupply:
    rows = selectors.open_supply_rows()
    return OpenSupply(
        product_id=np.array([r[0] for r in rows], dtype=np.int64),
        location_id=np.array([r[1] for r in rows], dtype=np.int64),
        due_date=np.array([r[2] for r in rows], dtype="datetime64[D]"),
        quantity=np.array([r[3] for r in rows], dtype=np.float64),
    )
