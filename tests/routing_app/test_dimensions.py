"""Weight and volume, two windows per order, skills, breaks and soft windows through the Django
layer: what the plan stores honours them, and what no vehicle can take is refused naming it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.models import Location
from routing import services
from routing.exceptions import RoutingInputError
from routing.models import DeliveryOrder, Route, RoutePlan, RouteStop, Vehicle
from tests.conftest import assert_error
from tests.factories import DepotFactory, VehicleFactory

DAY = dt.date(2026, 3, 3)
DROPS = [
    (48.87, 2.33),
    (48.875, 2.36),
    (48.86, 2.39),
    (48.845, 2.37),
    (48.84, 2.33),
    (48.855, 2.31),
]


def _depot() -> Location:
    return DepotFactory(code="DM-DEPOT", name="Depot")


def _van(depot: Location, code: str, **fields) -> Vehicle:
    """100 units and 2 m³, 08:00–18:00, a fixed cost of 10 (VehicleFactory's defaults)."""
    fields.setdefault("volume_capacity", Decimal("2"))
    return VehicleFactory(code=code, start_depot=depot, **fields)


def _order(i: int, **fields) -> DeliveryOrder:
    lat, lon = DROPS[i % len(DROPS)]
    values = {"demand": Decimal("1"), "volume": Decimal("0.5"), "service_minutes": 5, **fields}
    return DeliveryOrder.objects.create(
        reference=f"DM-{i}",
        date=DAY,
        latitude=Decimal(str(lat)),
        longitude=Decimal(str(lon)),
        **values,
    )


def _solve(**start) -> RoutePlan:
    plan = services.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False, **start)
    return services.route_plan_solve(plan_id=plan.pk)


@pytest.mark.django_db
def test_volume_binds_before_weight_and_is_never_exceeded():
    depot = _depot()
    for code in ("DM-V1", "DM-V2", "DM-V3"):
        _van(depot, code)
    for i in range(6):
        _order(i)  # 6 × 0.5 m³ = 3 m³: two vans of 2 m³ at least, though weight fits one
    plan = _solve()
    assert plan.statistics["served"] == 6
    routes = list(Route.objects.filter(plan=plan).prefetch_related("stops__order"))
    assert len(routes) >= 2
    for route in routes:
        stops = list(route.stops.all())
        assert route.volume_start == pytest.approx(sum(float(s.order.volume) for s in stops))
        assert route.volume_start <= 2 + 1e-9 and route.load_start <= 100
        assert stops[-1].volume_after == pytest.approx(0)


@pytest.mark.django_db
def test_an_order_served_in_its_second_window_when_the_first_is_too_early():
    depot = _depot()
    _van(depot, "DM-V1", shift_start=dt.time(9))
    # First window closes before the shift starts: only the afternoon window is possible.
    _order(
        0,
        window_start=dt.time(6),
        window_end=dt.time(7),
        window2_start=dt.time(14),
        window2_end=dt.time(15),
    )
    _order(1, window_start=dt.time(9), window_end=dt.time(10))
    plan = _solve()
    assert plan.statistics["served"] == 2, plan.statistics
    stop = RouteStop.objects.get(route__plan=plan, order__reference="DM-0")
    assert dt.time(14) <= stop.service_start <= dt.time(15)


@pytest.mark.django_db
def test_skills_send_an_order_only_to_a_vehicle_that_has_them():
    depot = _depot()
    _van(depot, "DM-COLD", skills=["cold"], fixed_cost=Decimal("500"))
    _van(depot, "DM-PLAIN")
    _order(0, skills=["cold"])
    _order(1)
    plan = _solve()
    assert plan.statistics["served"] == 2
    stop = RouteStop.objects.select_related("route__vehicle").get(order__reference="DM-0")
    assert stop.route.vehicle.code == "DM-COLD"


@pytest.mark.django_db
def test_orders_too_big_in_volume_are_refused_naming_them(api_planner):
    depot = _depot()
    _van(depot, "DM-V1")
    _order(0)
    _order(1, volume=Decimal("3"))  # weight fits, volume does not
    with pytest.raises(RoutingInputError) as raised:
        services.route_plan_start(date=DAY, enqueue=False)
    assert list(raised.value.details["orders"]) == ["DM-1"]
    error = assert_error(api_planner.post("/api/v1/route-plans/", {"date": DAY.isoformat()}), 400)
    assert "DM-1" in error["details"]["orders"]
    assert not RoutePlan.objects.exists()


@pytest.mark.django_db
def test_a_vehicle_without_volume_limit_takes_any_volume():
    depot = _depot()
    _van(depot, "DM-V1", volume_capacity=None)
    _van(depot, "DM-V2")
    _order(0, volume=Decimal("30"))
    assert _solve().statistics["served"] == 1


