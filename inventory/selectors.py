from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from catalog.models import (
    Location,
    Product,
    ProductExclusion,
)
from catalog.selectors import product_list
from core.exceptions import ValidationFailed

if TYPE_CHECKING:
    from accounts.models import User

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


# The products list's queryset without a location, built once per process and cloned per
# request (issue 17, ADR 37): its ten annotations and the exclusion subquery cost ~1 ms of a
# request's CPU to resolve, the same every time. Only clones are evaluated (as DRF does with a
# view's class-level ``queryset``); the schema comes from the connection's search path when a
# clone runs, so one template serves every tenant. ``product_list`` does not depend on the
# user; a test holds the template to a fresh build for two users.
# A list page's ``values`` template is kept too (``.values()`` of twenty columns cost as much
# again to resolve).
_SUMMARY_TEMPLATES: dict[tuple[bool, tuple[str, ...] | None], QuerySet[Product]] = {}


def product_inventory_list(
    *,
    user: User,
    location_code: str | None = None,
    with_metrics_only: bool = False,
    values: tuple[str, ...] | None = None,
) -> QuerySet[Product]:
    """Products with their inventory metrics as annotations (``PRODUCT_INVENTORY_FIELDS`` plus
    ``excluded``), one query for any page size.

    Without a location the values are the product's summary over all its locations
    (``ProductInventorySummary``); with ``location_code`` they are the metrics row at that
    location (NULL where the product has none there). Both tables are indexed on every filter
    column. ``with_metrics_only`` keeps only products that have such a row (an inner join, so
    an order by an inventory column walks the index instead of sorting every product). An
    unknown location code is a validation error. ``values`` names columns to read the rows
    as (``.values(*values)``: a list page)."""
    if not location_code:
        key = (with_metrics_only, values)
        template = _SUMMARY_TEMPLATES.get(key)
        if template is None:
            template = _with_inventory(
                product_list(user=user), "inventory_summary__", with_metrics_only
            )
            if values is not None:
                template = template.values(*values)
            _SUMMARY_TEMPLATES[key] = template
        return template.all()
    location_id = Location.objects.filter(code=location_code).values_list("id", flat=True).first()
    if location_id is None:
        raise ValidationFailed(
            "No such location.", details={"location": [f"Unknown code {location_code!r}."]}
        )
    queryset = product_list(user=user).annotate(
        at_location=FilteredRelation("metrics", condition=Q(metrics__location_id=location_id))
    )
    at_location = _with_inventory(queryset, "at_location__", with_metrics_only)
    return at_location if values is None else at_location.values(*values)


def _with_inventory(
    queryset: QuerySet[Product], prefix: str, with_metrics_only: bool
) -> QuerySet[Product]:
    annotations = {name: F(prefix + name) for name in PRODUCT_INVENTORY_FIELDS}
    if with_metrics_only:
        queryset = queryset.filter(**{f"{prefix}computed_at__isnull": False})
    return queryset.annotate(
        **annotations,
        excluded=Exists(ProductExclusion.objects.filter(product_id=OuterRef("pk"))),
    )
