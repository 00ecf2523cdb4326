"""The purchase orders (with their nested lines), supplier products, sales history (numbered
and keyset pages) and an MRP run's planned orders read with ``.values()`` (core.lists,
ADR 37) answer byte for byte what DRF's own path answers from model instances: pages, page
sizes, filters, orderings, cursors and errors. Each list's query count is fixed whatever the
page size, and another tenant's rows never appear."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from django.test.utils import CaptureQueriesContext

import manufacturing.api.views as mrp_views
from catalog.models import Location, Product
from core.lists import ValuesListMixin
from manufacturing.planning import mrp_run_create, mrp_run_execute
from purchasing import services
from purchasing.models import LeadTimeStats, PurchaseOrder, Supplier, SupplierProduct
from tests.conftest import HOST_A, HOST_B, client_for, make_user
from tests.factories import DemandHistoryFactory
from tests.manufacturing.helpers import TODAY, mps, two_level_plant

pytestmark = pytest.mark.django_db


def _purchasing() -> None:
    """Three suppliers, five products, two locations; orders of 0–3 lines in several states;
    supplier terms whose lead time comes from each source (learned, own, supplier, product)."""
    dc = Location.objects.create(code="DC1", name="DC")
    store = Location.objects.create(code="S1", name="Store")
    suppliers = [
        Supplier.objects.create(code=f"SUP{i}", name=f"Supplier {i}", lead_time_days=lead)
        for i, lead in enumerate((10, None, 4))
    ]
    products = [
        Product.objects.create(
            sku=f"SKU{i}", name=f"Product {i}", unit_cost=Decimal("4"), lead_time_days=3 + i
        )
        for i in range(5)
    ]
    for i, product in enumerate(products):
        for j, supplier in enumerate(suppliers):
            if (i + j) % 2:
                continue
            SupplierProduct.objects.create(
                supplier=supplier,
                product=product,
                unit_price=Decimal("5.125") + i,
                lead_time_days=6 if i == 1 else None,
                is_preferred=j == 0,
            )
    LeadTimeStats.objects.create(
        supplier=suppliers[0], product=products[0], mean_days=8.5, std_days=1.25,
        on_time_rate=0.75, receipts_count=4,
    )  # fmt: skip
    LeadTimeStats.objects.create(
        supplier=suppliers[2], product=products[2], mean_days=3.0, std_days=0.0,
        on_time_rate=1.0, receipts_count=2,
    )  # fmt: skip
    for n in range(7):
        lines = [
            services.OrderLineInput(
                product_id=products[(n + k) % 5].pk,
                location_id=(store if k % 2 else dc).pk,
                quantity=Decimal("3.125") * (k + 1),
                unit_price=Decimal("1.3333") + n,
                expected_date=TODAY + dt.timedelta(days=n + k),
            )
            for k in range(1 + n % 3)
        ]
        order = services.purchase_order_create(
            supplier=suppliers[n % 3], location=dc if n % 2 else store, lines=lines,
            note=f"note {n}",
        )  # fmt: skip
        if n % 3 == 0:
            PurchaseOrder.objects.filter(pk=order.pk).update(status="approved")
    PurchaseOrder.objects.create(supplier=suppliers[1], location=dc, reference="EMPTY")


PURCHASING_URLS = (
    "/api/v1/purchase-orders/",
    "/api/v1/purchase-orders/?page_size=3",
    "/api/v1/purchase-orders/?page_size=3&page=2",
    "/api/v1/purchase-orders/?page_size=3&page=last",
    "/api/v1/purchase-orders/?page_size=3&page=99",
    "/api/v1/purchase-orders/?page=x",
    "/api/v1/purchase-orders/?ordering=reference",
    "/api/v1/purchase-orders/?ordering=-ordered_on&page_size=2",
    "/api/v1/purchase-orders/?status=approved",
    "/api/v1/purchase-orders/?supplier_code=SUP1",
    "/api/v1/purchase-orders/?location_code=DC1&ordering=created_at",
    "/api/v1/purchase-orders/?status=nope",
    "/api/v1/supplier-products/",
    "/api/v1/supplier-products/?page_size=2&page=3",
    "/api/v1/supplier-products/?ordering=-unit_price",
    "/api/v1/supplier-products/?ordering=unit_price&page_size=4",
    "/api/v1/supplier-products/?page_size=1000",
)
SALES_URLS = (
    "/api/v1/sales-history/",
    "/api/v1/sales-history/?page_size=4&page=2",
    "/api/v1/sales-history/?page_size=4&page=last",
    "/api/v1/sales-history/?ordering=-quantity&page_size=5",
    "/api/v1/sales-history/?ordering=date",
    "/api/v1/sales-history/?cursor=&page_size=4",
    "/api/v1/sales-history/?cursor=",
    "/api/v1/sales-history/?cursor=bad",
    "/api/v1/sales-history/?cursor=&ordering=date",
)


def _drf_list(self, request, *args, **kwargs):
    return super(ValuesListMixin, self).list(request, *args, **kwargs)


def _both_ways(client, urls, monkeypatch) -> dict:
    fast = {url: client.get(url) for url in urls}
    with monkeypatch.context() as patched:
        patched.setattr(ValuesListMixin, "list", _drf_list)
        patched.setattr(mrp_views, "values_list_response", lambda *a, **k: None)
        for url in urls:
            plain = client.get(url)
            assert (fast[url].status_code, fast[url].content) == (
                plain.status_code,
                plain.content,
            ), url
    return fast


def test_purchasing_lists_equal_drf_byte_for_byte(tenant_admin, monkeypatch):
    _purchasing()
    client = client_for(HOST_A, tenant_admin)
    fast = _both_ways(client, PURCHASING_URLS, monkeypatch)
    orders = fast["/api/v1/purchase-orders/"].json()
    assert orders["count"] == 8
    assert sorted(o["line_count"] for o in orders["results"]) == [0, 1, 1, 1, 2, 2, 3, 3]
    assert {len(o["lines"]) for o in orders["results"]} == {0, 1, 2, 3}
    assert fast["/api/v1/purchase-orders/?page_size=3&page=99"].status_code == 404
    assert fast["/api/v1/purchase-orders/?status=nope"].status_code == 400
    sources = {t["lead_time_source"] for t in fast["/api/v1/supplier-products/"].json()["results"]}
    assert sources == {"learned", "supplier_product", "supplier", "product"}
    # The default order is the model's (newest first): the totals are subqueries, not a
    # GROUP BY that would drop Meta.ordering and leave the order to the query plan.
    assert [o["id"] for o in orders["results"]] == list(
        PurchaseOrder.objects.order_by("-created_at", "-id").values_list("id", flat=True)
    )


CART_URLS = (
    "/api/v1/order-suggestions/",
    "/api/v1/order-suggestions/?page_size=2&page=2",
    "/api/v1/order-suggestions/?ordering=-value",
    "/api/v1/order-suggestions/?ordering=needed_by&page_size=3",
    "/api/v1/order-suggestions/?supplier=SUP0",
    "/api/v1/order-suggestions/?location=DC1&reason=none",
    "/api/v1/order-suggestions/?reason=over_budget",
    "/api/v1/order-suggestions/?status=nope",
)


def _cart() -> None:
    """Cart lines with and without a supplier, transfers with a source location, kept and
    left-out lines, top-ups."""
    from purchasing.models import OrderSuggestion

    _purchasing()
    dc, store = Location.objects.get(code="DC1"), Location.objects.get(code="S1")
    suppliers = list(Supplier.objects.order_by("code"))
    for n, product in enumerate(Product.objects.order_by("sku")):
        for k, location in enumerate((dc, store)):
            OrderSuggestion.objects.create(
                product=product,
                location=location,
                supplier=None if (n + k) % 4 == 3 else suppliers[(n + k) % 3],
                source_location=dc if location == store and n % 2 else None,
                source="mrp" if n == 2 else "policy",
                quantity=Decimal("2.5") * (n + 1),
                unit_price=None if n == 4 else Decimal("1.25") + n,
                value=None if n == 4 else Decimal("3.10") * (n + 1),
                needed_by=TODAY + dt.timedelta(days=n) if k else None,
                expected_arrival=TODAY + dt.timedelta(days=n + 3),
                reason="over_budget" if (n + k) % 3 == 2 else None,
                top_up=n == 3,
            )


def test_cart_equals_drf_byte_for_byte(tenant_admin, tenant_b, monkeypatch):
    _cart()
    client = client_for(HOST_A, tenant_admin)
    fast = _both_ways(client, CART_URLS, monkeypatch)
    lines = fast["/api/v1/order-suggestions/"].json()
    assert lines["count"] == 10
    assert None in {line["supplier"] for line in lines["results"]}
    assert {line["source_location"] for line in lines["results"]} == {None, "DC1"}
    assert fast["/api/v1/order-suggestions/?status=nope"].status_code == 400
    counts = {
        _queries(client, f"/api/v1/order-suggestions/?page_size={size}") for size in (1, 3, 100)
    }
    assert counts == {6}, counts  # tenant, user, the page with its total (each after its SET)
    connection.set_tenant(tenant_b)
    admin_b = make_user(role="admin")
    assert client_for(HOST_B, admin_b).get("/api/v1/order-suggestions/").json()["count"] == 0


def test_order_totals_are_the_lines_sums(tenant_admin):
    _purchasing()
    client = client_for(HOST_A, tenant_admin)
    expected = {
        row["id"]: (row["total"] or Decimal("0"), row["n"])
        for row in PurchaseOrder.objects.annotate(
            total=Sum(F("lines__quantity") * F("lines__unit_price")), n=Count("lines")
        ).values("id", "total", "n")
    }
    body = client.get("/api/v1/purchase-orders/?page_size=100").json()
    for order in body["results"]:
        total, count = expected[order["id"]]
        assert order["total_value"] == f"{total.quantize(Decimal('0.01'))}"
        assert order["line_count"] == count == len(order["lines"])
    one = body["results"][0]
    assert client.get(f"/api/v1/purchase-orders/{one['id']}/").json() == one


def test_sales_history_equals_drf_byte_for_byte(tenant_admin, monkeypatch):
    for _ in range(9):
        DemandHistoryFactory(quantity=Decimal("5"))  # ties on quantity: pk breaks them
    client = client_for(HOST_A, tenant_admin)
    fast = _both_ways(client, SALES_URLS, monkeypatch)
    first = fast["/api/v1/sales-history/?cursor=&page_size=4"].json()
    assert len(first["results"]) == 4 and first["next"]
    path = first["next"].split("testserver", 1)[-1].split(HOST_A, 1)[-1]
    _both_ways(client, (path,), monkeypatch)
    assert fast["/api/v1/sales-history/?cursor=bad"].status_code == 400
    assert fast["/api/v1/sales-history/?cursor=&ordering=date"].status_code == 400


def _mrp_run():
    plant = two_level_plant()
    for day in (10, 20, 25):
        mps(plant["fg"], plant["plant"], day, "30")
    return mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)


def test_planned_orders_equal_drf_byte_for_byte(planner, monkeypatch):
    run = _mrp_run()
    base = f"/api/v1/mrp-runs/{run.pk}/planned-orders/"
    urls = (base, f"{base}?page_size=2&page=2", f"{base}?kind=make", f"{base}?kind=buy",
            f"{base}?page_size=3&page=last", f"{base}?page=99", f"{base}?sku=nope")  # fmt: skip
    fast = _both_ways(client_for(HOST_A, planner), urls, monkeypatch)
    rows = fast[base].json()["results"]
    assert {row["kind"] for row in rows} == {"make", "buy"}
    assert all(isinstance(row["exceptions"], list) for row in rows)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)


def test_query_counts_are_fixed_whatever_the_page_size(tenant_admin, planner):
    """Tenant lookup and JWT user (each after a SET search_path), then: purchase orders 4
    (page with its total, lines), supplier products 2 (page with its total), sales history
    4 numbered (COUNT(*), page) and 2 with a cursor, planned orders 4 (the run, the page).
    The sales history's count is cached until the table changes (ADR 50): the later page
    sizes, of the same query, run no COUNT(*) (its version read is not in Django's log)."""
    _purchasing()
    for _ in range(6):
        DemandHistoryFactory()
    run = _mrp_run()
    client = client_for(HOST_A, tenant_admin)
    baselines = {
        "/api/v1/purchase-orders/": 8,
        "/api/v1/supplier-products/": 6,
        "/api/v1/sales-history/": (8, 6, 6),
        "/api/v1/sales-history/?cursor=": 6,
        f"/api/v1/mrp-runs/{run.pk}/planned-orders/": 8,
    }
    for url, baseline in baselines.items():
        join = "&" if "?" in url else "?"
        counts = tuple(_queries(client, f"{url}{join}page_size={size}") for size in (1, 3, 100))
        expected = baseline if isinstance(baseline, tuple) else (baseline,) * 3
        assert counts == expected, (url, counts)


def test_another_tenants_orders_never_appear(tenant_admin, tenant_b):
    _purchasing()
    connection.set_tenant(tenant_b)
    admin_b = make_user(role="admin")
    body_b = client_for(HOST_B, admin_b).get("/api/v1/purchase-orders/").json()
    terms_b = client_for(HOST_B, admin_b).get("/api/v1/supplier-products/").json()
    connection.set_schema_to_public()
    assert body_b["count"] == 0 and body_b["results"] == []
    assert terms_b["count"] == 0
    body_a = client_for(HOST_A, tenant_admin).get("/api/v1/purchase-orders/").json()
    assert body_a["count"] == 8


def test_stable_ordering_appends_the_pk_only_to_orderings_with_ties():
    from catalog.models import DemandHistory, StockLevel
    from core.lists import stable_ordering
    from inventory.models import InventoryMetrics
    from purchasing.selectors import purchase_order_list

    def ordering(queryset):
        return list(stable_ordering(queryset).query.order_by)

    assert ordering(Product.objects.all()) == []  # Meta.ordering ("sku",) is unique
    assert ordering(StockLevel.objects.all()) == []  # (product_id, location_id) is unique
    assert ordering(InventoryMetrics.objects.all()) == []
    assert ordering(PurchaseOrder.objects.all()) == []  # ("-created_at", "-id")
    assert ordering(Product.objects.order_by("name")) == ["name", "pk"]
    assert ordering(DemandHistory.objects.order_by("-quantity")) == ["-quantity", "pk"]
    assert ordering(DemandHistory.objects.order_by("product", "location", "date")) == [
        "product", "location", "date"
    ]  # fmt: skip
    assert ordering(Location.objects.order_by("-id")) == ["-id"]
    assert ordering(Supplier.objects.values("lead_time_days").annotate(n=Count("id"))) == []
    orders = purchase_order_list(user=None).filter(status="draft")  # type: ignore[arg-type]
    assert ordering(orders) == []
    rows = [o.pk for o in stable_ordering(Product.objects.order_by("name"))]
    assert rows == sorted(rows)  # (no products: the query runs)
