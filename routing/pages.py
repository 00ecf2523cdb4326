"""Server-rendered pages of the routing domain: the plans (with the "Plan routes" button),
one plan (``/app/route-plans/<id>/``) and its driver sheets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from core.exceptions import DomainError, NotFound
from core.pages import can_act, heavy_work, member_page, planner_action
from core.selectors import active_run
from routing import selectors, services
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


@require_GET
@member_page
def route_plan_list(request):
    """The latest route plans, newest delivery date first (one query); planners also get the
    "Plan routes" form (a delivery date, tomorrow by default)."""
    plans = list(RoutePlan.objects.order_by("-date", "-pk")[:50])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    context = {"plans": plans, "can_act": can_act(request.user), "tomorrow": tomorrow}
    return render(request, "routing/route_plan_list.html", context)


def _message(text: str, status: int = 400) -> HttpResponse:
    return HttpResponse(f'<p class="muted" role="alert">{escape(text)}</p>', status=status)


@require_POST
@planner_action
@heavy_work("route_plan", "route plans")
def route_plan_start_page(request):
    """The "Plan routes" button: the same service and guards as ``POST /api/v1/route-plans/``
    (one active plan per tenant, an active vehicle, orders a vehicle can carry), with the
    tenant's settings and the API's default time limit; answers the job's progress bar, or
    a sentence saying why nothing started (400), or the active plan's bar and a note (409)."""
    raw = request.POST.get("date", "").strip()
    try:
        date = dt.date.fromisoformat(raw) if raw else timezone.localdate() + dt.timedelta(days=1)
    except ValueError:
        return _message("The delivery date must be a date (YYYY-MM-DD).")
    active = active_run(RoutePlan.objects.filter(job__isnull=False).select_related("job"))
    if active is not None:
        note = (
            f"Plan {active.pk} for {active.date} is already {active.status}: "
            "one plan at a time; this one was not started."
        )
        response = render(
            request,
            "pages/_job_progress.html",
            {"job": active.job, "label": f"Route plan {active.date}", "note": note},
            status=409,
        )
        return response
    if not selectors.delivery_orders_of_day(date=date).exists():
        return _message(f"There are no delivery orders for {date}: nothing to plan.")
    try:
        plan = services.route_plan_start(date=date, user=request.user)
    except DomainError as exc:
        return _message(exc.message, exc.status_code)
    return render(
        request, "pages/_job_progress.html", {"job": plan.job, "label": f"Route plan {date}"}
    )


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
