"""Tenant B can neither see nor touch tenant A's suppliers, cart lines or purchase orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import User
from catalog.models import Location, Product
from purchasing import services
from purchasing.models import OrderSuggestion, Supplier
from tests.conftest import HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


def test_tenant_b_cannot_see_or_touch_tenant_a_purchasing(tenant_a, tenant_b):
    connection.set_tenant(tenant_a)
    supplier = Supplier.objects.create(code="SECRET", name="A's supplier")
    dc = Location.objects.create(code="DC-A", name="DC")
    product = Product.objects.create(sku="A-ONLY", name="A")
    order = services.purchase_order_create(
        supplier=supplier,
        location=dc,
        lines=[services.OrderLineInput(product_id=product.pk, quantity=Decimal("1"))],
    )
    line = OrderSuggestion.objects.create(product=product, location=dc, quantity=Decimal("1"))
    connection.set_tenant(tenant_b)
    b_admin = client_for(HOST_B, make_user(User.Role.ADMIN))
    assert b_admin.get("/api/v1/suppliers/").json()["count"] == 0
    assert b_admin.get("/api/v1/purchase-orders/").json()["count"] == 0
    assert b_admin.get("/api/v1/order-suggestions/").json()["count"] == 0
    assert_error(b_admin.get(f"/api/v1/suppliers/{supplier.pk}/"), 404)
    assert_error(b_admin.patch(f"/api/v1/suppliers/{supplier.pk}/", {"name": "x"}), 404)
    assert_error(b_admin.get(f"/api/v1/purchase-orders/{order.pk}/"), 404)
    assert_error(b_admin.post(f"/api/v1/purchase-orders/{order.pk}/approve/"), 404)
    assert_error(b_admin.get(f"/api/v1/purchase-orders/{order.pk}/export?format=csv"), 404)
    assert_error(b_admin.delete(f"/api/v1/order-suggestions/{line.pk}/"), 404)
    export = b_admin.get("/api/v1/exports/purchase-orders/?format=csv")
    assert export.status_code == 200
    assert b"SECRET" not in b"".join(export.streaming_content)
    connection.set_tenant(tenant_a)
    assert Supplier.objects.get(pk=supplier.pk).name == "A's supplier"
    assert OrderSuggestion.objects.filter(pk=line.pk).exists()
