"""Lists read with ``.values()`` (core.lists, ADR 37) answer byte for byte what DRF's own
``list`` answers from model instances: the same rows, values, count, links and errors, for
numbered pages, ``page=last``, pages past the end, filters (with and without DISTINCT),
ordering, an unknown location, and rows with a missing category or no metrics. The total is
read by the page query (one query for the page and its count), and another tenant's rows never
count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.lists import ValuesListMixin
from tests.conftest import HOST_A, HOST_B, client_for, make_user
from tests.core.test_query_counts import _sellers, _stock_levels
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

URLS = (
    "/api/v1/products/",
    "/api/v1/products/?page_size=2",
    "/api/v1/products/?page_size=2&page=2",
    "/api/v1/products/?page_size=2&page=last",
    "/api/v1/products/?page_size=2&page=99",
    "/api/v1/products/?page=0",
    "/api/v1/products/?page=x",
    "/api/v1/products/?page=%EF%BC%92&page_size=1",
    "/api/v1/products/?ordering=-stockout_risk&page_size=3",
    "/api/v1/products/?ordering=name",
    "/api/v1/products/?excluded=true",
    "/api/v1/products/?search=zzz-none",
    "/api/v1/products/?location=NOPE",
    "/api/v1/products/?page_size=0",
    "/api/v1/inventory/metrics/",
    "/api/v1/inventory/metrics/?page_size=2&page=2",
    "/api/v1/inventory/metrics/?status=ok&status=no_data&page_size=1&page=2",
    "/api/v1/inventory/metrics/?ordering=-days_of_cover",
    "/api/v1/stock-levels/",
    "/api/v1/stock-levels/?page_size=3&page=2",
    "/api/v1/stock-levels/?format=json",  # (no ordering with ties: their order is the plan's)
    "/api/v1/stock-levels/?on_hand_min=6",
)


def _drf_list(self, request, *args, **kwargs):
    return super(ValuesListMixin, self).list(request, *args, **kwargs)


def test_values_lists_equal_drf_lists_byte_for_byte(tenant_admin, monkeypatch):
    _sellers(4)
    ProductFactory(category=None)  # no category, no metrics
    _stock_levels(5)
    client = client_for(HOST_A, tenant_admin)
    fast = {url: client.get(url) for url in URLS}
    monkeypatch.setattr(ValuesListMixin, "list", _drf_list)
    for url in URLS:
        plain = client.get(url)
        assert (fast[url].status_code, fast[url].content) == (plain.status_code, plain.content), url
    assert fast["/api/v1/products/?page_size=2&page=99"].status_code == 404
    assert fast["/api/v1/products/?page_size=2&page=2"].json()["count"] == 10  # 4 + 1 + 5


def test_one_query_for_a_page_and_its_count(tenant_admin):
    _sellers(3)
    client = client_for(HOST_A, tenant_admin)
    for url, count in (
        ("/api/v1/products/?page_size=1&page=2", 3),
        ("/api/v1/inventory/metrics/?page_size=2&page=2", 3),
        ("/api/v1/stock-levels/?page_size=1&page=3", 3),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, response.content
        assert response.json()["count"] == count, url
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
        assert len(counts) == 1 and "OVER ()" in counts[0], counts


def test_another_tenants_rows_never_count(tenant_admin, tenant_b):
    _sellers(2)
    connection.set_tenant(tenant_b)
    admin_b = make_user(role="admin")
    _stock_levels(4)
    counts_b = client_for(HOST_B, admin_b).get("/api/v1/stock-levels/?page_size=1").json()
    connection.set_schema_to_public()
    counts_a = client_for(HOST_A, tenant_admin).get("/api/v1/stock-levels/?page_size=1").json()
    assert counts_b["count"] == 4
    assert counts_a["count"] == 2
    assert {row["sku"] for row in counts_a["results"]}.isdisjoint(
        {row["sku"] for row in counts_b["results"]}
    )


def test_filter_backend_skips_the_form_only_without_filters(tenant_admin, monkeypatch):
    """No filter parameter: the filterset is not bound (its form never built); a filter
    parameter, even an invalid one, still goes through django-filter (400 on bad input)."""
    from inventory.filters import ProductFilter

    _sellers(2)
    client = client_for(HOST_A, tenant_admin)
    assert client.get("/api/v1/products/?stockout_risk_min=abc").status_code == 400
    assert client.get("/api/v1/products/?unknown=1&page_size=1").json()["count"] == 2
    bound = []
    original = ProductFilter.is_valid
    monkeypatch.setattr(ProductFilter, "is_valid", lambda self: bound.append(1) or original(self))
    response = client.get("/api/v1/products/?page_size=1&ordering=-sku&format=json")
    assert response.status_code == 200 and response.json()["count"] == 2
    assert bound == []
    assert client.get("/api/v1/products/?excluded=true").json()["count"] == 1
    assert bound == [1]


def test_products_from_the_values_template_equal_drf_with_a_location_and_filters(
    tenant_admin, monkeypatch
):
    """The products list reads a per-process ``.values()`` template (issue 17): with a
    location, inventory filters and orderings, the same bytes as DRF's own list."""
    from tests.factories import LocationFactory

    _sellers(3)
    LocationFactory(code="BYTE-LOC")
    ProductFactory(category=None)
    client = client_for(HOST_A, tenant_admin)
    urls = (
        "/api/v1/products/?location=BYTE-LOC",
        "/api/v1/products/?ordering=-on_hand,sku&page_size=2&page=2",
        "/api/v1/products/?stockout_risk_min=0&ordering=days_of_cover",
        "/api/v1/products/?search=a&ordering=-created_at",
        "/api/v1/products/?excluded=false&page_size=1",
    )
    fast = {url: client.get(url) for url in urls}
    monkeypatch.setattr(ValuesListMixin, "list", _drf_list)
    for url in urls:
        plain = client.get(url)
        assert fast[url].status_code == 200, (url, fast[url].content[:300])
        assert fast[url].content == plain.content, url