@pytest.mark.django_db
def test_breaks_choose_ortools_and_the_stored_break_is_inside_its_window():
    depot = _depot()
    _van(
        depot,
        "DM-V1",
        volume_capacity=None,
        break_start=dt.time(11),
        break_end=dt.time(12),
        break_minutes=30,
    )
    for i in range(6):
        _order(i, window_start=dt.time(10, 30), window_end=dt.time(14), service_minutes=20)
    plan = _solve()
    assert plan.statistics["engine"] == "ortools" and plan.statistics["served"] == 6
    route = Route.objects.get(plan=plan)
    assert route.break_minutes == 30 and route.break_after_stop is not None
    assert dt.time(11) <= route.break_start <= dt.time(11, 30)
    # No service overlaps the break.
    begin = dt.datetime.combine(DAY, route.break_start)
    for stop in route.stops.all():
        start = dt.datetime.combine(DAY, stop.service_start)
        end = dt.datetime.combine(DAY, stop.departure)
        assert end <= begin or start >= begin + dt.timedelta(minutes=30)


@pytest.mark.django_db
def test_soft_windows_serve_late_and_report_the_lateness(api_planner):
    depot = _depot()
    _van(depot, "DM-V1", volume_capacity=None)
    for i in range(6):  # six 30-minute services cannot all start by 8:45
        _order(i, window_start=dt.time(8), window_end=dt.time(8, 45), service_minutes=30)
    hard = _solve()
    assert hard.statistics["served"] < 6
    soft = _solve(lateness_cost_per_hour=20.0)
    assert soft.statistics["served"] == 6 and soft.statistics["engine"] == "ortools"
    late = list(RouteStop.objects.filter(route__plan=soft, lateness_minutes__gt=0))
    assert late and soft.objective["lateness_minutes"] == pytest.approx(
        sum(s.lateness_minutes for s in late), abs=0.05
    )
    for stop in late:
        over = dt.datetime.combine(DAY, stop.service_start) - dt.datetime.combine(
            DAY, dt.time(8, 45)
        )
        assert stop.lateness_minutes == pytest.approx(over.total_seconds() / 60, abs=0.02)
    error = assert_error(
        api_planner.post(
            "/api/v1/route-plans/",
            {"date": DAY.isoformat(), "engine": "pyvrp", "lateness_cost_per_hour": 5},
        ),
        400,
    )
    assert "engine" in error["details"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"window2_start": "10:00", "window2_end": "12:00"}, "window2_start"),  # overlaps
        ({"window2_start": "13:00"}, "window2_end"),
        ({"skills": ["no spaces allowed"]}, "skills"),
    ],
)
def test_bad_second_windows_and_skills_answer_400(api_planner, payload, field):
    body = {
        "reference": "DM-NEW",
        "date": DAY.isoformat(),
        "latitude": "48.85",
        "longitude": "2.35",
        "demand": "2",
        "window_start": "09:00",
        "window_end": "11:00",
        **payload,
    }
    error = assert_error(api_planner.post("/api/v1/delivery-orders/", body, format="json"), 400)
    assert field in error["details"], error
    assert not DeliveryOrder.objects.filter(reference="DM-NEW").exists()


@pytest.mark.django_db
def test_a_break_longer_than_its_window_is_refused(api_planner):
    depot = _depot()
    payload = {
        "code": "DM-V9",
        "capacity": "12",
        "start_depot": depot.pk,
        "shift_start": "08:00",
        "shift_end": "17:00",
        "break_start": "12:00",
        "break_end": "12:20",
        "break_minutes": 30,
    }
    error = assert_error(api_planner.post("/api/v1/vehicles/", payload, format="json"), 400)
    assert "break_minutes" in error["details"]
    ok = api_planner.post("/api/v1/vehicles/", {**payload, "break_end": "13:00"}, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["break_minutes"] == 30


@pytest.mark.django_db
def test_plan_routes_command_takes_engine_and_soft_windows(tenant_a):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    depot = _depot()
    _van(depot, "DM-V1", volume_capacity=None)
    _order(0, window_start=dt.time(8), window_end=dt.time(9))
    out = StringIO()
    call_command("plan_routes", schema=tenant_a.schema_name, date=DAY.isoformat(), seconds=0.3,
                 lateness_cost=10.0, no_progress=True, stdout=out)  # fmt: skip
    assert "1/1 orders" in out.getvalue() and "(ortools)" in out.getvalue()
    with pytest.raises(CommandError, match="PyVRP"):
        call_command("plan_routes", schema=tenant_a.schema_name, date=DAY.isoformat(),
                     engine="pyvrp", lateness_cost=10.0, no_progress=True)  # fmt: skip
