"""Simulation (replay) API: start a run (202 + job), list and read runs, per-item results,
and the per-item table as CSV."""

from __future__ import annotations

from django.db import connection
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from core.api.views import accepted_body
from core.exceptions import ValidationFailed
from core.exports import csv_stream
from core.permissions import Area, IsTenantMember
from core.selectors import active_run
from core.throttling import HEAVY_THROTTLES
from inventory import simulation_service as service
from inventory.api.simulation_serializers import (
    SimulationInputSerializer,
    SimulationItemSerializer,
    SimulationRunSerializer,
    SimulationStartSerializer,
)
from inventory.models import SimulationRun

CLASS_PARAMETER = OpenApiParameter(
    "abc_class", str, enum=["A", "B", "C"], description="Only items of this ABC class."
)


class SimulationRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Replays of the last months. ``POST`` answers 202 with the job; poll it, then read the
    run's ``summary`` here and its per-item rows under ``results/``."""

    api_area = Area.INVENTORY
    heavy_work = "simulation"
    throttle_classes = HEAVY_THROTTLES
    serializer_class = SimulationRunSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("status",)
    ordering_fields = ("created_at",)

    def get_queryset(self):
        return service.simulation_run_list(user=self.request.user)

    def get_object(self):
        return service.access_simulation_run(user=self.request.user, run_id=self.kwargs["pk"])

    @extend_schema(request=SimulationInputSerializer, responses={202: SimulationStartSerializer})
    def create(self, request):
        data = SimulationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["service_levels"] = dict(values.get("service_levels") or {})
        # At most one active simulation per tenant (ARCHITECTURE §11): a second request gets
        # the one already queued or running, so one tenant cannot fill the shared workers.
        # Only a run with a job counts: a command's run has no job to poll (ADR 43).
        active = active_run(SimulationRun.objects.select_related("job").filter(job__isnull=False))
        run = active or service.simulation_run_start(user=request.user, **values)
        return accepted_body(SimulationStartSerializer(run.job, context={"run": run}).data)

    @extend_schema(
        parameters=[CLASS_PARAMETER], responses={200: SimulationItemSerializer(many=True)}
    )
    @action(detail=True, methods=["get"], serializer_class=SimulationItemSerializer)
    def results(self, request, pk=None):
        rows = service.simulation_item_list(
            user=request.user, run=self.get_object(), abc_class=_abc_class(request)
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SimulationItemSerializer(page, many=True).data)


class SimulationExportView(APIView):
    """``GET /api/v1/inventory/simulations/{id}/export.csv`` — the per-item table as CSV
    (text cells a spreadsheet would run as a formula are escaped)."""

    api_area = Area.INVENTORY
    permission_classes = [IsTenantMember]

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="CSV, header row first"
            )
        }
    )
    def get(self, request, pk: int):
        run = service.access_simulation_run(user=request.user, run_id=pk)
        header = [name for name, _ in service.EXPORT_COLUMNS]
        rows = service.simulation_export_rows(user=request.user, run=run)
        response = StreamingHttpResponse(
            csv_stream(header, rows), content_type="text/csv; charset=utf-8"
        )
        name = f"simulation-{connection.schema_name}-{run.pk}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _abc_class(request) -> str | None:
    value = request.query_params.get("abc_class")
    if value in (None, ""):
        return None
    if value not in ("A", "B", "C"):
        raise ValidationFailed(
            "abc_class must be A, B or C.", details={"abc_class": ["Must be A, B or C."]}
        )
    return value
