"""Writes of the routing domain: start a route plan, solve it, store its routes in bulk.

Times of day become seconds from the plan date's midnight for the solver core and come back
as times of day; distances are kilometres, costs the tenant's currency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce

from core.audit import audit_status_change
from core.cache import cached
from core.events import emit_event
from core.jobs import ProgressFn
from core.services import job_create
from routing import selectors
from routing.exceptions import RoutingInputError
from routing.models import DeliveryOrder, Route, RoutePlan, RouteStop, Vehicle
from routing.solver import (
    Break,
    Depot,
    Job,
    Problem,
    ProblemError,
    Solution,
    TimeWindow,
    solve,
)
from routing.solver import Vehicle as SolverVehicle
from routing.solver.matrix import HaversineMatrix

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_SETTINGS: dict[str, Any] = {
    "engine": "auto",
    "speed_kmh": 40.0,
    "detour_factor": 1.3,
    "lateness_cost_per_hour": None,
}
ENGINE_CHOICES = ("auto", "pyvrp", "ortools")
MAX_TIME_LIMIT_SECONDS = 600.0
_LAST_SECOND_OF_DAY = 24 * 3600 - 1


def route_plan_start(
    *,
    date: dt.date,
    time_limit_seconds: float = 10.0,
    engine: str = "auto",
    lateness_cost_per_hour: float | None = None,
    user: User | None = None,
    enqueue: bool = True,
) -> RoutePlan:
    """Create a queued plan for ``date``; with ``enqueue`` also a ``route_plan`` job whose task
    solves it once this transaction commits. ``time_limit_seconds`` bounds the solver's wall
    time. ``engine`` is ``auto`` (OR-Tools when a vehicle has a break or windows are soft,
    PyVRP otherwise), ``pyvrp`` or ``ortools``. ``lateness_cost_per_hour`` makes the orders'
    windows soft: service may start after a window's end at that cost per hour late."""
    if not 0 < time_limit_seconds <= MAX_TIME_LIMIT_SECONDS:
        raise RoutingInputError(
            f"time_limit_seconds must be in (0, {MAX_TIME_LIMIT_SECONDS:g}].",
            details={"time_limit_seconds": ["Out of range."]},
        )
    if engine not in ENGINE_CHOICES:
        raise RoutingInputError(
            f"Unknown engine {engine!r}.", details={"engine": [f"One of {ENGINE_CHOICES}."]}
        )
    if lateness_cost_per_hour is not None and not 0 <= lateness_cost_per_hour < 1e9:
        raise RoutingInputError(
            "lateness_cost_per_hour must be a non-negative number.",
            details={"lateness_cost_per_hour": ["Out of range."]},
        )
    soft = lateness_cost_per_hour is not None
    if engine == "pyvrp" and (
        soft or selectors.vehicle_active_list().filter(break_minutes__isnull=False).exists()
    ):
        raise RoutingInputError(
            "The PyVRP engine plans neither driver breaks nor soft windows; use ortools or auto.",
            details={"engine": ["PyVRP cannot plan breaks or soft windows."]},
        )
    _check_fleet_can_carry(date=date)
    with transaction.atomic():
        plan = RoutePlan.objects.create(
            date=date,
            time_limit_seconds=time_limit_seconds,
            settings={
                **DEFAULT_SETTINGS,
                "engine": engine,
                "lateness_cost_per_hour": lateness_cost_per_hour,
            },
            created_by=user if getattr(user, "pk", None) else None,
        )
        if enqueue:
            plan.job = job_create(kind="route_plan", params={"plan_id": plan.pk}, user=user)
            plan.save(update_fields=["job"])
    return plan


def _check_fleet_can_carry(*, date: dt.date) -> None:
    """Refuse up front (400) what no plan could fix: no active vehicle, or orders that no
    single vehicle can carry in weight and volume at once. Names up to 20 such orders."""
    fleet = selectors.vehicle_active_list()
    if not fleet.exists():
        raise RoutingInputError(
            "There is no active vehicle to plan with.", details={"vehicles": ["None active."]}
        )
    carrier = fleet.filter(capacity__gte=OuterRef("demand")).filter(
        Q(volume_capacity__isnull=True) | Q(volume_capacity__gte=Coalesce(OuterRef("volume"), 0))
    )
    too_big = list(
        selectors.delivery_orders_of_day(date=date)
        .filter(~Exists(carrier))
        .values_list("reference", flat=True)[:20]
    )
    if too_big:
        raise RoutingInputError(
            f"Orders no vehicle can carry (weight and volume): {', '.join(too_big)}.",
            details={
                "orders": {
                    ref: ["Demand larger than every vehicle's capacity (weight or volume)."]
                    for ref in too_big
                }
            },
        )


