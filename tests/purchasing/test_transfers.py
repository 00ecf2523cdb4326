"""Transfer orders: draft → shipped → received (or cancelled), stock through the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.models import User
from catalog.models import Location, Product, StockLevel, StockMovement
from catalog.services import StockChange, stock_change
from core.models import AuditLog
from purchasing.transfers import TransferLineInput, transfer_order_create
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


def _setup(dc, product, stock="50", quantity="8"):
    store = Location.objects.create(code="S1", name="Store", kind="store", replenished_from=dc)
    stock_change(changes=[StockChange(product.pk, dc.pk, Decimal(stock), "receipt")])
    order = transfer_order_create(
        from_location=dc,
        to_location=store,
        lines=[TransferLineInput(product.pk, Decimal(quantity))],
    )
    return store, order


def _level(product, location):
    return StockLevel.objects.get(product=product, location=location)


def _ledger(product, location):
    total = StockMovement.objects.filter(product=product, location=location).aggregate(
        s=Sum("quantity")
    )["s"]
    return total or Decimal("0")


def test_ship_and_receive_move_stock_through_the_ledger(api_planner, dc, product):
    store, order = _setup(dc, product)
    url = f"/api/v1/transfer-orders/{order.pk}"
    body = api_planner.get(f"{url}/").json()
    assert body["status"] == "draft" and body["lines"][0]["sku"] == "BEANS"
    error = assert_error(api_planner.post(f"{url}/receive/"), 409)
    assert error["details"]["allowed"] == ["ship", "cancel"]

    shipped = api_planner.post(f"{url}/ship/")
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["lines"][0]["shipped_quantity"] == "8.000"
    assert _level(product, dc).on_hand == Decimal("42")
    assert _level(product, store).on_order == Decimal("8")
    assert _level(product, store).on_hand == 0
    assert_error(api_planner.post(f"{url}/cancel"), 409)

    received = api_planner.post(f"{url}/receive")
    assert received.json()["status"] == "received"
    assert received.json()["lines"][0]["received_quantity"] == "8.000"
    assert _level(product, store).on_hand == Decimal("8")
    assert _level(product, store).on_order == 0
    # On-hand is the sum of the ledger's movements at both ends.
    for location in (dc, store):
        assert _level(product, location).on_hand == _ledger(product, location)
    kinds = set(
        StockMovement.objects.filter(reference=order.reference).values_list("kind", flat=True)
    )
    assert kinds == {"transfer_out", "transfer_in"}
    assert list(
        AuditLog.objects.filter(object_type="purchasing.transferorder", object_id=str(order.pk))
        .order_by("id")
        .values_list("changes__transition", flat=True)
    ) == ["create", "ship", "receive"]
    assert api_planner.post(f"{url}/ship/").status_code == 409


def test_shipping_without_the_stock_is_409_and_moves_nothing(api_planner, dc, product):
    store, order = _setup(dc, product, stock="5", quantity="8")
    assert_error(api_planner.post(f"/api/v1/transfer-orders/{order.pk}/ship/"), 409)
    assert _level(product, dc).on_hand == Decimal("5")
    assert not StockLevel.objects.filter(product=product, location=store, on_order__gt=0).exists()
    order.refresh_from_db()
    assert order.status == "draft"


def test_cancel_only_from_draft_and_viewers_only_read(api_planner, dc, product):
    _store, order = _setup(dc, product)
    viewer = client_for(HOST_A, make_user(User.Role.VIEWER))
    listed = viewer.get("/api/v1/transfer-orders/").json()
    assert listed["count"] == 1 and listed["results"][0]["reference"] == order.reference
    assert_error(viewer.post(f"/api/v1/transfer-orders/{order.pk}/ship/"), 403)
    cancelled = api_planner.post(f"/api/v1/transfer-orders/{order.pk}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    error = assert_error(api_planner.post(f"/api/v1/transfer-orders/{order.pk}/ship/"), 409)
    assert error["details"]["allowed"] == []
    assert _level(product, dc).on_hand == Decimal("50")


def test_tenant_b_cannot_see_tenant_a_transfer_orders(tenant_a, tenant_b):
    connection.set_tenant(tenant_a)
    dc = Location.objects.create(code="DC-A", name="DC")
    product = Product.objects.create(sku="A-ONLY", name="A")
    _store, order = _setup(dc, product)
    connection.set_tenant(tenant_b)
    b_admin = client_for(HOST_B, make_user(User.Role.ADMIN))
    assert b_admin.get("/api/v1/transfer-orders/").json()["count"] == 0
    assert_error(b_admin.get(f"/api/v1/transfer-orders/{order.pk}/"), 404)
    assert_error(b_admin.post(f"/api/v1/transfer-orders/{order.pk}/ship/"), 404)
    connection.set_tenant(tenant_a)
    order.refresh_from_db()
    assert order.status == "draft"
