"""The inventory dashboard: API, cache per tenant, page."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from catalog.services import StockChange, stock_change
from core.cache import bump_namespace
from inventory.dashboard import inventory_dashboard_compute
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/inventory/dashboard/"


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache(tenant_a, tenant_b):
    """The cache outlives each test's rolled-back transaction: start from new versions."""
    for tenant in (tenant_b, tenant_a):
        with schema_context(tenant.schema_name):
            bump_namespace("inventory")
    connection.set_tenant(tenant_a)


def _dataset(tag: str = "A", cost: str = "3") -> tuple[Product, Location]:
    location = Location.objects.create(code=f"W{tag}", name="warehouse")
    product = Product.objects.create(sku=f"DASH{tag}", name="dash", unit_cost=Decimal(cost))
    idle = Product.objects.create(sku=f"IDLE{tag}", name="idle", unit_cost=Decimal("10"))
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=day),
            quantity=Decimal(4),
            revenue=Decimal(8),
            stockout=(day % 10 == 0) if day < 40 else None,
        )
        for day in range(60)
    )
    stock_change(
        changes=[
            StockChange(product.pk, location.pk, Decimal(100), "receipt"),
            StockChange(idle.pk, location.pk, Decimal(5), "receipt"),
        ]
    )
    return product, location


def test_dashboard_numbers_add_up(api_planner):
    product, _ = _dataset()
    inventory_refresh()
    body = api_planner.get(f"{URL}?period=daily").json()
    assert body["inventory_value"] == pytest.approx(100 * 3 + 5 * 10)
    assert body["rows"] == 2 == sum(body["status_counts"].values())
    assert body["status_counts"]["dead_stock"] == 1
    assert sum(body["stockout_risk_buckets"].values()) == 2
    risk = InventoryMetrics.objects.get(product=product).stockout_risk
    assert body["estimated_service_level"] == pytest.approx(1 - risk)
    # 40 flagged days, every tenth out of stock.
    assert body["realised_service_level"] == {
        "in_stock_rate": pytest.approx(0.9),
        "days_with_flag": 40,
        "days_out_of_stock": 4,
        "days_counted": 40,
        "basis": "flagged_days",
    }
    trend = body["trend"]
    assert len(trend["periods"]) == 30 and trend["periods"][-1] == timezone.localdate().isoformat()
    assert trend["sales_quantity"] == [4.0] * 30 and trend["sales_revenue"] == [8.0] * 30
    # The receipts happened today, the ledger's first movements: no history before today.
    assert trend["inventory_value"][-1] == pytest.approx(350)
    assert trend["inventory_value"][:-1] == [None] * 29
    assert body["stock_history_from"] == timezone.localdate().isoformat()
    # Most at risk: the product with demand (the idle one is dead stock).
    assert [row["sku"] for row in body["at_risk"]] == [product.sku]
    assert body["at_risk"][0]["stockout_risk"] == pytest.approx(risk)


@pytest.mark.parametrize(("period", "count"), [("daily", 30), ("weekly", 26), ("monthly", 12)])
def test_trend_periods(period, count):
    _dataset()
    body = inventory_dashboard_compute(period=period)
    periods = body["trend"]["periods"]
    assert len(periods) == count == len(set(periods)) and periods == sorted(periods)
    # 60 days × 4 units, all inside the 26 weeks and the 12 months.
    if period != "daily":
        assert sum(body["trend"]["sales_quantity"]) == pytest.approx(240)


def test_bad_period_is_400_and_viewers_may_read(viewer):
    client = client_for(HOST_A, viewer)
    assert "period" in assert_error(client.get(f"{URL}?period=hourly"), 400)["details"]
    assert client.get(URL).status_code == 200
    assert_error(client_for(HOST_A).get(URL), 401)


def test_cached_per_tenant_and_invalidated_by_refresh(api_planner, tenant_a, tenant_b):
    product, location = _dataset()
    inventory_refresh()
    first = api_planner.get(URL).json()
    stock_change(changes=[StockChange(product.pk, location.pk, Decimal(10), "receipt")])
    assert api_planner.get(URL).json()["inventory_value"] == first["inventory_value"]  # cached
    inventory_refresh()
    assert api_planner.get(URL).json()["inventory_value"] == pytest.approx(380)

    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
        _dataset(tag="B", cost="1")
    other = client_for(HOST_B, intruder).get(URL).json()
    assert other["inventory_value"] == pytest.approx(100 + 50)  # B's own, not A's cache
    assert other["rows"] == 0  # B never refreshed
    assert api_planner.get(URL).json()["inventory_value"] == pytest.approx(380)
    connection.set_tenant(tenant_a)


def _page_client(host: str, user: User) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def _page_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="dashboard-data" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_page_shows_the_tenants_own_dashboard(viewer, tenant_a, tenant_b):
    _dataset()
    inventory_refresh()
    response = _page_client(HOST_A, viewer).get("/app/dashboard/?period=monthly")
    assert response.status_code == 200
    assert b"pages/dashboard.js" in response.content and b"status-chart" in response.content
    data = _page_data(response)
    assert data["inventory_value"] == pytest.approx(350) and data["period"] == "monthly"

    anonymous = Client(HTTP_HOST=HOST_A).get("/app/dashboard/")
    assert anonymous.status_code == 302 and "/app/login/" in anonymous["Location"]

    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.VIEWER)
        page = _page_client(HOST_B, intruder).get("/app/dashboard/?period=nonsense")
    assert page.status_code == 200
    data = _page_data(page)
    assert (data["inventory_value"], data["rows"], data["period"]) == (0, 0, "weekly")
    assert b"No inventory metrics yet" in page.content
    connection.set_tenant(tenant_a)


def test_a_session_of_tenant_a_does_not_open_the_page_of_b(viewer, tenant_a):
    client = _page_client(HOST_A, viewer)
    client.defaults["HTTP_HOST"] = HOST_B
    response = client.get("/app/dashboard/")
    assert response.status_code == 302  # B has no such session: to B's login
    connection.set_tenant(tenant_a)
