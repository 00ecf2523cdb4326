"""``GET /api/v1/products`` filtered and ordered on the inventory metrics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from catalog.services import StockChange, product_exclusion_create, stock_change
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics, ProductInventorySummary
from tests.conftest import HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/products/"


def _dataset(count: int = 12, prefix: str = "S") -> tuple[Location, Location]:
    """``count`` products at two locations with demand and stock varying per product, so the
    statuses, risks and covers spread; one product without any data."""
    north, _ = Location.objects.get_or_create(code="NORTH", defaults={"name": "north"})
    south, _ = Location.objects.get_or_create(code="SOUTH", defaults={"name": "south"})
    products = Product.objects.bulk_create(
        Product(
            sku=f"{prefix}{i:02}",
            name=f"s{i}",
            unit_cost=Decimal("2"),
            unit_price=Decimal("5"),
            lead_time_days=5,
        )
        for i in range(count)
    )
    Product.objects.create(sku=f"NODATA{prefix}", name="nothing")
    today = timezone.localdate()
    sales = []
    changes = []
    for i, product in enumerate(products):
        for location, rate in ((north, i % 5), (south, (i * 7) % 4)):
            if rate:
                sales += [
                    DemandHistory(
                        product=product,
                        location=location,
                        date=today - timedelta(days=day),
                        quantity=Decimal(rate + (day % 3)),
                    )
                    for day in range(0, 90, 1 + i % 2)
                ]
            stock = (i * 37) % 200
            if stock:
                changes.append(StockChange(product.pk, location.pk, Decimal(stock), "adjustment"))
    DemandHistory.objects.bulk_create(sales)
    stock_change(changes=changes)
    product_exclusion_create(product=products[3], reason="x", scopes=["recommendations"])
    product_exclusion_create(product=products[4], reason="y", scopes=["forecast"])
    inventory_refresh()
    return north, south


def _get(client, query: str) -> list[dict]:
    response = client.get(f"{URL}?page_size=1000&{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _skus(client, query: str) -> set[str]:
    return {row["sku"] for row in _get(client, query)}


def _summary_rows() -> list[dict]:
    return list(
        ProductInventorySummary.objects.values(
            "product__sku",
            "status",
            "stockout_risk",
            "on_hand",
            "days_of_cover",
            "abc_class",
            "xyz_class",
            "product__exclusion",
        )
    )


def _metric_rows(location: Location) -> list[dict]:
    rows = InventoryMetrics.objects.filter(location=location).values(
        "product__sku",
        "status",
        "stockout_risk",
        "on_hand",
        "days_of_cover",
        "abc_class",
        "xyz_class",
        "product__exclusion",
    )
    return list(rows)


def _between(value, low, high) -> bool:
    return value is not None and low <= value <= high


FILTERS = [
    ("status=critical", lambda r: r["status"] == "critical"),
    ("status=ok&status=overstock", lambda r: r["status"] in ("ok", "overstock")),
    ("status=excluded", lambda r: r["status"] == "excluded"),
    ("stockout_risk_min=0.5", lambda r: _between(r["stockout_risk"], 0.5, 1)),
    ("stockout_risk_max=0.2", lambda r: _between(r["stockout_risk"], 0, 0.2)),
    (
        "stockout_risk_min=0.1&stockout_risk_max=0.9",
        lambda r: _between(r["stockout_risk"], 0.1, 0.9),
    ),
    ("on_hand_min=50&on_hand_max=250", lambda r: _between(r["on_hand"], 50, 250)),
    ("on_hand_max=0", lambda r: _between(r["on_hand"], -1e9, 0)),
    ("days_of_cover_min=10", lambda r: _between(r["days_of_cover"], 10, 1e18)),
    ("days_of_cover_max=10", lambda r: _between(r["days_of_cover"], 0, 10)),
    ("abc_class=A", lambda r: r["abc_class"] == "A"),
    ("abc_class=B&abc_class=C", lambda r: r["abc_class"] in ("B", "C")),
    ("xyz_class=Z", lambda r: r["xyz_class"] == "Z"),
    ("excluded=true", lambda r: r["product__exclusion"] is not None),
    (
        "excluded=false&status=critical",
        lambda r: r["product__exclusion"] is None and r["status"] == "critical",
    ),
]


@pytest.mark.parametrize(("query", "matches"), FILTERS, ids=[q for q, _ in FILTERS])
def test_filters_return_exactly_the_matching_products(api_planner, query, matches):
    north, south = _dataset()
    summed = {r["product__sku"] for r in _summary_rows() if matches(r)}
    assert _skus(api_planner, query) == summed
    for location in (north, south):
        here = {r["product__sku"] for r in _metric_rows(location) if matches(r)}
        assert _skus(api_planner, f"{query}&location={location.code}") == here


def test_the_dataset_spreads_over_the_filters(api_planner):
    """Guard for the table above: most filters match some but not all products."""
    _dataset()
    everything = _skus(api_planner, "")
    assert "NODATAS" in everything and len(everything) == 13
    non_trivial = [q for q, _ in FILTERS if 0 < len(_skus(api_planner, q)) < 12]
    assert len(non_trivial) >= 10, non_trivial


def test_summary_adds_up_the_locations(api_planner):
    _dataset()
    rows = {row["sku"]: row for row in _get(api_planner, "")}
    at_north = {row["sku"]: row for row in _get(api_planner, "location=NORTH")}
    at_south = {row["sku"]: row for row in _get(api_planner, "location=SOUTH")}
    for sku in ("S01", "S05", "S06"):
        total = rows[sku]["inventory"]
        parts = [at_north[sku]["inventory"], at_south[sku]["inventory"]]
        stocks = [part["on_hand"] for part in parts if part]
        assert total["on_hand"] == pytest.approx(sum(stocks))
        risks = [part["stockout_risk"] for part in parts if part and part["stockout_risk"]]
        if risks:
            assert total["stockout_risk"] == pytest.approx(max(risks))
    # Every product gets a summary row, no_data where nothing is known.
    assert rows["NODATAS"]["inventory"]["status"] == "no_data"
    assert rows["NODATAS"]["inventory"]["stockout_risk"] is None
    assert rows["NODATAS"]["excluded"] is False
    assert at_north["NODATAS"]["inventory"] is None  # no metrics row at the location
    assert rows["S03"]["excluded"] is True and rows["S03"]["inventory"]["status"] == "excluded"


def test_ordering_by_risk_cover_stock_and_sku_with_nulls_last(api_planner):
    _dataset()
    for field in ("stockout_risk", "days_of_cover", "on_hand"):
        for sign in ("", "-"):
            rows = _get(api_planner, f"ordering={sign}{field}")
            values = [row["inventory"] and row["inventory"][field] for row in rows]
            known = [v for v in values if v is not None]
            assert values[: len(known)] == known, (field, sign)  # NULLs last
            assert known == sorted(known, reverse=bool(sign)), (field, sign)
    skus = [row["sku"] for row in _get(api_planner, "ordering=-sku")]
    assert skus == sorted(skus, reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stockout_risk_min=1.5", "stockout_risk_min"),
        ("stockout_risk_max=-0.1", "stockout_risk_max"),
        ("stockout_risk_min=high", "stockout_risk_min"),
        ("on_hand_min=lots", "on_hand_min"),
        ("days_of_cover_min=-3", "days_of_cover_min"),
        ("status=sold_out", "status"),
        ("abc_class=D", "abc_class"),
        ("excluded=maybe", "excluded"),
        ("location=NOWHERE", "location"),
    ],
)
def test_bad_filters_are_400(api_planner, query, field):
    Location.objects.create(code="NORTH", name="north")
    error = assert_error(api_planner.get(f"{URL}?{query}"), 400)
    assert field in error["details"], error


def test_query_count_is_fixed(api_planner, django_assert_max_num_queries):
    _dataset(5)
    queries = "status=critical&status=ok&ordering=-stockout_risk&excluded=false"
    with django_assert_max_num_queries(20) as small:
        _get(api_planner, queries)
        _get(api_planner, f"{queries}&location=NORTH")
    _dataset(30, prefix="T")  # a bigger tenant: many more products and rows
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(_get(api_planner, queries)) > 5
        _get(api_planner, f"{queries}&location=NORTH")


def test_products_of_tenant_a_stay_invisible_to_b(tenant_a, tenant_b):
    _dataset(5)
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.VIEWER)
    other = client_for(HOST_B, intruder)
    assert other.get(URL).json()["count"] == 0
    assert other.get(f"{URL}?status=critical").json()["count"] == 0
    assert_error(other.get(f"{URL}?location=NORTH"), 400)  # A's location is unknown on B
    connection.set_tenant(tenant_a)


def test_a_product_created_after_the_refresh_is_listed_but_not_ranked(api_planner):
    _dataset(5)
    Product.objects.create(sku="BRANDNEW", name="new")
    plain = {row["sku"]: row for row in _get(api_planner, "")}
    assert plain["BRANDNEW"]["inventory"] is None
    assert "BRANDNEW" not in _skus(api_planner, "ordering=-stockout_risk")
    assert "BRANDNEW" in _skus(api_planner, "ordering=-sku")
    inventory_refresh()
    assert "BRANDNEW" in _skus(api_planner, "ordering=-stockout_risk")


def test_writing_a_product_ignores_the_inventory_filters_of_the_list(api_planner):
    product = Product.objects.create(sku="RV-1", name="old")
    response = api_planner.patch(
        f"/api/v1/products/{product.pk}/?on_hand_min=1&status=critical&excluded=true",
        {"name": "new"},
        format="json",
    )
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.name == "new"
