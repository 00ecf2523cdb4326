"""The what-to-order page's "add to cart": chosen metrics rows become cart lines, whatever
their status, and the rest of the cart stays; viewers cannot."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics
from purchasing.cart_service import cart_build
from purchasing.models import OrderSuggestion
from tests.conftest import HOST_A, make_user

pytestmark = pytest.mark.django_db


def _selling(sku: str, location: Location) -> Product:
    product = Product.objects.create(sku=sku, name=sku, unit_price=Decimal("10"))
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=d),
            quantity=Decimal("5"),
        )
        for d in range(60)
    )
    return product


def _client(role: str) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(make_user(role))
    return client


def test_chosen_rows_join_the_cart_and_the_rest_stays():
    store = Location.objects.create(code="CA-S", name="s", kind="store")
    first, second = _selling("CA-1", store), _selling("CA-2", store)
    inventory_refresh()  # no stock: both need ordering
    cart_build()
    lines = {line.product_id: line.pk for line in OrderSuggestion.objects.filter(status="open")}
    assert set(lines) == {first.pk, second.pk}
    chosen = InventoryMetrics.objects.get(product=first)
    response = _client(User.Role.PLANNER).post("/app/cart/add/", {"rows": [chosen.pk]})
    assert response.status_code == 302 and response["Location"] == "/app/cart/"
    after = {line.product_id: line.pk for line in OrderSuggestion.objects.filter(status="open")}
    assert set(after) == {first.pk, second.pk}
    assert after[second.pk] == lines[second.pk]  # untouched
    assert after[first.pk] != lines[first.pk]  # refreshed


def test_a_row_that_needs_nothing_joins_with_a_zero_quantity_reason_and_viewers_cannot_add():
    store = Location.objects.create(code="CA-T", name="t", kind="store")
    product = _selling("CA-3", store)
    InventoryMetrics.objects.all().delete()
    inventory_refresh()
    row = InventoryMetrics.objects.get(product=product)
    InventoryMetrics.objects.filter(pk=row.pk).update(status="ok", recommended_order_qty=0)
    assert _client(User.Role.VIEWER).post("/app/cart/add/", {"rows": [row.pk]}).status_code == 403
    assert not OrderSuggestion.objects.exists()
    _client(User.Role.PLANNER).post("/app/cart/add/", {"rows": [row.pk]})
    [line] = OrderSuggestion.objects.filter(product=product)
    assert line.reason is not None  # no supplier / nothing to buy: shown, not kept