def test_a_values_queryset_is_read_as_it_is_only_when_it_has_exactly_the_columns(tenant_admin):
    from django.db.models import Value

    from catalog.models import Category
    from core.lists import _is_values_of

    columns = ["id", "name"]
    assert _is_values_of(Category.objects.values("id", "name"), columns)
    assert not _is_values_of(Category.objects.values("name", "id"), columns)  # read again
    assert not _is_values_of(Category.objects.all(), columns)
    assert not _is_values_of(Category.objects.values("id"), columns)
    assert not _is_values_of(Category.objects.values("id", "name", "parent_id"), columns)
    widened = Category.objects.values("id", "name").annotate(more=Value(1))
    assert not _is_values_of(widened, columns)
    assert _is_values_of(
        Category.objects.annotate(more=Value(1)).values("id", "more"), ["id", "more"]
    )


def test_a_values_template_serves_each_tenant_its_own_rows_and_keeps_no_filter(tenant_admin):
    """``values_template`` lists (stock levels, metrics) clone one ``.values()`` queryset per
    process: each tenant reads its own rows through it, and a filtered page leaves the next
    unfiltered page whole."""
    from django_tenants.utils import schema_context

    from catalog.api.views import StockLevelViewSet
    from core import lists
    from tests.conftest import schema_for_host

    _stock_levels(3)
    with schema_context(schema_for_host(HOST_B)):
        beta_admin = make_user("admin")
        _stock_levels(2)
    alpha = client_for(HOST_A, tenant_admin)
    with schema_context(schema_for_host(HOST_B)):
        beta = client_for(HOST_B, beta_admin)
    for _ in range(2):
        assert alpha.get("/api/v1/stock-levels/").json()["count"] == 3
        assert beta.get("/api/v1/stock-levels/").json()["count"] == 2
        assert alpha.get("/api/v1/stock-levels/?on_hand_min=6").json()["count"] == 0
        assert alpha.get("/api/v1/stock-levels/").json()["count"] == 3
    templates = [key for key in lists._VALUES_TEMPLATES if key[0] is StockLevelViewSet]
    assert len(templates) == 1  # one per process, whichever the tenant
    template = lists._VALUES_TEMPLATES[templates[0]]
    assert template._result_cache is None and "6" not in str(template.query.where)
