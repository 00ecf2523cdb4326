"""Reads of the routing domain."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Prefetch, QuerySet

from core.selectors import get_or_not_found
from routing.models import DeliveryOrder, Route, RoutePlan, RouteStop, Vehicle

if TYPE_CHECKING:
    from accounts.models import User


def vehicle_list(*, user: User | None = None) -> QuerySet[Vehicle]:
    return Vehicle.objects.select_related("start_depot", "end_depot")


def vehicle_active_list() -> QuerySet[Vehicle]:
    return vehicle_list().filter(is_active=True).order_by("code")


def delivery_order_list(*, user: User | None = None) -> QuerySet[DeliveryOrder]:
    return DeliveryOrder.objects.all()


def delivery_orders_of_day(*, date: dt.date) -> QuerySet[DeliveryOrder]:
    return DeliveryOrder.objects.filter(date=date).order_by("reference")


def delivery_orders_by_reference(*, references: list[str]) -> dict[str, DeliveryOrder]:
    """Orders by reference, in one query (the unserved orders of a plan)."""
    if not references:
        return {}
    return {o.reference: o for o in DeliveryOrder.objects.filter(reference__in=references)}


def route_plan_list(*, user: User | None = None) -> QuerySet[RoutePlan]:
    """Plans with their routes, vehicles, depots, stops and orders in four queries."""
    stops = RouteStop.objects.select_related("order").order_by("sequence")
    routes = (
        Route.objects.select_related("vehicle__start_depot", "vehicle__end_depot")
        .prefetch_related(Prefetch("stops", queryset=stops))
        .order_by("sequence")
    )
    return RoutePlan.objects.select_related("job").prefetch_related(
        Prefetch("routes", queryset=routes)
    )


def access_route_plan(*, user: User, plan_id: Any) -> RoutePlan:
    return cast(
        "RoutePlan", get_or_not_found(route_plan_list(user=user), "No such route plan.", pk=plan_id)
    )
