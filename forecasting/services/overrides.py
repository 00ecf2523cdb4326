"""Planner overrides: pin a method for a SKU (at one location or all)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from core.cache import bump_namespace
from forecasting.engine.methods import METHODS
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    MethodOverride,
)

if TYPE_CHECKING:
    from accounts.models import User


def method_override_save(
    *,
    product: Any,
    location: Any = None,
    method: str,
    note: str = "",
    user: User | None = None,
    override: MethodOverride | None = None,
) -> MethodOverride:
    """Pin ``method`` for a SKU (at one location, or every location); the next run uses it."""
    if method not in METHODS:
        raise ForecastInputError(
            f"Unknown forecasting method {method!r}.",
            details={"method": [f"choose from {sorted(METHODS)}"]},
        )
    clash = MethodOverride.objects.filter(product=product, location=location)
    if override is not None:
        clash = clash.exclude(pk=override.pk)
    if clash.exists():
        raise ForecastInputError(
            "This SKU and location already have a pinned method.",
            details={"product": ["Already pinned here; change that pin instead."]},
        )
    try:
        with transaction.atomic():
            override = override or MethodOverride(
                created_by=user if getattr(user, "pk", None) else None
            )
            override.product, override.location = product, location
            override.method, override.note = method, note
            override.save()
    except IntegrityError:  # a concurrent pin of the same SKU and location won the race
        raise ForecastInputError(
            "This SKU and location already have a pinned method.",
            details={"product": ["Already pinned here; change that pin instead."]},
        ) from None
    bump_namespace("forecasts")
    return override


def method_override_delete(*, override: MethodOverride) -> None:
    override.delete()
    bump_namespace("forecasts")
