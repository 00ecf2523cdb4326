"""What-if scenarios on a run's forecast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.cache import bump_namespace
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    ForecastRun,
    Scenario,
)

if TYPE_CHECKING:
    from accounts.models import User


def scenario_create(
    *,
    name: str,
    base_run: ForecastRun,
    adjustments: list[dict[str, Any]],
    description: str = "",
    user: User | None = None,
) -> Scenario:
    """A named what-if on a successful run (adjustments checked by the API serializer)."""
    if base_run.status != ForecastRun.Status.SUCCEEDED:
        raise ForecastInputError(
            "A scenario needs a successful base run.", details={"base_run": ["Not succeeded."]}
        )
    scenario = Scenario.objects.create(
        name=name,
        description=description,
        base_run=base_run,
        adjustments=adjustments,
        created_by=user if getattr(user, "pk", None) else None,
    )
    bump_namespace("forecasts")
    return scenario


def scenario_delete(*, scenario: Scenario) -> None:
    scenario.delete()
    bump_namespace("forecasts")
