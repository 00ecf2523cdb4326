"""Product exclusions: the selector, the API and admin, and every scope the inventory honours."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product, ProductExclusion
from catalog.selectors import excluded_product_ids
from catalog.services import product_exclusion_create
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/inventory/exclusions/"


def _sellers(count: int, location: Location, days: int = 60) -> list[Product]:
    """Products selling 1, 2, … ``count`` units a day at ``location``, no stock (critical)."""
    products = Product.objects.bulk_create(
        Product(sku=f"P{i:02}", name=f"p{i}", unit_price=Decimal("1"), unit_cost=Decimal("1"))
        for i in range(count)
    )
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=day),
            quantity=Decimal(i + 1),
        )
        for i, product in enumerate(products)
        for day in range(days)
    )
    return products


def test_selector_returns_the_products_of_one_scope_in_one_query():
    location = LocationFactory()
    a, b, c = _sellers(3, location, days=1)
    product_exclusion_create(product=a, reason="discontinued", scopes=["abc", "forecast"])
    product_exclusion_create(product=b, reason="consignment", scopes=["recommendations"])
    with CaptureQueriesContext(connection) as queries:
        assert excluded_product_ids(scope="abc") == {a.pk}
    reads = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET ")]
    assert len(reads) == 1, reads
    assert excluded_product_ids(scope="forecast") == {a.pk}
    assert excluded_product_ids(scope="recommendations") == {b.pk}
    assert excluded_product_ids(scope="etl") == set()
    with pytest.raises(ValueError):
        excluded_product_ids(scope="nonsense")
    assert c.pk not in excluded_product_ids(scope="abc")


def test_abc_skips_excluded_products_and_shares_are_of_the_rest():
    location = LocationFactory()
    products = _sellers(10, location)  # demand 1…10 a day: the top product is P09
    inventory_refresh()
    before = dict(InventoryMetrics.objects.values_list("product__sku", "abc_class"))
    assert before["P09"] == "A"
    product_exclusion_create(product=products[9], reason="one-off", scopes=["abc"])
    inventory_refresh()
    after = dict(InventoryMetrics.objects.values_list("product__sku", "abc_class"))
    assert after["P09"] == ""
    # Ranked without P09 (measure 1..9, total 45): A holds the top sellers up to 80%.
    assert after["P08"] == "A" and after["P00"] == "C"
    assert {label for sku, label in after.items() if sku != "P09"} <= {"A", "B", "C"}
    # Unclassified rows still get a policy (the class-B target).
    excluded = InventoryMetrics.objects.get(product=products[9])
    assert excluded.safety_stock > 0 and excluded.status == "critical"


def test_recommendations_skip_excluded_products():
    location = LocationFactory()
    kept, excluded = _sellers(2, location)
    product_exclusion_create(product=excluded, reason="made to order", scopes=["recommendations"])
    inventory_refresh()
    row = InventoryMetrics.objects.get(product=excluded)
    assert (row.status, row.recommended_order_qty, row.latest_order_date) == ("excluded", 0, None)
    assert row.safety_stock > 0  # the policy itself is still shown
    other = InventoryMetrics.objects.get(product=kept)
    assert other.status == "critical" and other.recommended_order_qty > 0


def test_other_scopes_do_not_touch_the_inventory_policy():
    location = LocationFactory()
    [product] = _sellers(1, location)
    product_exclusion_create(product=product, reason="no forecast", scopes=["forecast", "etl"])
    inventory_refresh()
    row = InventoryMetrics.objects.get(product=product)
    assert row.status == "critical" and row.abc_class == "A"


def test_api_crud_planner_writes_viewer_reads(planner, viewer):
    location = LocationFactory()
    [product] = _sellers(1, location, days=1)
    writer = client_for(HOST_A, planner)
    reader = client_for(HOST_A, viewer)
    body = {"product": product.pk, "reason": "discontinued", "scopes": ["abc", "abc", "etl"]}
    assert_error(reader.post(URL, body, format="json"), 403)
    created = writer.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["scopes"] == ["abc", "etl"] and data["sku"] == "P00"
    assert data["created_by"] == planner.username
    assert_error(writer.post(URL, body, format="json"), 409, "exclusion_exists")

    listed = reader.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [data["id"]]
    changed = writer.patch(f"{URL}{data['id']}/", {"scopes": ["forecast"]}, format="json")
    assert changed.status_code == 200 and changed.json()["scopes"] == ["forecast"]
    assert excluded_product_ids(scope="forecast") == {product.pk}
    assert_error(reader.delete(f"{URL}{data['id']}/"), 403)
    assert writer.delete(f"{URL}{data['id']}/").status_code == 204
    assert not ProductExclusion.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x", "scopes": ["abc"]}, "product"),
        ({"product": 999999, "reason": "x", "scopes": ["abc"]}, "product"),
        ({"product": "PRODUCT", "reason": "x", "scopes": ["abc"]}, "product"),
        ({"product": None, "reason": "", "scopes": ["abc"]}, "reason"),
        ({"product": None, "reason": "x", "scopes": []}, "scopes"),
        ({"product": None, "reason": "x", "scopes": ["pricing"]}, "scopes"),
        ({"product": None, "reason": "x", "scopes": "abc"}, "scopes"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api_planner, body, field):
    product = ProductFactory()
    if "product" in body and body["product"] is None:
        body = {**body, "product": product.pk}
    error = assert_error(api_planner.post(URL, body, format="json"), 400)
    assert field in error["details"], error
    assert not ProductExclusion.objects.exists()


def test_an_exclusion_cannot_move_to_another_product(api_planner):
    one, two = ProductFactory.create_batch(2)
    exclusion = product_exclusion_create(product=one, reason="x", scopes=["abc"])
    response = api_planner.patch(f"{URL}{exclusion.pk}/", {"product": two.pk}, format="json")
    assert "product" in assert_error(response, 400)["details"]


def test_tenant_b_cannot_see_or_change_exclusions_of_a(tenant_a, tenant_b):
    product = ProductFactory()
    exclusion = product_exclusion_create(product=product, reason="x", scopes=["abc"])
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
        assert excluded_product_ids(scope="abc") == set()
    other = client_for(HOST_B, intruder)
    assert other.get(URL).json()["count"] == 0
    assert_error(other.get(f"{URL}{exclusion.pk}/"), 404)
    assert_error(other.patch(f"{URL}{exclusion.pk}/", {"reason": "y"}, format="json"), 404)
    assert_error(other.delete(f"{URL}{exclusion.pk}/"), 404)
    connection.set_tenant(tenant_a)
    exclusion.refresh_from_db()
    assert exclusion.reason == "x"


def test_admin_creates_an_exclusion_with_its_author(tenant_admin):
    from django.test import Client

    product = ProductFactory()
    tenant_admin.is_staff = True
    tenant_admin.is_superuser = True
    tenant_admin.save()
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(tenant_admin)
    response = client.post(
        "/admin/catalog/productexclusion/add/",
        {"product": product.pk, "reason": "admin", "scopes": "abc,recommendations"},
    )
    assert response.status_code == 302, response.content[:2000]
    exclusion = ProductExclusion.objects.get()
    assert exclusion.created_by == tenant_admin
    assert exclusion.scopes == ["abc", "recommendations"]
