"""Query-count baselines of the pages this work touched (NetBox's pattern, like
tests/workspace/test_pages.py): the count is fixed whatever the rows, and at its baseline.
Counts exclude django-tenants' ``SET search_path``; they include the session, the user and
the navigation's own queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from routing.models import Route, RoutePlan, RouteStop
from tests.conftest import HOST_A
from tests.factories import DeliveryOrderFactory, DepotFactory, VehicleFactory
from tests.workspace.seed import page_queries


def _client(user) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    return client


def _plan(routes: int, stops: int) -> RoutePlan:
    plan = RoutePlan.objects.create(
        date=dt.date(2026, 3, 2), status=RoutePlan.Status.SUCCEEDED, objective={"cost": 1.0}
    )
    for sequence in range(routes):
        route = Route.objects.create(
            plan=plan,
            vehicle=VehicleFactory(end_depot=DepotFactory()),
            sequence=sequence,
            start_time=dt.time(8),
            end_time=dt.time(10),
            distance_km=12.5,
            duration_minutes=120,
        )
        for stop in range(stops):
            RouteStop.objects.create(
                route=route,
                order=DeliveryOrderFactory(),
                sequence=stop,
                arrival=dt.time(9, stop),
                service_start=dt.time(9, stop),
                departure=dt.time(9, stop + 1),
                load_after=1.0,
            )
    return plan


ROUTE_PLAN_BASELINE = 6  # domain, session, user, the plan with routes, stops; unserved orders
DRIVER_SHEET_BASELINE = 6


@pytest.mark.django_db
def test_route_plan_and_driver_sheet_queries_do_not_grow_with_routes_or_stops(viewer):
    client = _client(viewer)
    small, large = _plan(1, 2), _plan(4, 6)
    counts = []
    for plan in (small, large):
        vehicle = plan.routes.first().vehicle.code
        counts.append(
            (
                len(page_queries(client, f"/app/route-plans/{plan.pk}/")),
                len(page_queries(client, f"/app/route-plans/{plan.pk}/driver-sheet/{vehicle}/")),
            )
        )
    assert counts[0] == counts[1] == (ROUTE_PLAN_BASELINE, DRIVER_SHEET_BASELINE), counts


SIMULATION_DETAIL_BASELINE = 4
SIMULATION_LIST_PLANNER_BASELINE = 5  # the planner also reads the tenant's stockout cost


@pytest.mark.django_db
def test_simulation_pages_baselines(viewer, planner):
    from inventory.models import SimulationRun

    run = SimulationRun.objects.create(status="succeeded", summary={"items": 3})
    assert len(page_queries(_client(viewer), f"/app/simulations/{run.pk}/")) == (
        SIMULATION_DETAIL_BASELINE
    )
    client = _client(planner)
    client.get("/app/simulations/")  # creates the settings row on first use
    SimulationRun.objects.bulk_create(SimulationRun(status="succeeded") for _ in range(5))
    queries = page_queries(client, "/app/simulations/")
    assert len(queries) == SIMULATION_LIST_PLANNER_BASELINE, queries


@pytest.mark.django_db
def test_test_bed_queries_do_not_grow_with_series(viewer):
    from forecasting import services
    from tests.forecasting_app.seed import seed

    seed(prefix="QA")
    run = services.forecast_run_start(horizon=7, methods=["naive", "seasonal_naive"], enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    client = _client(viewer)
    first = page_queries(client, "/app/test-bed/")
    seed(prefix="QB")
    run = services.forecast_run_start(horizon=7, methods=["naive", "seasonal_naive"], enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    second = page_queries(client, "/app/test-bed/")
    assert len(first) == len(second), second
