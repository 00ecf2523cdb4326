from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from core.exceptions import ValidationFailed
from core.selectors import get_or_not_found
from inventory.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    StockLevel,
    StockMovement,
)


def product_list(*, user: Any) -> QuerySet[Product]:
    return Product.objects.select_related("category")


# Inventory columns the products list annotates, filters and orders on (API names).
PRODUCT_INVENTORY_FIELDS = (
    "status",
    "stockout_risk",
    "on_hand",
    "days_of_cover",
    "abc_class",
    "xyz_class",
    "recommended_order_qty",
    "inventory_value",
    "mean_daily_demand",
    "computed_at",
)


def product_inventory_list(
    *, user: Any, location_code: str | None = None, with_metrics_only: bool = False
) -> QuerySet[Product]:
    """Products with their inventory metrics as annotations (``PRODUCT_INVENTORY_FIELDS`` plus
    ``excluded``), one query for any page size.

    Without a location the values are the product's summary over all its locations
    (``ProductInventorySummary``); with ``location_code`` they are the metrics row at that
    location (NULL where the product has none there). Both tables are indexed on every filter
    column. ``with_metrics_only`` keeps only products that have such a row (an inner join, so
    an order by an inventory column walks the index instead of sorting every product). An
    unknown location code is a validation error."""
    queryset = product_list(user=user)
    if location_code:
        location_id = (
            Location.objects.filter(code=location_code).values_list("id", flat=True).first()
        )
        if location_id is None:
            raise ValidationFailed(
                "No such location.", details={"location": [f"Unknown code {location_code!r}."]}
            )
        queryset = queryset.annotate(
            at_location=FilteredRelation("metrics", condition=Q(metrics__location_id=location_id))
        )
        prefix = "at_location__"
    else:
        prefix = "inventory_summary__"
    annotations = {name: F(prefix + name) for name in PRODUCT_INVENTORY_FIELDS}
    if with_metrics_only:
        queryset = queryset.filter(**{f"{prefix}computed_at__isnull": False})
    return queryset.annotate(
        **annotations,
        excluded=Exists(ProductExclusion.objects.filter(product_id=OuterRef("pk"))),
    )


def access_product(*, user: Any, product_id: Any) -> Product:
    return get_or_not_found(product_list(user=user), "No such product.", pk=product_id)


def category_list(*, user: Any) -> QuerySet[Category]:
    return Category.objects.select_related("parent")


def location_list(*, user: Any) -> QuerySet[Location]:
    return Location.objects.select_related("replenished_from")


def access_location(*, user: Any, location_id: Any) -> Location:
    return get_or_not_found(location_list(user=user), "No such location.", pk=location_id)


def stock_level_list(*, user: Any) -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "location")


def stock_movement_list(*, user: Any) -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related("product", "location", "actor")


def demand_history_list(*, user: Any) -> QuerySet[DemandHistory]:
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


def product_exclusion_list(*, user: Any) -> QuerySet[ProductExclusion]:
    return ProductExclusion.objects.select_related("product", "created_by")


def access_product_exclusion(*, user: Any, exclusion_id: Any) -> ProductExclusion:
    return get_or_not_found(
        product_exclusion_list(user=user), "No such exclusion.", pk=exclusion_id
    )
