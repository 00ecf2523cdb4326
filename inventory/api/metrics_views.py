"""Inventory policy API: settings, the metrics list and the refresh job."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from core import services as core_services
from core.api.serializers import JobStartSerializer
from core.api.views import accepted
from core.lists import ValuesListMixin
from core.models import Job
from core.permissions import Area, IsTenantAdmin, IsTenantMember
from core.selectors import active_run
from core.throttling import HEAVY_THROTTLES
from inventory import dashboard, metrics
from inventory.api.metrics_serializers import (
    DASHBOARD_PERIODS,
    DashboardQuerySerializer,
    DashboardSerializer,
    InventoryMetricsSerializer,
    InventorySettingsSerializer,
)
from inventory.filters import InventoryMetricsFilter


class InventorySettingsView(APIView):
    """The tenant's inventory-policy settings: members read, administrators write."""

    api_area = Area.SETTINGS

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantMember()]
        return [IsTenantAdmin()]

    @extend_schema(responses={200: InventorySettingsSerializer})
    def get(self, request):
        return Response(InventorySettingsSerializer(metrics.inventory_settings_get()).data)

    @extend_schema(
        request=InventorySettingsSerializer, responses={200: InventorySettingsSerializer}
    )
    def put(self, request):
        data = InventorySettingsSerializer(
            metrics.inventory_settings_get(), data=request.data, partial=True
        )
        data.is_valid(raise_exception=True)
        updated = metrics.inventory_settings_update(**data.validated_data)
        return Response(InventorySettingsSerializer(updated).data)


class InventoryCalculateView(APIView):
    """Start a refresh of every inventory metric of the tenant (202 + job)."""

    api_area = Area.INVENTORY
    heavy_work = "inventory_refresh"
    heavy_actions = ("post",)
    throttle_classes = HEAVY_THROTTLES
    permission_classes = [IsTenantMember]

    @extend_schema(request=None, responses={202: JobStartSerializer})
    def post(self, request):
        # At most one active refresh per tenant (ADR 31): a second request gets the running job.
        job = active_run(Job.objects.filter(kind="inventory_refresh")) or core_services.job_create(
            kind="inventory_refresh", user=request.user
        )
        return accepted(job)


class InventoryMetricsViewSet(ValuesListMixin, ReadOnlyModelViewSet):
    """Policy metrics per product × location, filtered server-side on the indexed table."""

    api_area = Area.INVENTORY
    serializer_class = InventoryMetricsSerializer
    permission_classes = [IsTenantMember]
    filterset_class = InventoryMetricsFilter
    ordering_fields = (
        "stockout_risk",
        "days_of_cover",
        "recommended_order_qty",
        "latest_order_date",
        "computed_at",
    )

    values_template = True  # get_queryset() reads neither the user nor the request

    def get_queryset(self):
        return metrics.inventory_metrics_list(user=self.request.user)


class InventoryDashboardView(APIView):
    """Inventory value, status and stockout-risk counts, estimated and realised service level,
    and stock-value and sales trends (daily: 30 days, weekly: 26 weeks, monthly: 12 months).
    Cached 5 minutes per tenant; every metrics refresh invalidates it."""

    api_area = Area.INVENTORY
    permission_classes = [IsTenantMember]

    @extend_schema(parameters=[DashboardQuerySerializer], responses={200: DashboardSerializer})
    def get(self, request):
        # The serializer reads ``period`` as ``QueryDict.get`` does; a valid value or none
        # skips building it (a cached read is ~1.5 ms, the serializer 40 µs of it).
        period = request.query_params.get("period", "weekly")
        if period not in DASHBOARD_PERIODS:
            query = DashboardQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            period = query.validated_data["period"]
        return Response(dashboard.inventory_dashboard(period=period))
