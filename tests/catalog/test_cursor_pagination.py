"""Keyset (cursor) pagination of the sales history and the stock ledger (ADR 37).

``?cursor=`` walks the whole list in the key's order, page by page, with one query per page
whatever its size and no ``count``; ``page``/``page_size`` answer as before; a cursor that
was not made by the API is a 400; tenant B's rows never appear in tenant A's pages.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from catalog.models import DemandHistory, StockMovement
from tests.conftest import HOST_A, HOST_B, client_for, schema_for_host
from tests.factories import LocationFactory, ProductFactory, UserFactory, sales, stock

pytestmark = pytest.mark.django_db


def _walk(client, url: str) -> tuple[list[dict], int]:
    rows: list[dict] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "results"}, body
        rows += body["results"]
        url = body["next"]
        pages += 1
        assert pages < 100
    return rows, pages


def _sales_rows() -> list[DemandHistory]:
    rows = []
    for _ in range(2):
        product = ProductFactory()
        for _ in range(2):
            rows += sales(product, LocationFactory(), [1, 2, 3])
    return rows


def test_cursor_walks_the_sales_history_in_key_order_once(tenant_admin):
    _sales_rows()
    client = client_for(HOST_A, tenant_admin)
    walked, pages = _walk(client, "/api/v1/sales-history/?cursor=&page_size=5")
    expected = list(
        DemandHistory.objects.order_by("product_id", "location_id", "date").values_list(
            "id", flat=True
        )
    )
    assert [row["id"] for row in walked] == expected
    assert pages == 3  # 12 rows by 5
    # Numbered pages answer as before, with the count.
    page = client.get("/api/v1/sales-history/?page=2&page_size=5").json()
    assert page["count"] == 12 and len(page["results"]) == 5 and page["previous"]


def test_cursor_keeps_the_filters(tenant_admin):
    rows = _sales_rows()
    sku = rows[0].product.sku
    client = client_for(HOST_A, tenant_admin)
    walked, _ = _walk(client, f"/api/v1/sales-history/?cursor=&page_size=2&sku={sku}")
    assert len(walked) == 6 and {row["sku"] for row in walked} == {sku}


def test_cursor_walks_the_stock_ledger_newest_first(tenant_admin):
    actor = UserFactory()
    product, location = ProductFactory(), LocationFactory()
    for quantity in range(1, 8):
        stock(product, location, quantity, actor=actor)
    client = client_for(HOST_A, tenant_admin)
    walked, pages = _walk(client, "/api/v1/stock-movements/?cursor=&page_size=3")
    expected = list(
        StockMovement.objects.order_by("-occurred_at", "-id").values_list("id", flat=True)
    )
    assert [row["id"] for row in walked] == expected and pages == 3


def test_one_query_per_page_whatever_its_size(tenant_admin):
    _sales_rows()
    client = client_for(HOST_A, tenant_admin)
    counts = []
    for size in (1, 12):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/sales-history/?cursor=&page_size={size}")
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(queries))
        assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts[0] == counts[1]


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        _cursor([1, 2]),  # too short
        _cursor(["x", 1, "2026-01-01"]),
        _cursor([1, 1, "2026-13-01"]),
        _cursor([2**70, 1, "2026-01-01"]),
        _cursor([None, 1, "2026-01-01"]),
        _cursor({"a": 1}),
    ],
)
def test_a_cursor_the_api_did_not_make_is_a_400(tenant_admin, cursor):
    client = client_for(HOST_A, tenant_admin)
    response = client.get(f"/api/v1/sales-history/?cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"]["cursor"]


def test_a_cursor_with_ordering_is_a_400(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    response = client.get("/api/v1/sales-history/?cursor=&ordering=-date")
    assert response.status_code == 400
    assert "ordering" in response.json()["error"]["details"]


def test_naive_time_in_a_ledger_cursor_is_a_400(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    response = client.get(f"/api/v1/stock-movements/?cursor={_cursor(['2026-01-01T00:00:00', 1])}")
    assert response.status_code == 400


def test_tenant_b_rows_never_appear_in_tenant_a_pages(tenant_admin, tenant_b):
    mine = {row.id for row in _sales_rows()}
    with schema_context(schema_for_host(HOST_B)):
        their_product = ProductFactory(sku="ONLY-IN-B")
        sales(their_product, LocationFactory(), [9] * 20)
    client = client_for(HOST_A, tenant_admin)
    walked, _ = _walk(client, "/api/v1/sales-history/?cursor=&page_size=4")
    assert {row["id"] for row in walked} == mine
    assert "ONLY-IN-B" not in {row["sku"] for row in walked}
    # A cursor positioned on B's keys only moves the position within A's rows.
    response = client.get(
        f"/api/v1/sales-history/?cursor={_cursor([0, 0, '2000-01-01'])}&page_size=50"
    )
    assert {row["id"] for row in response.json()["results"]} == mine
