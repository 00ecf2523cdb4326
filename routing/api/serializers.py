from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import JobStartFields
from routing.models import (
    DeliveryOrder,
    Route,
    RoutePlan,
    RouteStop,
    Vehicle,
    order_window_errors,
    vehicle_rule_errors,
)
from routing.services import ENGINE_CHOICES

SKILLS = serializers.ListField(
    child=serializers.RegexField(r"^[A-Za-z0-9_.-]{1,32}$"), required=False, max_length=20
)


class VehicleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = (
            "id",
            "code",
            "name",
            "capacity",
            "volume_capacity",
            "start_depot",
            "end_depot",
            "shift_start",
            "shift_end",
            "max_duration_minutes",
            "max_distance_km",
            "break_start",
            "break_end",
            "break_minutes",
            "skills",
            "cost_per_km",
            "cost_per_hour",
            "fixed_cost",
            "is_active",
            "created_at",
        )
        read_only_fields = ("id", "created_at")

    skills = SKILLS

    def validate(self, attrs):
        def current(name):
            return attrs.get(name, getattr(self.instance, name, None))

        errors = vehicle_rule_errors(
            shift_start=current("shift_start"),
            shift_end=current("shift_end"),
            break_start=current("break_start"),
            break_end=current("break_end"),
            break_minutes=current("break_minutes"),
        )
        if errors:
            raise serializers.ValidationError(errors)
        for field in ("start_depot", "end_depot"):
            depot = attrs.get(field)
            if depot is not None and (depot.latitude is None or depot.longitude is None):
                raise serializers.ValidationError({field: "The depot needs coordinates."})
        return attrs


class DeliveryOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryOrder
        fields = (
            "id",
            "reference",
            "date",
            "customer",
            "latitude",
            "longitude",
            "demand",
            "volume",
            "window_start",
            "window_end",
            "window2_start",
            "window2_end",
            "skills",
            "service_minutes",
            "priority",
            "created_at",
        )
        read_only_fields = ("id", "created_at")

    skills = SKILLS

    def validate(self, attrs):
        names = ("window_start", "window_end", "window2_start", "window2_end")
        errors = order_window_errors(
            *(attrs.get(n, getattr(self.instance, n, None)) for n in names)
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RouteStopSerializer(serializers.ModelSerializer):
    order_reference = serializers.CharField(source="order.reference", read_only=True)
    latitude = serializers.DecimalField(
        source="order.latitude", max_digits=9, decimal_places=6, read_only=True
    )
    longitude = serializers.DecimalField(
        source="order.longitude", max_digits=9, decimal_places=6, read_only=True
    )

    class Meta:
        model = RouteStop
        fields = (
            "sequence",
            "order",
            "order_reference",
            "latitude",
            "longitude",
            "arrival",
            "service_start",
            "departure",
            "waiting_minutes",
            "load_after",
            "volume_after",
            "distance_km",
            "lateness_minutes",
        )


class RouteSerializer(serializers.ModelSerializer):
    vehicle_code = serializers.CharField(source="vehicle.code", read_only=True)
    stops = RouteStopSerializer(many=True, read_only=True)

    class Meta:
        model = Route
        fields = (
            "id",
            "sequence",
            "vehicle",
            "vehicle_code",
            "start_time",
            "end_time",
            "distance_km",
            "duration_minutes",
            "cost",
            "load_start",
            "volume_start",
            "break_start",
            "break_after_stop",
            "break_minutes",
            "lateness_minutes",
            "stops",
        )


class RoutePlanSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    job_url = serializers.SerializerMethodField()
    routes = RouteSerializer(many=True, read_only=True)

    class Meta:
        model = RoutePlan
        fields = (
            "id",
            "url",
            "date",
            "status",
            "time_limit_seconds",
            "settings",
            "objective",
            "statistics",
            "input_hash",
            "job",
            "job_url",
            "created_at",
            "routes",
        )

    def get_url(self, plan: RoutePlan) -> str:
        return f"/api/v1/route-plans/{plan.pk}/"

    def get_job_url(self, plan: RoutePlan) -> str | None:
        return f"/api/v1/jobs/{plan.job_id}/" if plan.job_id else None


class RoutePlanStartSerializer(JobStartFields, RoutePlanSerializer):
    """The 202 body of a route plan start: the plan, with the common block of every job start
    (ADR 43)."""

    class Meta(RoutePlanSerializer.Meta):
        fields = (*RoutePlanSerializer.Meta.fields, "job_id")
        read_only_fields = fields


class RoutePlanInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    time_limit_seconds = serializers.FloatField(default=10.0, min_value=0.1, max_value=600.0)
    engine = serializers.ChoiceField(choices=ENGINE_CHOICES, default="auto")
    lateness_cost_per_hour = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0.0,
        max_value=1e6,
        help_text="Set to make time windows soft: lateness costs this much per hour.",
    )


class GeoJSONSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection (RFC 7946): coordinates are ``[longitude, latitude]``."""

    type = serializers.CharField()
    features = serializers.ListField(child=serializers.DictField())
