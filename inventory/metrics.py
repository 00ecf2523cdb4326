"""Inventory settings and the metrics refresh service.

``inventory_refresh`` runs the three steps of ``inventory.refresh``: load the inputs with one
query per dataset, compute every product × location's policy on whole arrays, and write the
``InventoryMetrics`` rows and the per-product summary in bulk, in the active tenant schema.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.cache import bump_namespace
from core.events import emit_event
from core.jobs import ProgressFn
from inventory.models import InventoryMetrics, InventorySettings, ProductInventorySummary
from inventory.refresh.compute import refresh_compute
from inventory.refresh.load import AGGREGATE_SESSION, refresh_inputs_load
from inventory.refresh.write import refresh_lock, write_rows

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "AGGREGATE_SESSION",
    "RefreshResult",
    "inventory_metrics_list",
    "inventory_refresh",
    "inventory_settings_get",
    "inventory_settings_update",
]


@dataclass(frozen=True)
class RefreshResult:
    rows: int
    deleted: int
    by_status: dict[str, int]
    seconds: float
    # Seconds per step: "sales" (the aggregation query), "other_reads", "compute", "write".
    steps: dict[str, float] = field(default_factory=dict)
    # Pairs whose demand came from the latest forecast run (the rest: the look-back's sales).
    forecast_pairs: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "deleted": self.deleted,
            "by_status": self.by_status,
            "seconds": round(self.seconds, 3),
            "steps": {name: round(value, 3) for name, value in self.steps.items()},
            "forecast_pairs": self.forecast_pairs,
        }


def inventory_settings_get() -> InventorySettings:
    """The tenant's settings row, created with the defaults on first use."""
    settings, _ = InventorySettings.objects.get_or_create(pk=1)
    return settings


def inventory_settings_update(**values: Any) -> InventorySettings:
    """Write validated settings (the API serializer validates ranges and share sums)."""
    with transaction.atomic():
        settings = inventory_settings_get()
        for name, value in values.items():
            setattr(settings, name, value)
        settings.save()
    bump_namespace("inventory")
    return settings


URGENT = (InventoryMetrics.Status.CRITICAL, InventoryMetrics.Status.REORDER_NOW)
STOCK_LOW_ITEMS_MAX = 100  # the event names at most this many items; ``count`` has them all


def _urgent_pairs() -> dict[tuple[int, int], str]:
    return {
        (product_id, location_id): status
        for product_id, location_id, status in InventoryMetrics.objects.filter(
            status__in=URGENT
        ).values_list("product_id", "location_id", "status")
    }


def _emit_stock_low(before: dict[tuple[int, int], str]) -> None:
    """One ``inventory.stock_low`` event for the items that crossed into ``reorder_now`` or
    ``critical`` in this refresh (or from reorder now into critical)."""
    crossed = [
        {"product_id": product_id, "location_id": location_id, "status": status}
        for (product_id, location_id), status in sorted(_urgent_pairs().items())
        if before.get((product_id, location_id)) not in (status, InventoryMetrics.Status.CRITICAL)
    ]
    if crossed:
        emit_event(
            "inventory.stock_low",
            {"count": len(crossed), "items": crossed[:STOCK_LOW_ITEMS_MAX]},
        )


def inventory_refresh(
    *,
    as_of: date | None = None,
    reclassify: bool = True,
    progress: ProgressFn | None = None,
) -> RefreshResult:
    """Recompute ``InventoryMetrics`` for every active product × location that has stock or
    sales in the look-back, and the per-product ``ProductInventorySummary``; rows of other
    pairs are deleted.

    Demand: mean and standard deviation of daily sales over ``lookback_days`` (days without a
    row count as zero), the fallback until forecast errors feed the policy, rolled up the supply
    network (a DC's demand is its own plus that of every location it replenishes; means and
    variances add). Lead time and its spread σ_L from the product. Inventory position = on hand
    + on order − reserved. ABC by revenue or quantity over the look-back, ranked within each
    location; XYZ by the coefficient of variation of weekly demand with the tenant's cut-offs.
    ``reclassify=False`` (the hourly refresh) keeps the ABC/XYZ classes of existing rows, which
    the daily run re-evaluates. Products excluded from ``abc`` get no class (blank, class-B
    target); products excluded from ``recommendations`` get status ``excluded`` and no order.
    Pairs with neither sales nor stock are ``no_data``. ``progress(percent, message)`` hears
    of each step (job and command progress bars).
    """
    report = progress or (lambda percent, message: None)
    started = time.perf_counter()
    report(5, "Loading inputs")
    settings = inventory_settings_get()
    as_of = as_of or timezone.localdate()
    inputs = refresh_inputs_load(settings=settings, as_of=as_of, reclassify=reclassify)

    report(40, "Computing the policy")
    read_done = time.perf_counter()
    rows = refresh_compute(inputs)

    report(70, "Writing metrics")
    compute_done = time.perf_counter()
    computed_at = timezone.now()
    with transaction.atomic():
        refresh_lock()
        urgent_before = _urgent_pairs()
        deleted = write_rows(
            InventoryMetrics, rows.metrics, computed_at, ("product_id", "location_id")
        )
        write_rows(ProductInventorySummary, rows.summary, computed_at, ("product_id",))
        InventorySettings.objects.filter(pk=settings.pk).update(metrics_refreshed_at=computed_at)
        emit_event("inventory.refreshed", {"rows": rows.size, "deleted": deleted, "as_of": as_of})
        _emit_stock_low(urgent_before)
    bump_namespace("inventory")
    report(100, "Done")
    finished = time.perf_counter()
    names, counts = np.unique(rows.status.astype(str), return_counts=True)
    return RefreshResult(
        rows=rows.size,
        deleted=deleted,
        by_status={str(n): int(c) for n, c in zip(names, counts, strict=True)},
        seconds=finished - started,
        steps={
            "sales": inputs.sales_seconds,
            "other_reads": read_done - started - inputs.sales_seconds,
            "compute": compute_done - read_done,
            "write": finished - compute_done,
        },
        forecast_pairs=rows.forecast_pairs,
    )


def inventory_metrics_list(*, user: User) -> QuerySet[InventoryMetrics]:
    """Metrics rows with their product and location (one query for any page size)."""
    return InventoryMetrics.objects.select_related("product", "location").order_by(
        "product__sku", "location__code"
    )
