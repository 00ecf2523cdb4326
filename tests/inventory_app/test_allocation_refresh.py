"""The aggregate service-level allocation in the metrics refresh (ADR 17): each class's target
holds on average over its cycles, cheap often-ordered items get more, the per-item level is
stored and shown; "item" gives every item its class target; the setting is per tenant."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from inventory.metrics import inventory_refresh, inventory_settings_get, inventory_settings_update
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db

# (sku, unit cost, units a day): cheap fast items through dear slow ones.
ITEMS = (("CHEAP", 2, 40), ("MID", 20, 8), ("DEAR", 400, 3), ("RARE", 150, 1))


def _seed() -> tuple[Location, list[Product]]:
    location = Location.objects.create(code="L", name="l")
    today = timezone.localdate()
    products = []
    for sku, cost, rate in ITEMS:
        product = Product.objects.create(
            sku=sku, name=sku, unit_cost=Decimal(cost), unit_price=Decimal(cost * 2)
        )
        products.append(product)
        DemandHistory.objects.bulk_create(
            DemandHistory(
                product=product,
                location=location,
                date=today - timedelta(days=day),
                quantity=Decimal(rate + (day % 3) - 1),
            )
            for day in range(90)
        )
    # The same target in every class: the allocation still runs per class.
    inventory_settings_update(
        service_level_a=Decimal("0.9"),
        service_level_b=Decimal("0.9"),
        service_level_c=Decimal("0.9"),
    )
    return location, products


def _rows(products) -> list[InventoryMetrics]:
    return [InventoryMetrics.objects.get(product=p) for p in products]


def test_the_class_target_holds_on_average_over_the_cycles_and_cheap_items_get_more():
    _, products = _seed()
    assert inventory_settings_get().service_level_allocation == "aggregate"  # the default
    inventory_refresh()
    rows = _rows(products)
    levels = np.array([r.service_level for r in rows])
    cycles_per_day = np.array([r.mean_daily_demand / r.eoq for r in rows])
    classes = np.array([r.abc_class for r in rows])
    assert set(classes) == {"A", "B"}  # two items in each (by revenue)
    # Per class, expected stockout cycles as the target's: Σ n_i (1 − α_i) = Σ n_i (1 − 0.9),
    # although every class has the same target (one allocation per class, not per target).
    for label in ("A", "B"):
        rows_in = classes == label
        assert np.sum(cycles_per_day[rows_in] * (1 - levels[rows_in])) == pytest.approx(
            np.sum(cycles_per_day[rows_in] * 0.1), rel=1e-3
        )
    assert levels[0] > 0.9 > levels[2]  # the cheap fast item above, the dear one below
    assert np.all((levels >= 0.7) & (levels <= 0.999))

    inventory_settings_update(service_level_allocation="item")
    inventory_refresh()
    item_rows = _rows(products)
    assert [r.service_level for r in item_rows] == pytest.approx([0.9] * len(ITEMS))
    # The dear item's safety stock was lower under the allocation, the cheap one's higher.
    assert rows[2].safety_stock < item_rows[2].safety_stock
    assert rows[0].safety_stock > item_rows[0].safety_stock


def test_the_level_is_in_the_api_and_the_setting_is_validated_and_per_tenant(tenant_a, tenant_b):
    _seed()
    inventory_refresh()
    admin = client_for(HOST_A, make_user(User.Role.ADMIN))
    body = admin.get("/api/v1/inventory/metrics/?page_size=10").json()
    assert {"service_level", "safety_stock"} <= set(body["results"][0])
    error = assert_error(
        admin.put(
            "/api/v1/inventory/settings", {"service_level_allocation": "magic"}, format="json"
        ),
        400,
    )
    assert "service_level_allocation" in str(error["details"])
    assert inventory_settings_get().service_level_allocation == "aggregate"  # nothing written
    response = admin.put(
        "/api/v1/inventory/settings", {"service_level_allocation": "item"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["service_level_allocation"] == "item"
    with schema_context(tenant_b.schema_name):
        assert inventory_settings_get().service_level_allocation == "aggregate"
        intruder = make_user(User.Role.ADMIN)
    other = client_for(HOST_B, intruder)
    assert other.get("/api/v1/inventory/settings").json()["service_level_allocation"] == (
        "aggregate"
    )
