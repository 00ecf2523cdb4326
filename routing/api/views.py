from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, ModelViewSet

from core.api.views import accepted_body
from core.permissions import Area, IsTenantMember
from core.selectors import active_run
from core.throttling import HEAVY_THROTTLES
from routing import selectors, services
from routing.api.serializers import (
    DeliveryOrderSerializer,
    GeoJSONSerializer,
    RoutePlanInputSerializer,
    RoutePlanSerializer,
    RoutePlanStartSerializer,
    VehicleSerializer,
)
from routing.models import RoutePlan


class VehicleViewSet(ModelViewSet):
    api_area = Area.ROUTING
    serializer_class = VehicleSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("is_active", "start_depot")
    ordering_fields = ("code", "name", "capacity")

    def get_queryset(self):
        return selectors.vehicle_list(user=self.request.user)


class DeliveryOrderViewSet(ModelViewSet):
    api_area = Area.ROUTING
    serializer_class = DeliveryOrderSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("date",)
    ordering_fields = ("date", "reference", "priority")

    def get_queryset(self):
        return selectors.delivery_order_list(user=self.request.user)


class RoutePlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Route plans. ``POST`` answers 202 with the queued plan; poll its ``url`` (or the job's)
    until ``status`` is ``succeeded`` or ``failed``."""

    api_area = Area.ROUTING
    heavy_work = "route_plan"
    throttle_classes = HEAVY_THROTTLES
    serializer_class = RoutePlanSerializer
    permission_classes = [IsTenantMember]
    filterset_fields = ("date", "status")
    ordering_fields = ("date", "created_at")

    def get_queryset(self):
        return selectors.route_plan_list(user=self.request.user)

    def get_object(self):
        return selectors.access_route_plan(user=self.request.user, plan_id=self.kwargs["pk"])

    @extend_schema(request=RoutePlanInputSerializer, responses={202: RoutePlanStartSerializer})
    def create(self, request):
        data = RoutePlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # At most one active route plan per tenant (ADR 31): a second request gets the plan
        # already queued or solving, so one tenant cannot fill the shared workers.
        plan = active_run(RoutePlan.objects.filter(job__isnull=False)) or services.route_plan_start(
            date=data.validated_data["date"],
            time_limit_seconds=data.validated_data["time_limit_seconds"],
            engine=data.validated_data["engine"],
            lateness_cost_per_hour=data.validated_data["lateness_cost_per_hour"],
            user=request.user,
        )
        return accepted_body(RoutePlanStartSerializer(plan).data)

    @extend_schema(responses={200: GeoJSONSerializer})
    @action(detail=True, methods=["get"])
    def geojson(self, request, pk=None):
        return Response(route_plan_geojson(self.get_object()))


def route_plan_geojson(plan: RoutePlan) -> dict:
    """One LineString per route (depot → stops → depot) and one Point per stop."""
    features: list[dict] = []
    for route in plan.routes.all():
        vehicle = route.vehicle
        start = vehicle.start_depot
        end = vehicle.end_depot or start
        stops = list(route.stops.all())
        line = [[float(start.longitude), float(start.latitude)]]
        line += [[float(s.order.longitude), float(s.order.latitude)] for s in stops]
        line.append([float(end.longitude), float(end.latitude)])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "kind": "route",
                    "route": route.sequence,
                    "vehicle": vehicle.code,
                    "distance_km": route.distance_km,
                    "duration_minutes": route.duration_minutes,
                },
            }
        )
        features += [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(s.order.longitude), float(s.order.latitude)],
                },
                "properties": {
                    "kind": "stop",
                    "route": route.sequence,
                    "vehicle": vehicle.code,
                    "sequence": s.sequence,
                    "order": s.order.reference,
                    "arrival": s.arrival.isoformat(),
                    "departure": s.departure.isoformat(),
                },
            }
            for s in stops
        ]
    return {"type": "FeatureCollection", "features": features}
