"""The model registry and planners' method pins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet

from core.selectors import get_or_not_found
from forecasting.models import (
    MethodOverride,
    ModelRegistryEntry,
)

if TYPE_CHECKING:
    from accounts.models import User


def model_registry_list(*, user: User | None = None) -> QuerySet[ModelRegistryEntry]:
    return ModelRegistryEntry.objects.select_related("product", "location")


def method_override_list(*, user: User | None = None) -> QuerySet[MethodOverride]:
    return MethodOverride.objects.select_related("product", "location", "created_by")


def access_method_override(*, user: User, override_id: Any) -> MethodOverride:
    return cast(
        "MethodOverride",
        get_or_not_found(
            method_override_list(user=user), "No such method override.", pk=override_id
        ),
    )
