"""Route plans through the service, the job worker, the API and the command; input checks,
roles and the tenant boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import Location
from routing import services
from routing.exceptions import RoutingInputError
from routing.models import DeliveryOrder, Route, RoutePlan, RouteStop, Vehicle
from tests.conftest import (
    HOST_A,
    HOST_B,
    assert_error,
    client_for,
    delete_users,
    make_user,
    wait_for_job,
)
from tests.factories import DepotFactory, VehicleFactory

DAY = dt.date(2026, 3, 2)
# Six drops a few kilometres around a depot in central Paris.
DROPS = [
    (48.8700, 2.3300),
    (48.8750, 2.3600),
    (48.8600, 2.3900),
    (48.8450, 2.3700),
    (48.8400, 2.3300),
    (48.8550, 2.3100),
]


def _fleet_and_orders(*, demand: str = "3", capacity: str = "10") -> list[DeliveryOrder]:
    depot = DepotFactory(code="RT-DEPOT", name="Depot")
    for code in ("VAN-1", "VAN-2"):  # 08:00–18:00, 1.00 a km, 10.00 fixed (the defaults)
        VehicleFactory(code=code, capacity=Decimal(capacity), start_depot=depot)
    return [
        DeliveryOrder.objects.create(
            reference=f"RT-{i}",
            date=DAY,
            latitude=Decimal(str(lat)),
            longitude=Decimal(str(lon)),
            demand=Decimal(demand),
            window_start=dt.time(8) if i % 2 else None,
            window_end=dt.time(13) if i % 2 else None,
            service_minutes=5,
        )
        for i, (lat, lon) in enumerate(DROPS)
    ]


def _cleanup() -> None:
    RoutePlan.objects.all().delete()
    DeliveryOrder.objects.filter(reference__startswith="RT-").delete()
    Vehicle.objects.filter(code__startswith="VAN-").delete()
    Location.objects.filter(code="RT-DEPOT").delete()


@pytest.mark.django_db
def test_solve_serves_every_order_without_exceeding_capacity():
    orders = _fleet_and_orders()
    plan = services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False)
    plan = services.route_plan_solve(plan_id=plan.pk)

    assert plan.status == RoutePlan.Status.SUCCEEDED
    assert plan.statistics["served"] == 6 and plan.statistics["unserved"] == []
    routes = list(Route.objects.filter(plan=plan).prefetch_related("stops"))
    # 6 × 3 = 18 units and vans of 10: one van cannot carry it all.
    assert len(routes) == 2 == plan.statistics["vehicles_used"]
    served = [stop.order_id for route in routes for stop in route.stops.all()]
    assert sorted(served) == sorted(o.pk for o in orders)
    for route in routes:
        assert route.load_start <= 10
        loads = [route.load_start] + [s.load_after for s in route.stops.all()]
        assert loads == sorted(loads, reverse=True) and loads[-1] == pytest.approx(0)
        assert dt.time(8) <= route.start_time and route.end_time <= dt.time(18)
        assert [s.sequence for s in route.stops.all()] == list(range(1, len(loads)))
    for stop in RouteStop.objects.filter(route__plan=plan, order__window_end__isnull=False):
        assert stop.service_start <= stop.order.window_end
    assert plan.objective["distance_km"] == pytest.approx(
        sum(r.distance_km for r in routes), abs=0.01
    )
    assert len(plan.input_hash) == 64


@pytest.mark.django_db
def test_orders_whose_window_cannot_be_reached_are_reported_unserved():
    _fleet_and_orders()
    DeliveryOrder.objects.create(
        reference="RT-DAWN",
        date=DAY,
        latitude=Decimal("48.86"),
        longitude=Decimal("2.35"),
        demand=Decimal("1"),
        window_start=dt.time(5),
        window_end=dt.time(6),  # before every shift starts
    )
    plan = services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False)
    plan = services.route_plan_solve(plan_id=plan.pk)
    assert plan.statistics["served"] == 6
    assert [(u["order"], u["reason"]) for u in plan.statistics["unserved"]] == [
        ("RT-DAWN", "window_unreachable")
    ]
    assert not RouteStop.objects.filter(order__reference="RT-DAWN").exists()


@pytest.mark.django_db
def test_an_order_heavier_than_every_vehicle_is_refused_naming_it(api_planner):
    _fleet_and_orders()
    DeliveryOrder.objects.create(
        reference="RT-HEAVY",
        date=DAY,
        latitude=Decimal("48.86"),
        longitude=Decimal("2.35"),
        demand=Decimal("50"),
    )
    with pytest.raises(RoutingInputError) as raised:
        services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False)
    assert list(raised.value.details["orders"]) == ["RT-HEAVY"]
    error = assert_error(api_planner.post("/api/v1/route-plans/", {"date": "2026-03-02"}), 400)
    assert "RT-HEAVY" in error["details"]["orders"]
    assert not RoutePlan.objects.exists()


@pytest.mark.django_db
def test_an_order_added_after_the_start_fails_the_plan_naming_it():
    _fleet_and_orders()
    plan = services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False)
    DeliveryOrder.objects.create(
        reference="RT-HEAVY",
        date=DAY,
        latitude=Decimal("48.86"),
        longitude=Decimal("2.35"),
        demand=Decimal("50"),
    )
    with pytest.raises(RoutingInputError) as raised:
        services.route_plan_solve(plan_id=plan.pk)
    assert raised.value.details["ref"] == "RT-HEAVY"
    plan.refresh_from_db()
    assert plan.status == RoutePlan.Status.FAILED and "RT-HEAVY" in plan.statistics["error"]
    assert not Route.objects.filter(plan=plan).exists()


@pytest.mark.django_db
def test_plan_routes_command_prints_totals(tenant_a):
    _fleet_and_orders()
    out = StringIO()
    call_command(
        "plan_routes", schema=tenant_a.schema_name, date="2026-03-02", seconds=0.5, stdout=out
    )
    assert "6/6 orders on 2 vehicles" in out.getvalue()
    assert RoutePlan.objects.get().job is None


def test_api_plan_is_202_then_the_worker_solves_it(live_worker, live_db, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
        _fleet_and_orders()
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
    try:
        client = client_for(HOST_A, user)
        response = client.post(
            "/api/v1/route-plans/", {"date": "2026-03-02", "time_limit_seconds": 0.5}
        )
        assert response.status_code == 202, response.content
        body = response.json()
        assert response["Location"] == body["url"] and body["status"] == "queued"
        job = wait_for_job(client, body["job_url"])
        assert job["status"] == "succeeded", job
        plan = client.get(response["Location"]).json()
        assert plan["status"] == "succeeded" and len(plan["routes"]) == 2
        assert sum(len(r["stops"]) for r in plan["routes"]) == 6
        assert {r["vehicle_code"] for r in plan["routes"]} == {"VAN-1", "VAN-2"}

        geojson = client.get(f"{body['url']}geojson/").json()
        assert geojson["type"] == "FeatureCollection"
        kinds = [f["geometry"]["type"] for f in geojson["features"]]
        assert kinds.count("LineString") == 2 and kinds.count("Point") == 6
        line = next(f for f in geojson["features"] if f["geometry"]["type"] == "LineString")
        depot = [2.3522, 48.8566]  # [longitude, latitude]
        assert line["geometry"]["coordinates"][0] == pytest.approx(depot)
        assert line["geometry"]["coordinates"][-1] == pytest.approx(depot)

        other = client_for(HOST_B, intruder)
        assert other.get("/api/v1/route-plans/").json()["count"] == 0
        assert_error(other.get(response["Location"]), 404)
        assert_error(other.get(f"{body['url']}geojson/"), 404)
        assert other.get("/api/v1/vehicles/").json()["count"] == 0
    finally:
        with schema_context(tenant_a.schema_name):
            _cleanup()
        delete_users(tenant_a, user)
        delete_users(tenant_b, intruder)


def _order(**overrides) -> dict:
    return {
        "reference": "RT-NEW",
        "date": "2026-03-02",
        "latitude": "48.85",
        "longitude": "2.35",
        "demand": "2",
        "window_start": "09:00",
        "window_end": "11:00",
        **overrides,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": "91"}, "latitude"),
        ({"longitude": "-181"}, "longitude"),
        ({"demand": "-1"}, "demand"),
        ({"window_end": "08:00"}, "window_end"),
    ],
)
def test_bad_delivery_orders_answer_400_naming_the_field(api_planner, overrides, field):
    error = assert_error(api_planner.post("/api/v1/delivery-orders/", _order(**overrides)), 400)
    assert field in error["details"], error
    assert not DeliveryOrder.objects.filter(reference="RT-NEW").exists()


@pytest.mark.django_db
def test_vehicle_crud_and_validation(api_planner):
    depot = Location.objects.create(code="RT-DEPOT", name="Depot", latitude=48.8, longitude=2.3)
    payload = {
        "code": "VAN-9",
        "capacity": "12.5",
        "start_depot": depot.pk,
        "shift_start": "08:00",
        "shift_end": "17:00",
    }
    error = assert_error(
        api_planner.post("/api/v1/vehicles/", {**payload, "shift_end": "07:00"}), 400
    )
    assert "shift_end" in error["details"]
    created = api_planner.post("/api/v1/vehicles/", payload)
    assert created.status_code == 201, created.content
    url = f"/api/v1/vehicles/{created.json()['id']}/"
    assert api_planner.patch(url, {"capacity": "20"}).json()["capacity"] == "20.000"
    assert api_planner.get("/api/v1/vehicles/").json()["count"] == 1
    assert api_planner.delete(url).status_code == 204
    assert_error(
        api_planner.post("/api/v1/route-plans/", {"date": "2026-03-02", "time_limit_seconds": 0}),
        400,
    )


@pytest.mark.django_db
def test_viewer_reads_but_cannot_write(viewer):
    client = client_for(HOST_A, viewer)
    assert_error(client.post("/api/v1/route-plans/", {"date": "2026-03-02"}), 403)
    assert_error(client.post("/api/v1/delivery-orders/", _order()), 403)
    assert client.get("/api/v1/delivery-orders/").status_code == 200
    assert client.get("/api/v1/route-plans/").status_code == 200
    assert not RoutePlan.objects.exists()


@pytest.mark.django_db
def test_tenant_b_cannot_see_tenant_a_vehicles(tenant_b):
    _fleet_and_orders()
    vehicle = Vehicle.objects.first()
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
    other = client_for(HOST_B, intruder)
    assert other.get("/api/v1/vehicles/").json()["count"] == 0
    assert_error(other.get(f"/api/v1/vehicles/{vehicle.pk}/"), 404)
    assert other.get("/api/v1/delivery-orders/").json()["count"] == 0


@pytest.mark.django_db
def test_same_input_reuses_the_cached_solution_and_detail_queries_stay_flat(
    api_planner, django_assert_max_num_queries
):
    _fleet_and_orders()
    first = services.route_plan_solve(
        plan_id=services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False).pk
    )
    second = services.route_plan_solve(
        plan_id=services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False).pk
    )
    assert second.input_hash == first.input_hash
    assert second.objective == first.objective
    assert second.statistics["solver_seconds"] == first.statistics["solver_seconds"]

    # Tenant, authentication, then plan, routes (with vehicles and depots), stops (with
    # orders): flat in the number of routes and stops.
    with django_assert_max_num_queries(10):
        body = api_planner.get(f"/api/v1/route-plans/{second.pk}/").json()
    assert sum(len(r["stops"]) for r in body["routes"]) == 6
    with django_assert_max_num_queries(12):
        listing = api_planner.get("/api/v1/route-plans/").json()
    assert listing["count"] == 2
