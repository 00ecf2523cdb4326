"""Manufacturing API: BOMs, work centres, working orders and their workflow, MRP runs with
planned orders, exceptions and pegging, and the work-centre load. Viewers read; planners and
admins write (``IsTenantMember``)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ModelViewSet

from accounts.permissions import IsTenantMember
from core import selectors as core_selectors
from core import services as core_services
from core.api.serializers import JobStartSerializer
from core.api.views import accepted
from core.exceptions import ValidationFailed
from core.lists import values_list_response
from core.permissions import Area
from core.selectors import active_run
from core.throttling import HEAVY_THROTTLES
from manufacturing import planning, selectors, services
from manufacturing.api.serializers import (
    BomSerializer,
    CompleteSerializer,
    MrpExceptionSerializer,
    MrpRunCreateSerializer,
    MrpRunSerializer,
    PlannedOrderSerializer,
    ReleaseSerializer,
    WorkCentreSerializer,
    WorkingOrderCreateSerializer,
    WorkingOrderSerializer,
)
from manufacturing.models import MrpRun
from manufacturing.services import BomLineInput, OperationInput


class BomViewSet(ModelViewSet):
    """Bills of materials with nested lines and operations and the per-unit cost roll-up.
    A save that would make a cycle is 400 ``bom_cycle`` naming it (``A → B → C → A``)."""

    api_area = Area.MANUFACTURING
    serializer_class = BomSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("product", "is_active")
    ordering_fields = ("product", "version")

    def get_queryset(self):
        return selectors.bom_list(user=self.request.user).order_by("product_id", "-version")

    def get_object(self):
        return selectors.access_bom(user=self.request.user, bom_id=self.kwargs["pk"])

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["active_boms"] = selectors.active_boms()
        return context

    def _save(self, serializer, instance=None):
        values = serializer.validated_data
        operations = values.get("operations")
        bom = services.bom_save(
            product=values.get("product") or instance.product,
            version=values.get("version", instance.version if instance else 1),
            is_active=values.get("is_active", instance.is_active if instance else True),
            valid_from=values.get("valid_from", instance.valid_from if instance else None),
            valid_to=values.get("valid_to", instance.valid_to if instance else None),
            lines=[
                BomLineInput(line["component"].pk, line["quantity"], line["scrap_pct"], line["uom"])
                for line in values["lines"]
            ]
            if "lines" in values or instance is None
            else [  # a PATCH without lines keeps them
                BomLineInput(line.component_id, line.quantity, line.scrap_pct, line.uom)
                for line in instance.lines.all()
            ],
            operations=None
            if operations is None
            else [
                OperationInput(
                    op["sequence"],
                    op["work_centre"].pk,
                    op.get("run_minutes", 0),
                    op.get("setup_minutes", 0),
                )
                for op in operations
            ],
        )
        serializer.instance = selectors.access_bom(user=self.request.user, bom_id=bom.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.bom_delete(bom=instance)


class WorkCentreViewSet(ModelViewSet):
    api_area = Area.MANUFACTURING
    serializer_class = WorkCentreSerializer
    permission_classes = [IsTenantMember]
    ordering_fields = ("code",)

    def get_queryset(self):
        return selectors.work_centre_list(user=self.request.user)


class WorkingOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet
):
    """Working orders: ``planned → released → in_progress → done``, or ``cancelled``.
    ``POST …/{id}/release|start|complete|cancel/``; an illegal move is 409 with the allowed
    ones. Release reserves the components (409 when short, unless ``{"override": true}``);
    complete consumes them and produces the output in one transaction."""

    api_area = Area.MANUFACTURING
    serializer_class = WorkingOrderSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("status", "product", "location", "mrp_run")
    ordering_fields = ("due_date", "created_at")

    def get_queryset(self):
        return selectors.working_order_list(user=self.request.user)

    def get_object(self):
        return selectors.access_working_order(user=self.request.user, order_id=self.kwargs["pk"])

    def _render(self, order_id: int) -> Response:
        order = selectors.access_working_order(user=self.request.user, order_id=order_id)
        return Response(WorkingOrderSerializer(order).data)

    @extend_schema(request=WorkingOrderCreateSerializer, responses={201: WorkingOrderSerializer})
    def create(self, request):
        data = WorkingOrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = services.working_order_create(
            product=values["product"],
            location_id=values["location"].pk,
            quantity=values["quantity"],
            due_date=values["due_date"],
            start_date=values.get("start_date"),
            reference=values.get("reference"),
            subcontract_supplier_code=values.get("subcontract_supplier_code", ""),
        )
        response = self._render(order.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=ReleaseSerializer, responses={200: WorkingOrderSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        data = ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = self.get_object()
        services.working_order_release(order_id=order.pk, override=data.validated_data["override"])
        return self._render(order.pk)

    @extend_schema(request=None, responses={200: WorkingOrderSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        order = self.get_object()
        services.working_order_start(order_id=order.pk)
        return self._render(order.pk)

    @extend_schema(request=CompleteSerializer, responses={200: WorkingOrderSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = self.get_object()
        try:
            consumed = {int(k): v for k, v in values.get("consumed", {}).items()}
        except ValueError:
            raise ValidationFailed("consumed is keyed by component product id.") from None
        services.working_order_complete(
            order_id=order.pk,
            actual_quantity=values.get("actual_quantity"),
            scrap_quantity=values.get("scrap_quantity"),
            consumed=consumed,
            actor=request.user,
        )
        return self._render(order.pk)

    @extend_schema(request=None, responses={200: WorkingOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        services.working_order_cancel(order_id=order.pk)
        return self._render(order.pk)


class MrpRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """MRP runs. ``POST`` starts one (202 + job); ``…/planned-orders/`` and ``…/exceptions/``
    list a run's results (paginated); ``…/planned-orders/{po}/pegging/`` answers "why is this
    order here?"; ``…/planned-orders/{po}/firm/`` firms a planned order."""

    api_area = Area.MANUFACTURING
    heavy_work = "mrp_run"
    throttle_classes = HEAVY_THROTTLES
    serializer_class = MrpRunSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("status", "source")
    ordering_fields = ("created_at",)

    def get_queryset(self):
        return selectors.mrp_run_list(user=self.request.user)

    def get_object(self):
        return selectors.access_mrp_run(user=self.request.user, run_id=self.kwargs["pk"])

    @extend_schema(request=MrpRunCreateSerializer, responses={202: JobStartSerializer})
    def create(self, request):
        data = MrpRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # At most one active MRP run per tenant (ADR 31): a second request gets the running job.
        active = active_run(MrpRun.objects.exclude(job_id=""))
        if active is not None:
            return accepted(core_selectors.access_job(user=request.user, job_id=active.job_id))
        run = planning.mrp_run_create(
            source=data.validated_data["source"],
            horizon_days=data.validated_data["horizon"],
            user=request.user,
        )
        job = core_services.job_create(
            kind="mrp_run", params={"mrp_run_id": run.pk}, user=request.user
        )
        MrpRun.objects.filter(pk=run.pk).update(job_id=str(job.pk))
        return accepted(job)

    @extend_schema(responses={200: PlannedOrderSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="planned-orders")
    def planned_orders(self, request, pk=None):
        run = self.get_object()
        queryset = selectors.planned_order_list(run=run)
        for name in ("kind",):
            value = request.query_params.get(name)
            if value:
                queryset = queryset.filter(kind=1 if value == "make" else 0)
        sku = request.query_params.get("sku")
        if sku:
            queryset = queryset.filter(product__sku=sku)
        queryset = queryset.order_by("low_level_code", "product_id", "due_date", "id")
        fast = values_list_response(self, request, queryset, PlannedOrderSerializer)
        if fast is not None:
            return fast
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(PlannedOrderSerializer(page, many=True).data)

    @extend_schema(responses={200: MrpExceptionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def exceptions(self, request, pk=None):
        run = self.get_object()
        queryset = selectors.mrp_exception_list(run=run)
        kind = request.query_params.get("kind")
        if kind:
            queryset = queryset.filter(kind=kind)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MrpExceptionSerializer(page, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"], url_path=r"planned-orders/(?P<po>[0-9]+)/pegging")
    def pegging(self, request, pk=None, po=None):
        run = self.get_object()
        order = selectors.access_planned_order(run=run, order_id=po)
        return Response(selectors.pegging_chain(order=order))

    @extend_schema(request=None, responses={200: PlannedOrderSerializer})
    @action(detail=True, methods=["post"], url_path=r"planned-orders/(?P<po>[0-9]+)/firm")
    def firm(self, request, pk=None, po=None):
        run = self.get_object()
        order = selectors.access_planned_order(run=run, order_id=po)
        services.planned_order_firm(order_id=order.pk, user=request.user)
        return Response(
            PlannedOrderSerializer(selectors.access_planned_order(run=run, order_id=po)).data
        )


class CapacityView(APIView):
    """Hours required per work centre per day (planned and released working orders) against
    capacity, ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (default: today and 27 days on)."""

    api_area = Area.MANUFACTURING
    permission_classes = [IsTenantMember]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="first day (ISO date)"),
            OpenApiParameter("to", str, description="last day (ISO date), at most 366 days on"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        try:
            first = (
                date.fromisoformat(request.query_params.get("from") or "")
                if request.query_params.get("from")
                else timezone.localdate()
            )
            last = (
                date.fromisoformat(request.query_params["to"])
                if request.query_params.get("to")
                else first + timedelta(days=27)
            )
        except ValueError:
            raise ValidationFailed("from and to are ISO dates (YYYY-MM-DD).") from None
        if last < first or (last - first).days > 366:
            raise ValidationFailed("to must be on or after from, at most 366 days later.")
        return Response(
            {
                "from": first,
                "to": last,
                "work_centres": selectors.capacity_load(date_from=first, date_to=last),
            }
        )
