"""Locations: CRUD, coordinate validation, 409 on deleting a used location, reassignment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from catalog.models import DemandHistory, Location, Product, StockLevel, StockMovement
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.factories import LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db


def test_location_crud_and_coordinate_validation(api_planner):
    created = api_planner.post(
        "/api/v1/locations/",
        {
            "code": "DC1",
            "name": "Main DC",
            "kind": "warehouse",
            "latitude": "52.52",
            "longitude": "13.405",
        },
    )
    assert created.status_code == 201, created.content
    location_id = created.json()["id"]
    bad = api_planner.post(
        "/api/v1/locations/", {"code": "X", "name": "X", "latitude": "91", "longitude": "-181"}
    )
    details = assert_error(bad, 400, "validation_error")["details"]
    assert {"latitude", "longitude"} <= set(details)
    duplicate = api_planner.post("/api/v1/locations/", {"code": "DC1", "name": "again"})
    assert "code" in assert_error(duplicate, 400)["details"]
    patched = api_planner.patch(f"/api/v1/locations/{location_id}/", {"name": "Central DC"})
    assert patched.json()["name"] == "Central DC"
    assert api_planner.delete(f"/api/v1/locations/{location_id}/").status_code == 204
    assert not Location.objects.filter(pk=location_id).exists()


def _used_location() -> tuple[Location, Location, Product]:
    product, other = ProductFactory.create_batch(2)
    source, target = LocationFactory.create_batch(2, kind=Location.Kind.STORE)
    for item in (product, other):
        stock(item, source, 5)
    stock(product, target, 2)
    DemandHistory.objects.bulk_create(
        [
            DemandHistory(product=product, location=source, date=date(2026, 1, d), quantity=d)
            for d in (1, 2, 3)
        ]
        + [
            DemandHistory(
                product=product,
                location=target,
                date=date(2026, 1, 1),
                quantity=10,
                revenue=Decimal("4.00"),
            )
        ]
    )
    return source, target, product


def test_deleting_a_used_location_is_409_with_counts(api_planner):
    source, _target, _product = _used_location()
    response = api_planner.delete(f"/api/v1/locations/{source.pk}/")
    error = assert_error(response, 409, "location_in_use")
    assert error["details"] == {
        "products_with_stock": 2,
        "stock_movements": 2,
        "sales_history_rows": 3,
    }
    assert "2 products with stock" in error["message"]
    assert "3 sales history rows" in error["message"]
    assert Location.objects.filter(pk=source.pk).exists()


def test_reassign_moves_everything_then_delete_succeeds(api_planner):
    source, target, product = _used_location()
    response = api_planner.post(f"/api/v1/locations/{source.pk}/reassign/", {"target": target.pk})
    assert response.status_code == 200, response.content
    assert response.json()["moved"] == {
        "stock_levels": 2,
        "stock_movements": 2,
        "sales_history_rows": 3,
    }
    level = StockLevel.objects.get(product=product, location=target)
    assert level.on_hand == Decimal("7")
    assert sum(
        m.quantity for m in StockMovement.objects.filter(product=product, location=target)
    ) == Decimal("7")
    merged = DemandHistory.objects.get(product=product, location=target, date=date(2026, 1, 1))
    assert merged.quantity == Decimal("11") and merged.revenue == Decimal("4.00")
    assert api_planner.delete(f"/api/v1/locations/{source.pk}/").status_code == 204
    assert_error(
        api_planner.post(f"/api/v1/locations/{target.pk}/reassign/", {"target": target.pk}), 400
    )


def test_locations_of_a_are_invisible_and_untouchable_on_b(api_planner, tenant_a, tenant_b):
    location = LocationFactory()
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    client_b = client_for(HOST_B, intruder)
    assert client_b.get("/api/v1/locations/").json()["count"] == 0
    assert_error(client_b.get(f"/api/v1/locations/{location.pk}/"), 404)
    assert_error(client_b.delete(f"/api/v1/locations/{location.pk}/"), 404)
    with schema_context(tenant_a.schema_name):
        assert Location.objects.filter(pk=location.pk).exists()


def test_stock_movement_api(api_planner, viewer):
    product = Product.objects.create(sku="SKU-9", name="Nine")
    dc = Location.objects.create(code="DC9", name="DC")
    store = Location.objects.create(code="ST9", name="Store", kind="store")
    receipt = api_planner.post(
        "/api/v1/stock-movements/",
        {"product": product.pk, "location": dc.pk, "kind": "receipt", "quantity": "10"},
    )
    assert receipt.status_code == 201, receipt.content
    oversell = api_planner.post(
        "/api/v1/stock-movements/",
        {"product": product.pk, "location": dc.pk, "kind": "sale", "quantity": "-11"},
    )
    assert_error(oversell, 409, "insufficient_stock")
    moved = api_planner.post(
        "/api/v1/stock-movements/transfer/",
        {"product": product.pk, "from_location": dc.pk, "to_location": store.pk, "quantity": "4"},
    )
    assert moved.status_code == 201
    levels = client_for(HOST_A, viewer).get("/api/v1/stock-levels/", {"sku": "SKU-9"}).json()
    assert {row["location_code"]: row["on_hand"] for row in levels["results"]} == {
        "DC9": "6.000",
        "ST9": "4.000",
    }
    assert_error(client_for(HOST_A, viewer).post("/api/v1/stock-movements/", {}), 403)
