"""Forecast runs: list, access, the latest successful one. Heavy reads of the package
(series, aggregates, Test Bed views) are cached per tenant for an hour in the ``forecasts``
namespace; a finished run, a changed pin or a new scenario bumps the namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet

from catalog.models import Location, Product
from core.exceptions import NotFound
from core.selectors import get_or_not_found
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    ForecastRun,
)

if TYPE_CHECKING:
    from accounts.models import User

# --- runs ---------------------------------------------------------------------------------


def forecast_run_list(*, user: User | None = None) -> QuerySet[ForecastRun]:
    return ForecastRun.objects.select_related("job__created_by", "created_by")


def access_forecast_run(*, user: User, run_id: Any) -> ForecastRun:
    return cast(
        "ForecastRun",
        get_or_not_found(forecast_run_list(user=user), "No such forecast run.", pk=run_id),
    )


def latest_successful_run() -> ForecastRun | None:
    return (
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def resolve_run(*, user: User, run_id: Any = None) -> ForecastRun:
    """The run asked for (it must have succeeded) or the latest successful one."""
    if run_id in (None, ""):
        run = latest_successful_run()
        if run is None:
            raise NotFound("No successful forecast run yet.")
        return run
    run = access_forecast_run(user=user, run_id=run_id)
    if run.status != ForecastRun.Status.SUCCEEDED:
        raise ForecastInputError(
            f"Forecast run {run.pk} has not succeeded ({run.status}).",
            details={"run": ["Not a successful run."]},
        )
    return run


def _product_by_sku(sku: str) -> Product:
    return cast(
        "Product",
        get_or_not_found(Product.objects.select_related("category"), "No such SKU.", sku=sku),
    )


def _location_by_code(code: str) -> Location:
    return cast(
        "Location", get_or_not_found(Location.objects.all(), "No such location.", code=code)
    )


# --- one series ---------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- hierarchy ----------------------------------------------------------------------------


# --- Test Bed -----------------------------------------------------------------------------


# --- registry, overrides, scenarios -------------------------------------------------------


# --- for inventory policy -----------------------------------------------------------------
