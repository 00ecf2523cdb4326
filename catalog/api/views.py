from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, ModelViewSet, ReadOnlyModelViewSet

from catalog import selectors, services
from catalog.api.serializers import (
    CategorySerializer,
    DemandHistorySerializer,
    LocationSerializer,
    ProductExclusionSerializer,
    ReassignSerializer,
    StockLevelSerializer,
    StockMovementInputSerializer,
    StockMovementSerializer,
    StockTransferInputSerializer,
)
from catalog.filters import DemandHistoryFilter, StockLevelFilter, StockMovementFilter
from catalog.models import DemandHistory
from catalog.services import StockChange
from core.lists import ValuesListMixin
from core.pagination import PageOrCursorPagination
from core.permissions import Area, IsTenantMember


class CategoryViewSet(ModelViewSet):
    api_area = Area.CATALOG
    serializer_class = CategorySerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("parent",)
    ordering_fields = ("name",)

    def get_queryset(self):
        return selectors.category_list(user=self.request.user)


class LocationViewSet(ModelViewSet):
    """Locations. Deleting one that still has stock, movements or sales history answers 409
    with their counts; ``POST …/reassign/`` moves them to another location first."""

    api_area = Area.CATALOG
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


class StockLevelViewSet(ValuesListMixin, ReadOnlyModelViewSet):
    api_area = Area.CATALOG
    serializer_class = StockLevelSerializer
    permission_classes = [IsTenantMember]
    filterset_class = StockLevelFilter
    ordering_fields = ("on_hand", "updated_at")

    values_template = True  # get_queryset() reads neither the user nor the request

    def get_queryset(self):
        return selectors.stock_level_list(user=self.request.user)


class StockMovementViewSet(mixins.ListModelMixin, GenericViewSet):
    """The stock ledger. ``POST`` records a receipt, sale or adjustment; ``POST transfer/``
    moves stock between locations. Quantities are signed: + adds stock, − removes it."""

    api_area = Area.CATALOG
    serializer_class = StockMovementSerializer
    permission_classes = [IsTenantMember]
    filterset_class = StockMovementFilter
    ordering_fields = ("occurred_at",)
    pagination_class = PageOrCursorPagination
    cursor_ordering = ("-occurred_at", "-id")

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


class DemandHistoryViewSet(ValuesListMixin, ReadOnlyModelViewSet):
    api_area = Area.CATALOG
    serializer_class = DemandHistorySerializer
    permission_classes = [IsTenantMember]
    filterset_class = DemandHistoryFilter
    ordering_fields = ("date", "quantity")
    # ``?cursor=``: keyset pages on the unique key, no COUNT(*) of a table that grows (ADR 37).
    pagination_class = PageOrCursorPagination
    cursor_ordering = ("product_id", "location_id", "date")
    # Rows read with .values() (core.lists), numbered pages keep their COUNT(*): a window
    # over every row of a table this size costs more than the count.
    values_total_with_page = False
    # ... and that count is cached until the sales history changes (core.counts, ADR 50).
    count_versioned_by = DemandHistory._meta.db_table

    def get_queryset(self):
        return selectors.demand_history_list(user=self.request.user)


class ProductExclusionViewSet(ModelViewSet):
    """Products left out of features (scopes ``abc``, ``forecast``, ``etl``,
    ``recommendations``): viewers read, planners and admins write. One exclusion per product;
    a second one for the same product is 409."""

    api_area = Area.CATALOG
    serializer_class = ProductExclusionSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("product",)
    ordering_fields = ("created_at", "product")

    def get_queryset(self):
        return selectors.product_exclusion_list(user=self.request.user)

    def get_object(self):
        return selectors.access_product_exclusion(
            user=self.request.user, exclusion_id=self.kwargs["pk"]
        )

    def perform_create(self, serializer):
        values = serializer.validated_data
        serializer.instance = services.product_exclusion_create(
            product=values["product"],
            reason=values["reason"],
            scopes=values["scopes"],
            user=self.request.user,
        )

    def perform_update(self, serializer):
        values = serializer.validated_data
        serializer.instance = services.product_exclusion_update(
            exclusion=serializer.instance,
            reason=values.get("reason"),
            scopes=values.get("scopes"),
        )

    def perform_destroy(self, instance):
        services.product_exclusion_delete(exclusion=instance)
