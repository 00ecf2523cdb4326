"""Server-rendered pages of the routing domain (``/app/route-plans/<id>/``)."""

from __future__ import annotations

import math
from typing import Any

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


@member_page
def route_plan_page(request, plan_id: int):
    """The plan drawn as SVG (stops and paths coloured by vehicle, depots as large dark dots,
    unserved orders grey) with its routes and unserved orders as tables."""
    if connection.schema_name == "public" or not request.user.has_role(User.Role.VIEWER):
        raise PermissionDenied
    try:
        plan = selectors.access_route_plan(user=request.user, plan_id=plan_id)
    except NotFound:
        raise Http404("No such route plan.") from None
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
    }
    return render(request, "routing/route_plan.html", context)


def _route_rows(plan: RoutePlan) -> list[dict[str, Any]]:
    rows = []
    for index, route in enumerate(plan.routes.all()):
        stops = list(route.stops.all())
        rows.append(
            {
                "color": PALETTE[index % len(PALETTE)],
                "vehicle": route.vehicle.code,
                "stops": len(stops),
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
    """Points and paths for ``Charts.scatter``: x is the longitude shrunk by the cosine of
    the mean latitude, so distances look right at the plan's latitude."""
    routes = list(plan.routes.all())
    latitudes = [float(s.order.latitude) for r in routes for s in r.stops.all()]
    latitudes += [float(o.latitude) for o in orders.values()]
    shrink = math.cos(math.radians(sum(latitudes) / len(latitudes))) if latitudes else 1.0

    def xy(latitude, longitude) -> list[float]:
        return [round(float(longitude) * shrink, 6), round(float(latitude), 6)]

    points: list[dict[str, Any]] = []
    paths: list[dict[str, Any]] = []
    depots: dict[str, list[float]] = {}
    for index, route in enumerate(routes):
        color = PALETTE[index % len(PALETTE)]
        vehicle = route.vehicle
        start = vehicle.start_depot
        end = vehicle.end_depot or start
        line = [xy(start.latitude, start.longitude)]
        for stop in route.stops.all():
            at = xy(stop.order.latitude, stop.order.longitude)
            line.append(at)
            points.append(
                {
                    "x": at[0],
                    "y": at[1],
                    "color": color,
                    "label": f"{stop.order.reference} · {vehicle.code} #{stop.sequence} "
                    f"· {stop.service_start:%H:%M}",
                }
            )
        line.append(xy(end.latitude, end.longitude))
        paths.append({"points": line, "color": color})
        for depot in (start, end):
            depots[depot.code] = xy(depot.latitude, depot.longitude)
    for code, (x, y) in depots.items():
        points.append({"x": x, "y": y, "color": "#0f172a", "r": 6, "label": f"Depot {code}"})
    for item in unserved:
        order = orders.get(item["order"])
        if order is not None:
            x, y = xy(order.latitude, order.longitude)
            points.append(
                {"x": x, "y": y, "color": "#9aa5b1", "r": 4,
                 "label": f"{order.reference} · unserved: {item['reason']}"}
            )  # fmt: skip
    return {"points": points, "paths": paths}
