"""Reads of the catalogue, the stock ledger, sales history and exclusions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet

from catalog.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    StockLevel,
    StockMovement,
)
from core.selectors import get_or_not_found

if TYPE_CHECKING:
    from accounts.models import User


def product_list(*, user: User) -> QuerySet[Product]:
    return Product.objects.select_related("category")


def access_product(*, user: User, product_id: Any) -> Product:
    return cast(
        "Product", get_or_not_found(product_list(user=user), "No such product.", pk=product_id)
    )


def category_list(*, user: User) -> QuerySet[Category]:
    return Category.objects.select_related("parent")


def location_list(*, user: User) -> QuerySet[Location]:
    return Location.objects.select_related("replenished_from")


def access_location(*, user: User, location_id: Any) -> Location:
    return cast(
        "Location", get_or_not_found(location_list(user=user), "No such location.", pk=location_id)
    )


def stock_level_list(*, user: User) -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "location")


def stock_movement_list(*, user: User) -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related("product", "location", "actor")


def demand_history_list(*, user: User) -> QuerySet[DemandHistory]:
    return DemandHistory.objects.select_related("product", "location")


def excluded_product_ids(*, scope: str) -> set[int]:
    """Ids of the products excluded from ``scope`` (a ``ProductExclusion.Scope`` value: "abc",
    "forecast", "etl" or "recommendations"), in one query. Every feature that honours
    exclusions asks this once per run, then masks its arrays with it."""
    if scope not in ProductExclusion.Scope.values:
        raise ValueError(f"unknown exclusion scope {scope!r}")
    return set(
        ProductExclusion.objects.filter(scopes__contains=[scope])
        .order_by()
        .values_list("product_id", flat=True)
    )


def product_exclusion_list(*, user: User) -> QuerySet[ProductExclusion]:
    return ProductExclusion.objects.select_related("product", "created_by")


def access_product_exclusion(*, user: User, exclusion_id: Any) -> ProductExclusion:
    return cast(
        "ProductExclusion",
        get_or_not_found(product_exclusion_list(user=user), "No such exclusion.", pk=exclusion_id),
    )
