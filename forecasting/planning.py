"""What forecasting needs from the tenant's planning settings, and how it tells planning that a
run finished, without importing ``inventory`` (which sits above it; ADR 19).

- ``PlanningDefaults``: the ABC class shares (a run classifies its series by value share) and
  the service level and holding-cost rate the ROI estimate prices safety stock at. Inventory
  owns those settings and registers a provider when its app starts; without one (a project
  without inventory) the defaults below apply.
- ``stock_classes``: the ABC/XYZ class of product × location pairs as the stock pages show
  them (inventory's metrics), so the Test Bed labels a SKU with the same class as "what to
  order" and the dashboard (ADR 30). Without a provider, no classes (the pages show "–").
- ``forecast_run_succeeded``: a signal sent inside the transaction that marks a run succeeded;
  inventory queues its metrics refresh on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class PlanningDefaults:
    abc_shares: tuple[float, float, float] = (0.80, 0.15, 0.05)  # fractions, summing to 1
    service_level: float = 0.95  # the class-B target
    holding_cost_rate: float = 0.25  # per year, of unit cost


_provider: Callable[[], PlanningDefaults] | None = None
Pair = tuple[int, int]  # (product id, location id)
_classes_provider: Callable[[list[Pair]], dict[Pair, str]] | None = None

forecast_run_succeeded = Signal()  # kwargs: run_id


def register_planning_defaults(provider: Callable[[], PlanningDefaults]) -> None:
    global _provider
    _provider = provider


def planning_defaults() -> PlanningDefaults:
    return _provider() if _provider is not None else PlanningDefaults()


def register_stock_classes(provider: Callable[[list[Pair]], dict[Pair, str]]) -> None:
    global _classes_provider
    _classes_provider = provider


def stock_classes(pairs: list[Pair]) -> dict[Pair, str]:
    """``{(product, location): "AX"}`` for the pairs the provider knows (one query)."""
    return _classes_provider(pairs) if _classes_provider is not None and pairs else {}
