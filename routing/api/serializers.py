from __future__ import annotations

from rest_framework import serializers

from routing.models import DeliveryOrder, Route, RoutePlan, RouteStop, Vehicle


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
            "cost_per_km",
            "cost_per_hour",
            "fixed_cost",
            "is_active",
            "created_at",
        )
        read_only_fields = ("id", "created_at")

    def validate(self, attrs):
        start = attrs.get("shift_start", getattr(self.instance, "shift_start", None))
        end = attrs.get("shift_end", getattr(self.instance, "shift_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"shift_end": "The shift must end after it starts."})
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
            "service_minutes",
            "priority",
            "created_at",
        )
        read_only_fields = ("id", "created_at")

    def validate(self, attrs):
        start = attrs.get("window_start", getattr(self.instance, "window_start", None))
        end = attrs.get("window_end", getattr(self.instance, "window_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"window_end": "The time window must end after it starts."}
            )
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
            "distance_km",
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


class RoutePlanInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    time_limit_seconds = serializers.FloatField(default=10.0, min_value=0.1, max_value=600.0)


class GeoJSONSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection (RFC 7946): coordinates are ``[longitude, latitude]``."""

    type = serializers.CharField()
    features = serializers.ListField(child=serializers.DictField())
