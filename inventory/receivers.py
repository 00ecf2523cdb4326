"""How inventory hears from forecasting, which sits below it and never imports it (ADR 19): the
planning defaults forecasting reads, and the refresh queued when a forecast run succeeds."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from core.services import job_create
from forecasting.planning import (
    PlanningDefaults,
    forecast_run_succeeded,
    register_planning_defaults,
    register_stock_classes,
)
from inventory.metrics import inventory_settings_get
from inventory.models import InventoryMetrics


def planning_defaults() -> PlanningDefaults:
    settings = inventory_settings_get()
    return PlanningDefaults(
        abc_shares=(
            settings.abc_share_a / 100,
            settings.abc_share_b / 100,
            settings.abc_share_c / 100,
        ),
        service_level=float(settings.service_level_b),
        holding_cost_rate=float(settings.holding_cost_rate),
    )


def stock_classes(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The ABC/XYZ class of each pair from the metrics "what to order" shows (one query)."""
    match = Q()
    for product, location in pairs:
        match |= Q(product_id=product, location_id=location)
    rows = InventoryMetrics.objects.filter(match).values_list(
        "product_id", "location_id", "abc_class", "xyz_class"
    )
    return {(p, loc): f"{abc or '–'}{xyz}" for p, loc, abc, xyz in rows}


def queue_refresh_after_forecast(sender: Any, run_id: int, **kwargs: Any) -> None:
    """A succeeded forecast run changes the policy's demand: refresh the metrics (the job is
    enqueued when the run's transaction commits)."""
    job_create(kind="inventory_refresh", params={"trigger": "forecast"})


def connect() -> None:
    register_planning_defaults(planning_defaults)
    register_stock_classes(stock_classes)
    forecast_run_succeeded.connect(
        queue_refresh_after_forecast, dispatch_uid="inventory.refresh_after_forecast"
    )
