"""Serializers of the simulation (replay) API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import JobStartSerializer
from core.models import Job
from inventory.models import SimulationItemResult, SimulationRun
from inventory.simulation_service import (
    MAX_COVER_DAYS,
    MAX_STOCKOUT_COST,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    SIMULATION_METHODS,
)


class SimulationServiceLevelsSerializer(serializers.Serializer):
    A = serializers.FloatField(required=False, min_value=0.5, max_value=0.999)
    B = serializers.FloatField(required=False, min_value=0.5, max_value=0.999)
    C = serializers.FloatField(required=False, min_value=0.5, max_value=0.999)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown classes {sorted(unknown)}; use A, B or C."
                )
        return super().to_internal_value(data)


class SimulationInputSerializer(serializers.Serializer):
    window_days = serializers.IntegerField(
        default=365, min_value=MIN_WINDOW_DAYS, max_value=MAX_WINDOW_DAYS
    )
    service_levels = SimulationServiceLevelsSerializer(required=False)
    demand_mode = serializers.ChoiceField(
        choices=SimulationRun.DemandMode.choices, default=SimulationRun.DemandMode.LOST_SALES
    )
    lead_time_mode = serializers.ChoiceField(
        choices=SimulationRun.LeadTimeMode.choices, default=SimulationRun.LeadTimeMode.FIXED
    )
    lead_time_cv = serializers.FloatField(default=0.25, min_value=0.0, max_value=2.0)
    refit_every_days = serializers.IntegerField(default=7, min_value=1, max_value=91)
    forecast_method = serializers.ChoiceField(choices=SIMULATION_METHODS, default="ses")
    seed = serializers.IntegerField(default=0, min_value=0, max_value=2**31 - 1)
    max_cover_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_COVER_DAYS,
        help_text="Lot cap in days of mean demand; 0: no cap (plain EOQ); omitted or null: "
        "the tenant's inventory settings.",
    )
    service_level_allocation = serializers.ChoiceField(
        choices=SimulationRun.Allocation.choices,
        required=False,
        help_text="item: every item its class target; aggregate: each class's target met on "
        "average over its cycles, per-item levels by the critical ratio (more fill rate per "
        "unit of inventory value); omitted: the tenant's inventory settings.",
    )

    stockout_cost = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0.0,
        max_value=MAX_STOCKOUT_COST,
        help_text="Cost of a unit short in the cost comparison; omitted or null: the tenant's "
        "stockout cost, or each item's margin (price − cost) when that is unset.",
    )

    def validate(self, attrs):
        extra = set(self.initial_data) - set(self.fields)
        if extra:
            raise serializers.ValidationError({name: ["Unknown field."] for name in extra})
        return attrs


class SimulationRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    job_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = SimulationRun
        fields = (
            "id",
            "url",
            "page_url",
            "status",
            "window_days",
            "window_start",
            "window_end",
            "service_level_a",
            "service_level_b",
            "service_level_c",
            "demand_mode",
            "lead_time_mode",
            "lead_time_cv",
            "refit_every_days",
            "forecast_method",
            "seed",
            "max_cover_days",
            "service_level_allocation",
            "stockout_cost",
            "summary",
            "error",
            "job",
            "job_url",
            "created_by",
            "created_at",
            "finished_at",
        )

    def get_url(self, run: SimulationRun) -> str:
        return f"/api/v1/inventory/simulations/{run.pk}/"

    def get_page_url(self, run: SimulationRun) -> str:
        return f"/app/simulations/{run.pk}/"

    def get_job_url(self, run: SimulationRun) -> str | None:
        return f"/api/v1/jobs/{run.job_id}/" if run.job_id else None


class SimulationItemSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    location = serializers.CharField(source="location.code")

    class Meta:
        model = SimulationItemResult
        exclude = ("run", "product")


class SimulationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="The run: its summary once done.")


class SimulationStartSerializer(JobStartSerializer):
    """The 202 body of a simulation start: the job (with the common block of every job start,
    ADR 43) and the run it fills (``context["run"]``)."""

    simulation = serializers.SerializerMethodField()

    class Meta(JobStartSerializer.Meta):
        fields = (*JobStartSerializer.Meta.fields, "simulation")
        read_only_fields = fields

    @extend_schema_field(SimulationRefSerializer)
    def get_simulation(self, job: Job) -> dict:
        run = self.context["run"]
        return {"id": run.pk, "url": SimulationRunSerializer().get_url(run)}
