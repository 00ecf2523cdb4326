"""Supply facts the apps above inventory own, handed to the metrics refresh through providers.

Purchasing learns lead times from receipts and holds open purchase orders; manufacturing holds
open working orders. The refresh needs both (σ_L in the safety stock, time-phased on-order in
the inventory position), but ``inventory`` sits below those apps and never imports them
(ADR 19): they register a provider here when their app starts, and the refresh asks.

- A lead-time provider returns ``LeadTimes``: per product, the lead time mean and σ_L in days
  (the first provider that knows a product wins; products it does not know keep the catalogue's
  ``lead_time_days`` and ``lead_time_std_days``).
- An open-supply provider returns ``OpenSupply``: open quantities per product × location with
  the date they are due. Those quantities are already part of ``StockLevel.on_order``; the
  refresh takes out of the position what is due after the protection interval (lead time +
  review period), so a purchase order due in three months does not hide a stockout next week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from inventory.policy.network import pair_keys


@dataclass(frozen=True)
class LeadTimes:
    product_id: np.ndarray  # int64
    mean_days: np.ndarray  # float64
    std_days: np.ndarray  # float64


@dataclass(frozen=True)
class OpenSupply:
    product_id: np.ndarray  # int64
    location_id: np.ndarray  # int64
    due_date: np.ndarray  # datetime64[D]
    quantity: np.ndarray  # float64, open (not yet received) quantity


LeadTimeProvider = Callable[[], LeadTimes]
OpenSupplyProvider = Callable[[], OpenSupply]

_lead_time_providers: dict[str, LeadTimeProvider] = {}
_open_supply_providers: dict[str, OpenSupplyProvider] = {}


def register_lead_times(name: str, provider: LeadTimeProvider) -> None:
    """Register (or replace) the lead-time provider called ``name``."""
    _lead_time_providers[name] = provider


def register_open_supply(name: str, provider: OpenSupplyProvider) -> None:
    """Register (or replace) the open-supply provider called ``name``."""
    _open_supply_providers[name] = provider


def lead_times(
    product_ids: np.ndarray, mean_days: np.ndarray, std_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``mean_days`` and ``std_days`` (the catalogue's, aligned with the sorted ``product_ids``)
    with every provider's figures laid over them, the first registered provider first."""
    mean = mean_days.astype(np.float64, copy=True)
    std = std_days.astype(np.float64, copy=True)
    known = np.zeros(product_ids.size, dtype=bool)
    for provider in _lead_time_providers.values():
        figures = provider()
        if figures.product_id.size == 0 or product_ids.size == 0:
            continue
        at = np.searchsorted(product_ids, figures.product_id)
        at = np.minimum(at, product_ids.size - 1)
        hit = (product_ids[at] == figures.product_id) & ~known[at]
        mean[at[hit]] = figures.mean_days[hit]
        std[at[hit]] = figures.std_days[hit]
        known[at[hit]] = True
    return mean, std


def supply_due_after(pairs: np.ndarray, as_of: date, protection_days: np.ndarray) -> np.ndarray:
    """Per pair (sorted ``pair_keys``), the open quantity due after ``as_of`` + the pair's
    protection interval in days (rounded up), summed over every open-supply provider."""
    late = np.zeros(pairs.size)
    if pairs.size == 0:
        return late
    today = np.datetime64(as_of, "D")
    for provider in _open_supply_providers.values():
        supply = provider()
        if supply.product_id.size == 0:
            continue
        keys = pair_keys(supply.product_id, supply.location_id)
        at = np.minimum(np.searchsorted(pairs, keys), pairs.size - 1)
        found = pairs[at] == keys
        horizon = today + np.ceil(protection_days[at]).astype("timedelta64[D]")
        after = found & (supply.due_date > horizon)
        np.add.at(late, at[after], supply.quantity[after])
    return late
