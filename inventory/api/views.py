from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, ModelViewSet, ReadOnlyModelViewSet

from accounts.permissions import IsTenantMember
from inventory import selectors, services
from inventory.api.serializers import (
    CategorySerializer,
    DemandHistorySerializer,
    LocationSerializer,
    ProductSerializer,
    ReassignSerializer,
    StockLevelSerializer,
    StockMovementInputSerializer,
    StockMovementSerializer,
    StockTransferInputSerializer,
)
from inventory.filters import (
    DemandHistoryFilter,
    NullsLastOrderingFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
)
from inventory.services import StockChange


class CategoryViewSet(ModelViewSet):
    serializer_class = CategorySerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("parent",)
    ordering_fields = ("name",)

    def get_queryset(self):
        return selectors.category_list(user=self.request.user)


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
class ProductViewSet(ModelViewSet):
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
        return selectors.product_list(user=self.request.user)

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


class LocationViewSet(ModelViewSet):
    """Locations. Deleting one that still has stock, movements or sales history answers 409
    with their counts; ``POST …/reassign/`` moves them to another location first."""

    serializer_class = LocationSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("kind", "is_active")
    ordering_fields = ("code", "name")

    def get_queryset(self):
        return selectors.location_list(user=self.request.user)

    def get_object(self):
        return selectors.access_location(user=self.request.user, location_id=self.kwargs["pk"])

    def perform_destroy(self, instance):
        services.location_delete(location=instance)

    @extend_schema(request=ReassignSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.location_reassign(
            source=self.get_object(), target=data.validated_data["target"]
        )
        return Response({"moved": moved})


class StockLevelViewSet(ReadOnlyModelViewSet):
    serializer_class = StockLevelSerializer
    permission_classes = [IsTenantMember]
    filterset_class = StockLevelFilter
    ordering_fields = ("on_hand", "updated_at")

    def get_queryset(self):
        return selectors.stock_level_list(user=self.request.user)


class StockMovementViewSet(mixins.ListModelMixin, GenericViewSet):
    """The stock ledger. ``POST`` records a receipt, sale or adjustment; ``POST transfer/``
    moves stock between locations. Quantities are signed: + adds stock, − removes it."""

    serializer_class = StockMovementSerializer
    permission_classes = [IsTenantMember]
    filterset_class = StockMovementFilter
    ordering_fields = ("occurred_at",)

    def get_queryset(self):
        return selectors.stock_movement_list(user=self.request.user)

    @extend_schema(request=StockMovementInputSerializer, responses={201: StockMovementSerializer})
    def create(self, request):
        data = StockMovementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        [movement] = services.stock_change(
            changes=[
                StockChange(
                    values["product"].pk,
                    values["location"].pk,
                    values["quantity"],
                    values["kind"],
                    values["reference"],
                )
            ],
            actor=request.user,
        )
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StockTransferInputSerializer, responses={201: StockMovementSerializer(many=True)}
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request):
        data = StockTransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        movements = services.stock_transfer(
            product_id=values["product"].pk,
            from_location_id=values["from_location"].pk,
            to_location_id=values["to_location"].pk,
            quantity=values["quantity"],
            reference=values["reference"],
            actor=request.user,
        )
        return Response(
            StockMovementSerializer(movements, many=True).data, status=status.HTTP_201_CREATED
        )


class DemandHistoryViewSet(ReadOnlyModelViewSet):
    serializer_class = DemandHistorySerializer
    permission_classes = [IsTenantMember]
    filterset_class = DemandHistoryFilter
    ordering_fields = ("date", "quantity")

    def get_queryset(self):
        return selectors.demand_history_list(user=self.request.user)
