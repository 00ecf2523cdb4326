"""The "what to order" page: tabs, filters, sort, pages, export, bulk exclusion, roles."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from catalog.models import ProductExclusion
from tests.conftest import HOST_A
from tests.workspace.seed import page_queries, seed_metrics

URL = "/app/what-to-order/"


def _client(user) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    return client


def _skus(response) -> list[str]:
    html = response.content.decode()
    return [part.split("<")[0] for part in html.split("/forecast/?location=")[1:]]


def _sku_cells(response) -> list[str]:
    import re

    return re.findall(r'location=[^"]*">(WT-\d{3})</a>', response.content.decode())


@pytest.mark.django_db
def test_tabs_filters_sort_and_pages(viewer):
    seed_metrics(8)
    client = _client(viewer)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    # Needs action = critical + reorder_now: rows 0, 1, 5; sorted by order-by date.
    assert _sku_cells(page) == ["WT-000", "WT-001", "WT-005"]
    assert 'data-tab="all"' in html and 'id="filters"' in html
    assert "Exclude" not in html  # viewers read only
    assert _sku_cells(client.get(URL + "?tab=critical")) == ["WT-000", "WT-005"]
    assert _sku_cells(client.get(URL + "?tab=overstock")) == ["WT-003"]
    assert _sku_cells(client.get(URL + "?tab=dead_stock")) == ["WT-004"]
    everything = client.get(URL + "?tab=all&sort=-stockout_risk")
    assert len(_sku_cells(everything)) == 8 and _sku_cells(everything)[0] == "WT-000"
    ascending = _sku_cells(client.get(URL + "?tab=all&sort=recommended_order_qty"))
    assert ascending == [f"WT-{i:03d}" for i in range(7, -1, -1)]
    for key in ("sku", "name", "location", "on_hand", "on_order", "days_of_cover",
                "reorder_point", "order_up_to", "latest_order_date", "status", "abc_class",
                "xyz_class"):  # fmt: skip
        assert len(_sku_cells(client.get(f"{URL}?tab=all&sort=-{key}"))) == 8, key
    # An unknown sort key or tab falls back to the defaults instead of failing.
    assert client.get(URL + "?tab=nope&sort=password").status_code == 200
    assert _sku_cells(client.get(URL + "?tab=all&location=WT-S")) == ["WT-000", "WT-004"]
    assert _sku_cells(client.get(URL + "?tab=all&abc=B&sort=sku")) == ["WT-001", "WT-004", "WT-007"]
    assert _sku_cells(client.get(URL + "?tab=all&xyz=z&sort=sku")) == ["WT-002", "WT-005"]
    assert _sku_cells(client.get(URL + "?tab=all&supplier=SUP-2&sort=sku")) == [
        "WT-000", "WT-003", "WT-006",
    ]  # fmt: skip
    assert _sku_cells(client.get(URL + "?tab=all&q=hammer&sort=sku")) == [
        "WT-001", "WT-003", "WT-005", "WT-007",
    ]  # fmt: skip
    assert _sku_cells(client.get(URL + "?tab=all&q=wt-006")) == ["WT-006"]
    paged = client.get(URL + "?tab=all&sort=sku&size=25&page=1")
    assert len(_sku_cells(paged)) == 8
    # On order comes from the stock level: row 3 has 43 on order.
    row = client.get(URL + "?tab=overstock").content.decode()
    assert '<td class="col-on_order num">43</td>' in row


@pytest.mark.django_db
def test_htmx_requests_get_only_the_results(viewer):
    seed_metrics(3)
    response = _client(viewer).get(URL + "?tab=all", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="what-to-order"' in html and "<html" not in html and 'id="filters"' not in html


@pytest.mark.django_db
def test_export_holds_exactly_the_filtered_rows(viewer):
    seed_metrics(8)
    client = _client(viewer)
    response = client.get("/app/what-to-order/export.csv?tab=all&abc=A&sort=sku")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["sku"] for r in rows] == ["WT-000", "WT-003", "WT-006"]
    assert rows[0]["on_order"] == "40.000" and rows[0]["stockout_risk"] == "0.9"
    assert rows[0]["supplier"] == "SUP-2" and rows[0]["category"] == "WT paint"
    xlsx = client.get("/app/what-to-order/export.xlsx?tab=critical")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][0] == "sku" and [v[0] for v in values[1:]] == ["WT-000", "WT-005"]


@pytest.mark.django_db
def test_planner_excludes_rows_and_viewer_is_refused(planner, viewer):
    metrics = seed_metrics(4)
    refused = _client(viewer).post(
        "/app/what-to-order/exclude/", {"rows": [metrics[0].pk], "scopes": ["recommendations"]}
    )
    assert refused.status_code == 403
    client = _client(planner)
    assert "Exclude" in client.get(URL).content.decode()
    response = client.post(
        "/app/what-to-order/exclude/",
        {
            "rows": [metrics[0].pk, metrics[1].pk],
            "scopes": ["recommendations", "abc", "bogus"],
            "reason": "discontinued",
            "query": "tab=all",
        },
    )
    assert response.status_code == 302 and response["Location"] == URL + "?tab=all"
    exclusions = ProductExclusion.objects.filter(product__sku__startswith="WT-").order_by("pk")
    assert [(e.product.sku, e.scopes, e.reason) for e in exclusions] == [
        ("WT-000", ["abc", "recommendations"], "discontinued"),
        ("WT-001", ["abc", "recommendations"], "discontinued"),
    ]
    again = client.post(
        "/app/what-to-order/exclude/", {"rows": [metrics[0].pk], "scopes": ["etl"]}, follow=True
    )
    assert "1 already had an exclusion" in again.content.decode()
    nothing = client.post("/app/what-to-order/exclude/", {"rows": []}, follow=True)
    assert "Choose rows" in nothing.content.decode()


@pytest.mark.django_db
def test_add_to_cart_posts_the_chosen_rows_to_purchasing(planner, viewer):
    from django.urls import reverse

    seed_metrics(2)
    html = _client(planner).get(URL).content.decode()
    assert 'id="add-to-cart"' in html and f'formaction="{reverse("cart-add")}"' in html
    assert 'id="add-to-cart"' not in _client(viewer).get(URL).content.decode()


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(viewer):
    client = _client(viewer)
    seed_metrics(2, prefix="QA")
    two = page_queries(client, URL + "?tab=all")
    seed_metrics(6, prefix="QB")
    eight = page_queries(client, URL + "?tab=all&q=Q&sort=-on_order")
    # domain, session, user, tab counts, the page, locations, categories
    assert len(two) == len(eight) == 7, eight


@pytest.mark.django_db
def test_every_page_is_the_slice_of_the_whole_list_in_both_directions(viewer):
    """The deferred join (and a second-half page read from the other end in reverse) gives
    exactly the rows of the whole sorted list, NULLs last and the id as tie-break, with a short
    last page; the HTML page shows the same rows as the function."""
    from django.http import QueryDict

    from inventory import what_to_order as wto
    from inventory.models import InventoryMetrics

    rows = seed_metrics(23)
    # NULLs and ties: cover undefined on every fourth row, equal risks on every other.
    InventoryMetrics.objects.filter(pk__in=[row.pk for row in rows[::4]]).update(days_of_cover=None)
    InventoryMetrics.objects.filter(pk__in=[row.pk for row in rows[::2]]).update(stockout_risk=0.5)
    for key, *_ in wto.COLUMNS:
        for sort in (key, "-" + key):
            query = wto.what_to_order_query(QueryDict(f"tab=all&sort={sort}"))
            whole = [
                (row.pk, row.on_order) for row in wto.what_to_order_rows(user=None, query=query)
            ]
            assert len(whole) == 23
            for size in (5, 10, 25):
                paged = []
                for offset in range(0, 23, size):
                    page = wto.what_to_order_page_rows(
                        user=None, query=query, offset=offset, limit=size, total=23
                    )
                    paged += [(row.pk, row.on_order) for row in page]
                assert paged == whole, (sort, size)
    client = _client(viewer)
    query = wto.what_to_order_query(QueryDict("tab=all&sort=-days_of_cover"))
    whole = [row.product.sku for row in wto.what_to_order_rows(user=None, query=query)]
    last = client.get(URL + "?tab=all&sort=-days_of_cover&size=25&page=1")
    assert _sku_cells(last) == whole
    beyond = client.get(URL + "?tab=all&sort=-days_of_cover&size=25&page=9")  # → the last page
    assert beyond.status_code == 200 and _sku_cells(beyond) == whole
    empty = client.get(URL + "?tab=all&q=no-such-product")
    assert empty.status_code == 200 and _sku_cells(empty) == []


@pytest.mark.django_db
def test_pages_show_only_the_tenants_own_rows(viewer, tenant_a, tenant_b):
    """Tenant B's rows never appear on tenant A's pages, at any offset or sort."""
    from django.db import connection

    seed_metrics(6, prefix="WT")
    connection.set_tenant(tenant_b)
    try:
        seed_metrics(9, prefix="WB")
    finally:
        connection.set_tenant(tenant_a)
    client = _client(viewer)
    for url in (URL + "?tab=all", URL + "?tab=all&sort=-on_order&size=25&page=9"):
        html = client.get(url).content.decode()
        assert sorted(_sku_cells(client.get(url))) == [f"WT-{i:03d}" for i in range(6)]
        assert "WB-" not in html


def _row_status(response) -> str:
    assert response.status_code == 200 and 'role="status"' in response.content.decode()
    return response.content.decode()


@pytest.mark.django_db
def test_row_actions_add_one_row_to_the_cart_and_exclude_it(planner, viewer):
    """Each planner row has its own "Add to cart" and "Exclude…" (the bulk endpoints with one
    row); htmx gets the answer for the row, a plain form post the usual redirect."""
    from django.urls import reverse

    from purchasing.models import OrderSuggestion

    metrics = seed_metrics(4)
    client = _client(planner)
    html = client.get(URL + "?tab=all&sort=sku").content.decode()
    cart, exclude = reverse("cart-add"), reverse("what-to-order-exclude")
    for row in metrics:
        assert f'hx-target="#row-status-{row.pk}"' in html
        assert f'name="rows" value="{row.pk}" class="secondary"' in html  # the row's add button
        assert f'name="rows" value="{row.pk}">Exclude {row.product.sku}</button>' in html
    assert html.count(f'hx-post="{cart}"') == html.count(f'hx-post="{exclude}"') == 4
    # The row actions cost no query: a planner's page has the viewer's baseline (7), at any size.
    assert len(page_queries(client, URL + "?tab=all")) == 7
    seed_metrics(6, prefix="WX")
    assert len(page_queries(client, URL + "?tab=all&q=W")) == 7
    # Add to cart: exactly that row, with its recommended quantity.
    added = client.post(cart, {"rows": [metrics[2].pk]}, HTTP_HX_REQUEST="true")
    assert "1 line(s) added to the cart" in _row_status(added) and 'href="/app/cart/"' in (
        added.content.decode()
    )
    lines = list(OrderSuggestion.objects.filter(product__sku__startswith="WT-"))
    assert [(s.product.sku, s.location_id, s.status) for s in lines] == [
        ("WT-002", metrics[2].location_id, "open")
    ]
    assert lines[0].quantity == metrics[2].recommended_order_qty == 48
    # Without htmx the same post is the bulk form's: a redirect to the cart.
    plain = client.post(cart, {"rows": [metrics[1].pk]})
    assert plain.status_code == 302 and plain["Location"] == "/app/cart/"
    assert OrderSuggestion.objects.filter(product__sku__startswith="WT-").count() == 2
    # Exclude with a scope: only that row's product, only that scope.
    excluded = client.post(
        exclude,
        {"rows": [metrics[3].pk], "scopes": ["abc"], "reason": "seasonal", "query": "tab=all"},
        HTTP_HX_REQUEST="true",
    )
    assert "Excluded 1 product(s) from abc." in _row_status(excluded)
    assert [(e.product.sku, e.scopes, e.reason) for e in ProductExclusion.objects.all()] == [
        ("WT-003", ["abc"], "seasonal")
    ]
    no_scope = client.post(exclude, {"rows": [metrics[0].pk]}, HTTP_HX_REQUEST="true")
    assert "at least one scope" in _row_status(no_scope)
    assert ProductExclusion.objects.count() == 1
    # Viewers: no row buttons, and the posts are refused.
    seen = _client(viewer).get(URL + "?tab=all").content.decode()
    assert "row-status-" not in seen and "Add to cart" not in seen and "Exclude" not in seen
    for url, data in ((cart, {"rows": [metrics[0].pk]}),
                      (exclude, {"rows": [metrics[0].pk], "scopes": ["abc"]})):  # fmt: skip
        assert _client(viewer).post(url, data, HTTP_HX_REQUEST="true").status_code == 403
    assert OrderSuggestion.objects.filter(product__sku__startswith="WT-").count() == 2
    assert ProductExclusion.objects.count() == 1


@pytest.mark.django_db
def test_row_actions_ignore_another_tenants_rows(planner, tenant_a, tenant_b):
    """A row id of tenant B posted on tenant A's host adds and excludes nothing anywhere."""
    from django.db import connection
    from django.urls import reverse

    from purchasing.models import OrderSuggestion

    own = seed_metrics(2, prefix="WT")
    connection.set_tenant(tenant_b)
    try:
        theirs = seed_metrics(6, prefix="WB")
    finally:
        connection.set_tenant(tenant_a)
    foreign = [row.pk for row in theirs if row.pk not in {m.pk for m in own}]
    assert foreign
    client = _client(planner)
    added = client.post(reverse("cart-add"), {"rows": foreign}, HTTP_HX_REQUEST="true")
    assert "Choose rows" in _row_status(added)
    excluded = client.post(
        reverse("what-to-order-exclude"),
        {"rows": foreign, "scopes": ["recommendations"]},
        HTTP_HX_REQUEST="true",
    )
    assert "Excluded 0 product(s)" in _row_status(excluded)
    assert not OrderSuggestion.objects.exists() and not ProductExclusion.objects.exists()
    connection.set_tenant(tenant_b)
    try:
        assert not OrderSuggestion.objects.exists() and not ProductExclusion.objects.exists()
    finally:
        connection.set_tenant(tenant_a)
