from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Location, Product
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MrpException,
    MrpRun,
    Operation,
    PlannedOrder,
    WorkCentre,
    WorkingOrder,
    WorkingOrderComponent,
)
from manufacturing.selectors import bom_cost_rollup


class BomLineSerializer(serializers.ModelSerializer):
    component = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    component_sku = serializers.CharField(source="component.sku", read_only=True)
    scrap_pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        default=Decimal("0"),
    )
    uom = serializers.CharField(max_length=16, allow_blank=True, default="")

    class Meta:
        model = BomLine
        fields = ("component", "component_sku", "quantity", "scrap_pct", "uom", "factor")
        read_only_fields = ("factor",)


class OperationSerializer(serializers.ModelSerializer):
    work_centre_code = serializers.CharField(source="work_centre.code", read_only=True)

    class Meta:
        model = Operation
        fields = ("sequence", "work_centre", "work_centre_code", "setup_minutes", "run_minutes")


class CostSerializer(serializers.Serializer):
    material = serializers.DecimalField(max_digits=18, decimal_places=4)
    operations = serializers.DecimalField(max_digits=18, decimal_places=4)
    total = serializers.DecimalField(max_digits=18, decimal_places=4)


class BomSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    sku = serializers.CharField(source="product.sku", read_only=True)
    lines = BomLineSerializer(many=True)
    operations = OperationSerializer(many=True, required=False)
    cost = serializers.SerializerMethodField()

    class Meta:
        model = BillOfMaterials
        fields = (
            "id",
            "product",
            "sku",
            "version",
            "is_active",
            "valid_from",
            "valid_to",
            "lines",
            "operations",
            "cost",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")

    @extend_schema_field(CostSerializer)
    def get_cost(self, bom: BillOfMaterials) -> dict:
        rollup = bom_cost_rollup(bom, active=self.context.get("active_boms"))
        return {key: rollup[key] for key in ("material", "operations", "total")}


class WorkCentreSerializer(serializers.ModelSerializer):
    working_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False
    )

    class Meta:
        model = WorkCentre
        fields = ("id", "code", "name", "hours_per_day", "cost_per_hour", "working_days")


class WorkingOrderComponentSerializer(serializers.ModelSerializer):
    component_sku = serializers.CharField(source="component.sku", read_only=True)

    class Meta:
        model = WorkingOrderComponent
        fields = (
            "component",
            "component_sku",
            "required_quantity",
            "reserved_quantity",
            "consumed_quantity",
        )


class WorkingOrderSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    components = WorkingOrderComponentSerializer(many=True, read_only=True)

    class Meta:
        model = WorkingOrder
        fields = (
            "id",
            "reference",
            "product",
            "sku",
            "location",
            "location_code",
            "quantity",
            "status",
            "due_date",
            "start_date",
            "subcontract_supplier_code",
            "actual_quantity",
            "scrap_quantity",
            "mrp_run",
            "firmed",
            "components",
            "created_at",
            "completed_at",
        )
        read_only_fields = fields


class WorkingOrderCreateSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    due_date = serializers.DateField()
    start_date = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(max_length=64, required=False)
    subcontract_supplier_code = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )


class ReleaseSerializer(serializers.Serializer):
    override = serializers.BooleanField(default=False)


class CompleteSerializer(serializers.Serializer):
    actual_quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )
    scrap_quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )
    consumed = serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0")),
        required=False,
        help_text="Actual consumption per component product id (default: the required).",
    )


class MrpRunSerializer(serializers.ModelSerializer):
    planned_orders_url = serializers.SerializerMethodField()
    exceptions_url = serializers.SerializerMethodField()

    class Meta:
        model = MrpRun
        fields = (
            "id",
            "status",
            "source",
            "horizon_days",
            "plan_date",
            "job_id",
            "summary",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "planned_orders_url",
            "exceptions_url",
        )
        read_only_fields = fields

    def get_planned_orders_url(self, run: MrpRun) -> str:
        return f"/api/v1/mrp-runs/{run.pk}/planned-orders/"

    def get_exceptions_url(self, run: MrpRun) -> str:
        return f"/api/v1/mrp-runs/{run.pk}/exceptions/"


class MrpRunCreateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=MrpRun.Source.choices, default="forecast")
    horizon = serializers.IntegerField(min_value=1, max_value=730, default=90)


_KIND_LABELS = dict(PlannedOrder._meta.get_field("kind").flatchoices)


class PlannedOrderSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    kind = serializers.CharField(source="get_kind_display", read_only=True)
    exceptions = serializers.ListField(child=serializers.CharField(), read_only=True)
    # The list reads its rows with ``.values()`` (core.lists, ADR 37): the kind's label and
    # the exception names from their columns, as ``get_kind_display`` and ``exceptions`` do.
    values_columns = {
        "kind": ("kind", lambda kind: str(_KIND_LABELS.get(kind, kind))),
        "exceptions": ("exception_flags", PlannedOrder.exception_names),
    }

    class Meta:
        model = PlannedOrder
        fields = (
            "id",
            "run",
            "product",
            "sku",
            "location",
            "location_code",
            "kind",
            "quantity",
            "release_date",
            "due_date",
            "low_level_code",
            "firmed",
            "working_order",
            "exceptions",
        )
        read_only_fields = fields


class MrpExceptionSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True)

    class Meta:
        model = MrpException
        fields = (
            "id",
            "kind",
            "product",
            "sku",
            "location_id",
            "planned_order_id",
            "working_order_id",
            "work_centre_id",
            "date",
            "message",
        )
        read_only_fields = fields
