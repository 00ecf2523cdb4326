"""Server-rendered pages of the routing domain (``/app/route-plans/<id>/``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import render

from accounts.models import User
from core.exceptions import NotFound
from core.pages import member_page
from routing import selectors
from routing.models import RoutePlan

PALETTE = (
    "#2563eb",
    "#dc2626",
    "#16a34a",
    "#d97706",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#ea580c",
    "#4f46e5",
    "#0d9488",
    "#9333ea",
)  # fmt: skip  (the chart helpers' palette: a route keeps its colour in table and drawing)


@member_page
def route_plan_list(request):
    """The latest route plans, newest delivery date first (one query)."""
    plans = list(RoutePlan.objects.order_by("-date", "-pk")[:50])
    return render(request, "routing/route_plan_list.html", {"plans": plans})


def _plan_or_404(request: Any, plan_id: int) -> RoutePlan:
    if connection.schema_name == "public" or not request.user.has_role(User.Role.VIEWER):
        raise PermissionDenied
    try:
        return selectors.access_route_plan(user=request.user, plan_id=plan_id)
    except NotFound:
        raise Http404("No such route plan.") from None


@member_page
def route_plan_page(request, plan_id: int):
    """The plan on a Leaflet map (stops numbered in sequence and paths coloured by vehicle,
    depots as large dark dots, unserved orders grey; tiles from ``MAP_TILE_URL``, a plain
    background without it), each vehicle's stops in sequence with arrival times, and the
    unserved orders. Four queries for the plan, one for the unserved orders."""
    plan = _plan_or_404(request, plan_id)
    unserved = plan.statistics.get("unserved", [])
    orders = selectors.delivery_orders_by_reference(references=[u["order"] for u in unserved])
    context = {
        "plan": plan,
        "rows": _route_rows(plan),
        "unserved": [
            {**u, "customer": orders[u["order"]].customer if u["order"] in orders else ""}
            for u in unserved
        ],
        "drawing": _drawing(plan, unserved, orders),
        "map_tiles": {
            "url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    }
    return render(request, "routing/route_plan.html", context)


@member_page
def driver_sheet(request, plan_id: int, vehicle: str):
    """One vehicle's route as a printable sheet: depot, shift, then every stop in sequence
    with arrival, time window, customer, what to deliver and the load left on board."""
    plan = _plan_or_404(request, plan_id)
    route = next((r for r in plan.routes.all() if r.vehicle.code == vehicle), None)
    if route is None:
        raise Http404("This vehicle has no route in the plan.")
    stops = list(route.stops.all())
    return render(
        request,
        "routing/driver_sheet.html",
        {
            "plan": plan,
            "route": route,
            "vehicle": route.vehicle,
            "stops": stops,
            "demand_total": sum(float(s.order.demand) for s in stops),
        },
    )


def _route_rows(plan: RoutePlan) -> list[dict[str, Any]]:
    rows = []
    for index, route in enumerate(plan.routes.all()):
        stops = list(route.stops.all())
        rows.append(
            {
                "color": PALETTE[index % len(PALETTE)],
                "vehicle": route.vehicle.code,
                "stops": len(stops),
                "stop_list": stops,
                "start": route.start_time,
                "end": route.end_time,
                "distance_km": route.distance_km,
                "duration_minutes": route.duration_minutes,
                "weight": route.load_start,
                "capacity": route.vehicle.capacity,
                "volume": route.volume_start,
                "volume_capacity": route.vehicle.volume_capacity,
                "break_start": route.break_start,
                "lateness_minutes": route.lateness_minutes,
                "cost": route.cost,
            }
        )
    return rows


def _drawing(plan: RoutePlan, unserved: list[dict], orders: dict) -> dict[str, Any]:
    """What the Leaflet map draws, as ``[latitude, longitude]`` pairs: one path per route
    (depot, stops in sequence, depot), the stops with their number and arrival time, the
    depots, and the unserved orders."""

    def at(latitude: Any, longitude: Any) -> list[float]:
        return [round(float(latitude), 6), round(float(longitude), 6)]

    paths: list[dict[str, Any]] = []
    stops: list[dict[str, Any]] = []
    depots: dict[str, dict[str, Any]] = {}
    for index, route in enumerate(plan.routes.all()):
        color = PALETTE[index % len(PALETTE)]
        vehicle = route.vehicle
        start = vehicle.start_depot
        end = vehicle.end_depot or start
        line = [at(start.latitude, start.longitude)]
        for stop in route.stops.all():
            point = at(stop.order.latitude, stop.order.longitude)
            line.append(point)
            stops.append(
                {
                    "at": point,
                    "color": color,
                    "number": stop.sequence,
                    "label": f"{vehicle.code} #{stop.sequence} · {stop.order.reference} · "
                    f"{stop.order.customer} · arrives {stop.arrival:%H:%M}",
                }
            )
        line.append(at(end.latitude, end.longitude))
        paths.append({"points": line, "color": color, "vehicle": vehicle.code})
        for depot in (start, end):
            depots[depot.code] = {
                "at": at(depot.latitude, depot.longitude),
                "label": f"Depot {depot.code}",
            }
    others = []
    for item in unserved:
        order = orders.get(item["order"])
        if order is not None:
            others.append(
                {
                    "at": at(order.latitude, order.longitude),
                    "label": f"{order.reference} · unserved: {item['reason']}",
                }
            )
    return {"paths": paths, "stops": stops, "depots": list(depots.values()), "unserved": others}
