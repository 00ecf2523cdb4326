"""Faults that must degrade, not break: a cache (Redis) that stops answering, and deletes that
a protecting foreign key refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from catalog.models import Location, Product
from catalog.services import StockChange, stock_change
from core.cache import CACHE_FAILURES, cached
from tests.conftest import HOST_A, PASSWORD, assert_error, client_for, skip_unless_required
from tests.processes import start_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of the test's own (never the shared one), stopped by the test when it likes."""
    started = start_redis(tmp_path)
    if started is None:
        skip_unless_required("redis-server is not installed", required_by="REQUIRE_REDIS_SERVER")
    process, port = started
    from django.conf import settings

    caches = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    caches["default"]["OPTIONS"] = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
    with override_settings(CACHES=caches):
        yield process
    process.kill()
    process.wait()


def _failures(operation: str) -> float:
    return CACHE_FAILURES.labels(operation=operation)._value.get()


def test_cached_reads_compute_when_redis_stops(private_redis, planner):
    calls = []
    assert cached("inventory", "k", compute=lambda: calls.append(1) or 41) == 41
    assert cached("inventory", "k", compute=lambda: calls.append(1) or 42) == 41  # cached
    private_redis.kill()
    private_redis.wait()
    before = _failures("get")
    assert cached("inventory", "k", compute=lambda: calls.append(1) or 43) == 43
    assert _failures("get") == before + 1
    # Endpoints that read through the cache answer 200, not 500.
    response = client_for(HOST_A, planner).get("/api/v1/inventory/dashboard/")
    assert response.status_code == 200, response.content
    # A write that bumps a namespace does not fail either.
    product = Product.objects.create(sku="F-1", name="f")
    patched = client_for(HOST_A, planner).patch(
        f"/api/v1/products/{product.pk}/", {"name": "g"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    # Rate limits, login limits and the lockout live in the cache too: they fail open
    # (ADR 25), so people can still log in while Redis is down.
    login = client_for(HOST_A).post(
        "/api/v1/auth/token", {"username": planner.username, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content


def test_deleting_a_product_still_used_answers_409_with_what_uses_it(planner):
    product = Product.objects.create(sku="USED", name="used")
    location = Location.objects.create(code="U-L", name="l")
    stock_change(changes=[StockChange(product.pk, location.pk, Decimal("3"), "receipt", "r")])
    response = client_for(HOST_A, planner).delete(f"/api/v1/products/{product.pk}/")
    error = assert_error(response, 409, "conflict")
    assert error["details"]["used_by"] == {"catalog.stocklevel": 1, "catalog.stockmovement": 1}
    assert Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_vehicle_a_delivery_order_or_a_supplier_still_used_answers_409(planner):
    """The other protected rows the issue found (and every PROTECT answers the same way):
    a vehicle on a planned route, an order that is a stop, a supplier with an order."""
    from purchasing.models import PurchaseOrder, Supplier
    from routing import services as routing
    from routing.models import DeliveryOrder, Route, RouteStop, Vehicle
    from tests.routing_app.test_route_plans import DAY, _fleet_and_orders

    orders = _fleet_and_orders()
    plan = routing.route_plan_solve(
        plan_id=routing.route_plan_start(date=DAY, time_limit_seconds=0.5, enqueue=False).pk
    )
    route = Route.objects.filter(plan=plan).first()
    stop = RouteStop.objects.filter(route__plan=plan).first()
    assert route is not None and stop is not None
    client = client_for(HOST_A, planner)
    error = assert_error(client.delete(f"/api/v1/vehicles/{route.vehicle_id}/"), 409, "conflict")
    assert error["details"]["used_by"]["routing.route"] >= 1
    error = assert_error(
        client.delete(f"/api/v1/delivery-orders/{stop.order_id}/"), 409, "conflict"
    )
    assert error["details"]["used_by"] == {"routing.routestop": 1}
    assert Vehicle.objects.filter(pk=route.vehicle_id).exists()
    assert DeliveryOrder.objects.filter(pk=stop.order_id).count() == 1 and orders

    supplier = Supplier.objects.create(code="USED-S", name="s")
    PurchaseOrder.objects.create(
        reference="USED-PO", supplier=supplier, location=Location.objects.create(code="P-L")
    )
    error = assert_error(client.delete(f"/api/v1/suppliers/{supplier.pk}/"), 409, "conflict")
    assert error["details"]["used_by"] == {"purchasing.purchaseorder": 1}