def route_plan_solve(*, plan_id: int, progress: ProgressFn | None = None) -> RoutePlan:
    """Load the fleet and the date's orders (one query each), solve, store routes and stops in
    bulk. Unserved orders and their reasons go to ``plan.statistics["unserved"]``. Bad input
    marks the plan failed and raises :class:`RoutingInputError` naming the culprit."""
    report: ProgressFn = progress or (lambda percent, message: None)
    plan = RoutePlan.objects.get(pk=plan_id)
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.RUNNING)
    vehicles = list(selectors.vehicle_active_list())
    orders = list(selectors.delivery_orders_of_day(date=plan.date))
    settings = {**DEFAULT_SETTINGS, **plan.settings}
    input_hash = _input_hash(plan, settings, vehicles, orders)
    report(10, "Building the distance matrix")
    try:
        outcome = cached(
            "route_plans",
            input_hash,
            compute=lambda: _solve_payload(plan, settings, vehicles, orders, report),
        )
    except RoutingInputError as exc:
        RoutePlan.objects.filter(pk=plan.pk).update(
            status=RoutePlan.Status.FAILED,
            input_hash=input_hash,
            statistics={"error": exc.message, "details": exc.details},
        )
        audit_status_change(
            RoutePlan,
            plan.pk,
            status=RoutePlan.Status.FAILED,
            previous=RoutePlan.Status.RUNNING,
            error=exc.message,
            started_by=plan.created_by_id,
        )
        raise
    report(90, "Storing routes")
    return _store(plan, outcome, input_hash, vehicles, orders)


def _seconds(value: dt.time) -> float:
    return value.hour * 3600.0 + value.minute * 60.0 + value.second


