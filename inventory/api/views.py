from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.viewsets import ModelViewSet

from catalog import selectors as catalog_selectors
from catalog.filters import (
    NullsLastOrderingFilter,
)
from core.filters import DjangoFilterBackend
from core.lists import ValuesListMixin
from core.permissions import Area, IsTenantMember
from inventory import selectors
from inventory.api.serializers import ProductSerializer
from inventory.filters import ProductFilter


@extend_schema_view(
    list=extend_schema(
        description=(
            "Products with their inventory metrics, filtered and ordered server-side on the "
            "indexed metrics tables (fixed query count). `location=CODE` gives the metrics at "
            "that location; without it each product's values are summed over its locations "
            "(on hand, demand, value, recommended order), or the worst (status, stockout risk, "
            "XYZ) or best (ABC) of them; days of cover = summed position / summed demand. "
            "Inventory filters, and ordering by an inventory column, list only products with "
            "metrics (at the location; every product once a refresh has run). `ordering=` "
            "accepts stockout_risk, days_of_cover, on_hand, sku, name, … with `-` for "
            "descending; NULLs sort last."
        )
    )
)
class ProductViewSet(ValuesListMixin, ModelViewSet):
    api_area = Area.CATALOG
    serializer_class = ProductSerializer
    permission_classes = [IsTenantMember]
    filterset_class = ProductFilter
    filter_backends = [DjangoFilterBackend, NullsLastOrderingFilter]
    ordering_fields = (
        "sku",
        "name",
        "unit_cost",
        "unit_price",
        "created_at",
        "stockout_risk",
        "days_of_cover",
        "on_hand",
        "inventory_value",
        "recommended_order_qty",
    )

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            params = self.request.query_params
            return selectors.product_inventory_list(
                user=self.request.user,
                location_code=params.get("location"),
                with_metrics_only=self.action == "list" and _orders_by_inventory(params),
            )
        return catalog_selectors.product_list(user=self.request.user)

    def get_values_queryset(self, columns):
        params = self.request.query_params
        return selectors.product_inventory_list(
            user=self.request.user,
            location_code=params.get("location"),
            with_metrics_only=_orders_by_inventory(params),
            values=columns,
        )

    def filter_queryset(self, queryset):
        # Inventory filters and ordering apply to reads; a write to one product ignores them
        # (the plain queryset has no inventory columns to filter on).
        if self.action in ("list", "retrieve"):
            return super().filter_queryset(queryset)
        return queryset


def _orders_by_inventory(params) -> bool:
    """``ordering=`` names an inventory column (NULLs would sort last anyway)."""
    names = {name.strip().lstrip("-") for name in params.get("ordering", "").split(",")}
    return bool(names & set(selectors.PRODUCT_INVENTORY_FIELDS))