def _time_of_day(seconds: float) -> dt.time:
    whole = min(max(round(seconds), 0), _LAST_SECOND_OF_DAY)
    return dt.time(whole // 3600, whole % 3600 // 60, whole % 60)


def _input_hash(
    plan: RoutePlan,
    settings: dict[str, Any],
    vehicles: list[Vehicle],
    orders: list[DeliveryOrder],
) -> str:
    """Everything the solver sees, so equal inputs share a cached result."""
    payload = {
        "date": plan.date,
        "time_limit": plan.time_limit_seconds,
        "settings": settings,
        "vehicles": [
            (
                v.code,
                v.capacity,
                v.volume_capacity,
                v.max_distance_km,
                v.break_start,
                v.break_end,
                v.break_minutes,
                sorted(v.skills),
                v.start_depot.code,
                v.start_depot.latitude,
                v.start_depot.longitude,
                v.end_depot.code if v.end_depot else None,
                v.end_depot.latitude if v.end_depot else None,
                v.end_depot.longitude if v.end_depot else None,
                v.shift_start,
                v.shift_end,
                v.max_duration_minutes,
                v.cost_per_km,
                v.cost_per_hour,
                v.fixed_cost,
            )
            for v in vehicles
        ],
        "orders": [
            (
                o.reference,
                o.latitude,
                o.longitude,
                o.demand,
                o.volume,
                o.window_start,
                o.window_end,
                o.window2_start,
                o.window2_end,
                sorted(o.skills),
                o.service_minutes,
                o.priority,
            )
            for o in orders
        ],
    }
    raw = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _build_problem(
    settings: dict[str, Any], vehicles: list[Vehicle], orders: list[DeliveryOrder]
) -> Problem:
    depots: dict[int, Any] = {}
    for vehicle in vehicles:
        for depot in (vehicle.start_depot, vehicle.end_depot):
            if depot is None:
                continue
            if depot.latitude is None or depot.longitude is None:
                raise RoutingInputError(
                    f"Depot {depot.code} of vehicle {vehicle.code} has no coordinates.",
                    details={"vehicle": vehicle.code, "depot": depot.code},
                )
            depots[depot.pk] = depot
    depot_list = list(depots.values())
    points = [(float(d.latitude), float(d.longitude)) for d in depot_list]
    points += [(float(o.latitude), float(o.longitude)) for o in orders]
    lateness = settings.get("lateness_cost_per_hour")
    # Weight always; volume as a second dimension when anything has one. A vehicle without a
    # volume limit gets the day's whole volume, which never binds.
    with_volume = any(v.volume_capacity is not None for v in vehicles) and any(
        o.volume for o in orders
    )
    total_volume = sum(float(o.volume or 0) for o in orders)
    jobs = [
        Job(
            id=order.reference,
            location=len(depot_list) + index,
            demand=(float(order.demand), float(order.volume or 0))
            if with_volume
            else (float(order.demand),),
            time_windows=_windows(order),
            service_time=order.service_minutes * 60.0,
            priority=order.priority,
            skills=frozenset(order.skills),
            lateness_cost_per_hour=None if lateness is None else float(lateness),
        )
        for index, order in enumerate(orders)
    ]
    fleet = [
        SolverVehicle(
            id=v.code,
            start_depot=v.start_depot.code,
            end_depot=v.end_depot.code if v.end_depot else None,
            capacity=(
                float(v.capacity),
                total_volume if v.volume_capacity is None else float(v.volume_capacity),
            )
            if with_volume
            else (float(v.capacity),),
            shift_start=_seconds(v.shift_start),
            shift_end=_seconds(v.shift_end),
            max_duration=v.max_duration_minutes * 60.0 if v.max_duration_minutes else None,
            max_distance=float(v.max_distance_km) if v.max_distance_km is not None else None,
            cost_per_km=float(v.cost_per_km),
            cost_per_hour=float(v.cost_per_hour),
            fixed_cost=float(v.fixed_cost),
            skills=frozenset(v.skills),
            driver_break=Break(
                earliest=_seconds(v.break_start),
                latest=_seconds(v.break_end) - v.break_minutes * 60.0,
                duration=v.break_minutes * 60.0,
            )
            if v.break_minutes and v.break_start is not None and v.break_end is not None
            else None,
        )
        for v in vehicles
    ]
    try:
        return Problem.build(
            locations=points,
            depots=[Depot(id=d.code, location=i) for i, d in enumerate(depot_list)],
            jobs=jobs,
            vehicles=fleet,
            matrix_provider=HaversineMatrix(
                speed_kmh=float(settings["speed_kmh"]),
                detour_factor=float(settings["detour_factor"]),
            ),
            coordinates="latlon",
        )
    except ProblemError as exc:
        details = {"kind": exc.kind, "ref": exc.ref, "field": exc.field_name}
        raise RoutingInputError(str(exc), details=details) from exc


def _windows(order: DeliveryOrder) -> tuple[TimeWindow, ...]:
    """The order's one or two windows in seconds; a first window open on one side is closed
    with midnight."""
    if order.window_start is None and order.window_end is None:
        return ()
    first = TimeWindow(
        _seconds(order.window_start) if order.window_start else 0.0,
        _seconds(order.window_end) if order.window_end else float(_LAST_SECOND_OF_DAY),
    )
    if order.window2_start and order.window2_end:
        return (first, TimeWindow(_seconds(order.window2_start), _seconds(order.window2_end)))
    return (first,)


def _solve_payload(
    plan: RoutePlan,
    settings: dict[str, Any],
    vehicles: list[Vehicle],
    orders: list[DeliveryOrder],
    report: ProgressFn,
) -> dict[str, Any]:
    """The solution as plain JSON-able values (what the cache holds)."""
    if not orders:
        return {"routes": [], "unserved": [], "engine": settings["engine"], "seconds": 0.0}
    if not vehicles:
        raise RoutingInputError(
            "There is no active vehicle to plan with.", details={"vehicles": ["None active."]}
        )
    problem = _build_problem(settings, vehicles, orders)
    report(20, "Solving")
    try:
        solution: Solution = solve(
            problem, engine=settings["engine"], time_limit=plan.time_limit_seconds
        )
    except ProblemError as exc:
        raise RoutingInputError(str(exc), details={"field": exc.field_name}) from exc
    return {
        "routes": [
            {
                "vehicle": route.vehicle_id,
                "start_time": route.start_time,
                "end_time": route.end_time,
                "distance_km": route.distance,
                "duration_s": route.duration,
                "cost": route.cost,
                "load_start": route.load_start[0],
                "volume_start": route.load_start[1] if len(route.load_start) > 1 else 0.0,
                "break_start": route.break_start,
                "break_after": route.break_after,
                "break_s": route.break_duration if route.break_after is not None else 0.0,
                "lateness_s": route.lateness,
                "stops": [
                    {
                        "order": stop.job_id,
                        "arrival": stop.arrival,
                        "service_start": stop.service_start,
                        "departure": stop.departure,
                        "waiting_s": stop.waiting,
                        "load_after": stop.load_after[0],
                        "volume_after": stop.load_after[1] if len(stop.load_after) > 1 else 0.0,
                        "distance_km": stop.distance,
                        "lateness_s": stop.lateness,
                    }
                    for stop in route.stops
                ],
            }
            for route in solution.routes
        ],
        "unserved": [
            {"order": u.job_id, "reason": str(u.reason), "detail": u.detail}
            for u in solution.unserved
        ],
        "engine": solution.engine,
        "seconds": solution.seconds,
    }


def _store(
    plan: RoutePlan,
    outcome: dict[str, Any],
    input_hash: str,
    vehicles: list[Vehicle],
    orders: list[DeliveryOrder],
) -> RoutePlan:
    vehicle_by_code = {v.code: v for v in vehicles}
    order_by_reference = {o.reference: o for o in orders}
    routes_data = outcome["routes"]
    distance = sum(r["distance_km"] for r in routes_data)
    duration = sum(r["duration_s"] for r in routes_data) / 60.0
    cost = sum(r["cost"] for r in routes_data)
    with transaction.atomic():
        plan.routes.all().delete()  # a retried job starts clean
        routes = Route.objects.bulk_create(
            Route(
                plan=plan,
                vehicle=vehicle_by_code[r["vehicle"]],
                sequence=sequence,
                start_time=_time_of_day(r["start_time"]),
                end_time=_time_of_day(r["end_time"]),
                distance_km=round(r["distance_km"], 3),
                duration_minutes=round(r["duration_s"] / 60.0, 2),
                cost=round(r["cost"], 2),
                load_start=r["load_start"],
                volume_start=r["volume_start"],
                break_start=None if r["break_start"] is None else _time_of_day(r["break_start"]),
                break_after_stop=r["break_after"],
                break_minutes=round(r["break_s"] / 60.0, 2),
                lateness_minutes=round(r["lateness_s"] / 60.0, 2),
            )
            for sequence, r in enumerate(routes_data, start=1)
        )
        RouteStop.objects.bulk_create(
            RouteStop(
                route=route,
                order=order_by_reference[s["order"]],
                sequence=sequence,
                arrival=_time_of_day(s["arrival"]),
                service_start=_time_of_day(s["service_start"]),
                departure=_time_of_day(s["departure"]),
                waiting_minutes=round(s["waiting_s"] / 60.0, 2),
                load_after=s["load_after"],
                volume_after=s["volume_after"],
                distance_km=round(s["distance_km"], 3),
                lateness_minutes=round(s["lateness_s"] / 60.0, 2),
            )
            for route, r in zip(routes, routes_data, strict=True)
            for sequence, s in enumerate(r["stops"], start=1)
        )
        plan.status = RoutePlan.Status.SUCCEEDED
        plan.input_hash = input_hash
        plan.objective = {
            "cost": round(cost, 2),
            "distance_km": round(distance, 3),
            "duration_minutes": round(duration, 2),
            "lateness_minutes": round(sum(r["lateness_s"] for r in routes_data) / 60.0, 2),
        }
        served = sum(len(r["stops"]) for r in routes_data)
        plan.statistics = {
            "orders": len(orders),
            "served": served,
            "vehicles_available": len(vehicles),
            "vehicles_used": len(routes_data),
            "unserved": outcome["unserved"],
            "engine": outcome["engine"],
            "solver_seconds": round(outcome["seconds"], 3),
        }
        plan.save(update_fields=["status", "input_hash", "objective", "statistics"])
        emit_event("route_plan.completed", _plan_event(plan), actor=plan.created_by_id)
    return plan


def _plan_event(plan: RoutePlan) -> dict[str, Any]:
    statistics = plan.statistics
    return {
        "route_plan_id": plan.pk,
        "date": plan.date,
        "served": statistics["served"],
        "orders": statistics["orders"],
        "unserved": len(statistics["unserved"]),
    }
