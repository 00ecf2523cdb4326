"""The product page: whole buckets (no partial first or last week), stockout and promotion
markers, the stock panel, the method pin, the CSV export, the empty states, query counts and
the tenant boundary."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from catalog.models import DemandHistory, Location, Product, StockLevel
from forecasting import services
from forecasting.models import MethodOverride
from inventory.product_page import DailySeries, chart_rows, whole_buckets
from tests.conftest import HOST_A, HOST_B, delete_users, make_user
from tests.forecasting_app.seed import seed


def _script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, f"no {element_id} in the page"
    return json.loads(match.group(1))


def _client(user, host=HOST_A) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def test_partial_weeks_at_both_ends_are_left_out():
    # Wednesday 2026-01-07 to Sunday 2026-02-01 of sales 10/day, then 10 days of forecast 12/day.
    start = dt.date(2026, 1, 7)
    series = DailySeries(
        history_start=start,
        sales=[10.0] * 26,
        forecast=[dict.fromkeys(("forecast", "p10", "p50", "p90", "lower_90", "upper_90"), 12.0)]
        * 10,
        flagged=frozenset({dt.date(2026, 1, 13)}),
        inferred=frozenset({dt.date(2026, 1, 13), dt.date(2026, 1, 14)}),
        promotion=frozenset({dt.date(2026, 1, 20)}),
    )
    rows = chart_rows(whole_buckets(series, "week"))
    # Jan 5 (partial: starts Wed) is dropped; Jan 12, 19, 26 whole history; Feb 2 whole
    # forecast; Feb 9 (3 days) dropped.
    assert [r["period"] for r in rows] == [
        dt.date(2026, 1, 12), dt.date(2026, 1, 19), dt.date(2026, 1, 26), dt.date(2026, 2, 2)
    ]  # fmt: skip
    assert [r["sales"] for r in rows] == [70.0, 70.0, 70.0, None]
    assert rows[-1]["forecast"] == 84.0 and rows[0]["forecast"] is None
    assert (rows[0]["stockout_days_flagged"], rows[0]["stockout_days_inferred"]) == (1, 1)
    assert rows[1]["promotion_days"] == 1
    # Days: nothing is left out.
    assert len(chart_rows(whole_buckets(series, "day"))) == 36


def test_the_week_holding_the_data_end_is_sales_so_far_plus_forecast():
    # Monday 2026-03-02 .. Wednesday 2026-03-11 of sales, forecast from Thursday for 11 days.
    series = DailySeries(
        history_start=dt.date(2026, 3, 2),
        sales=[5.0] * 10,
        forecast=[{"forecast": 8.0, "p90": 9.0}] * 11,
    )
    rows = chart_rows(whole_buckets(series, "week"))
    assert [r["period"].isoformat() for r in rows] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert rows[1]["sales"] is None and rows[1]["forecast"] == 3 * 5.0 + 4 * 8.0
    assert rows[1]["actual_days"] == 3 and rows[1]["p90"] == 15.0 + 36.0
    months = chart_rows(whole_buckets(series, "month"))
    assert months == []  # March is covered only in part


@pytest.mark.django_db
def test_page_chart_stock_panel_markers_export_and_pin(planner):
    products, locations = seed()
    product, store = products[0], locations[0]
    DemandHistory.objects.filter(product=product, location=store, date=dt.date(2026, 4, 1)).update(
        stockout=True, on_promotion=True
    )
    StockLevel.objects.create(
        product=product, location=store, on_hand=Decimal("40"), on_order=Decimal("25")
    )
    run = services.forecast_run_start(horizon=28, methods=["naive", "ses"], enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    from inventory.metrics import inventory_refresh

    inventory_refresh(as_of=dt.date(2026, 4, 30))
    client = _client(planner)
    url = f"/app/products/{product.pk}/forecast/?location={store.code}&interval=week"
    html = client.get(url).content.decode()
    chart = _script(html, "forecast-data")
    assert all(dt.date.fromisoformat(x).weekday() == 0 for x in chart["x"])
    assert any("1 flagged" in s["label"] for s in chart["stockouts"])
    assert any("On promotion: 1 day" in p["label"] for p in chart["promotions"])
    # Stock panel: on hand, on order, reorder point, order by.
    panel = html[html.index('id="stock-panel"') :]
    assert ">40<" in panel and ">25<" in panel and "Reorder point" in panel
    # Export: the same rows as the chart.
    export = client.get(
        f"/app/products/{product.pk}/forecast/export.csv?location={store.code}&interval=week"
    )
    assert export["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [line["period"] for line in lines] == chart["x"]
    assert [float(line["sales"]) if line["sales"] else None for line in lines] == chart["sales"]
    # Pin a method (same service as the API), then remove it.
    pin = client.post(f"/app/products/{product.pk}/pin/", {"method": "ses", "location": ""})
    assert pin.status_code == 302
    assert MethodOverride.objects.get(product=product).method == "ses"
    bad = client.post(f"/app/products/{product.pk}/pin/", {"method": "nope"})
    assert bad.status_code == 400 and MethodOverride.objects.count() == 1
    assert "Pinned to <strong>ses</strong>" in client.get(url).content.decode()
    pk = MethodOverride.objects.get().pk
    assert client.post(f"/app/products/{product.pk}/pin/", {"remove": pk}).status_code == 302
    assert not MethodOverride.objects.exists()


@pytest.mark.django_db
def test_viewer_cannot_pin(viewer):
    products, _ = seed()
    response = _client(viewer).post(f"/app/products/{products[0].pk}/pin/", {"method": "ses"})
    assert response.status_code == 403 and not MethodOverride.objects.exists()


@pytest.mark.django_db
def test_raw_material_and_unsold_product_get_a_message_not_an_empty_chart(viewer):
    seed()
    run = services.forecast_run_start(horizon=7, methods=["naive"], enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    raw = Product.objects.create(sku="RAW-1", name="Flour", product_type="raw")
    new = Product.objects.create(sku="NEW-1", name="New")
    client = _client(viewer)
    for product, text in ((raw, "it is a raw material"), (new, "until sales are imported")):
        html = client.get(f"/app/products/{product.pk}/forecast/").content.decode()
        assert 'id="product-empty"' in html and text in html
        assert 'id="forecast-data"' not in html and 'id="forecast-chart"' not in html
        assert 'id="stock-empty"' in html


@pytest.mark.django_db
def test_query_count_does_not_grow_with_history_or_locations(viewer):
    products, _ = seed()
    run = services.forecast_run_start(horizon=7, methods=["naive"], enqueue=False)
    services.forecast_run_execute(run_id=run.pk)
    client = _client(viewer)
    url = f"/app/products/{products[0].pk}/forecast/"
    client.get(url)  # warm the caches of the run's series
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    Location.objects.create(code="FC-L3", name="Three")
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    count = [q for q in second.captured_queries if not q["sql"].startswith("SET ")]
    assert len(first.captured_queries) == len(second.captured_queries)
    # 17: the live-accuracy panel (ADR 38) and the explanation (ADR 39) read one each.
    assert len(count) <= 17, [q["sql"] for q in count]


@pytest.mark.django_db
def test_tenant_b_cannot_open_tenant_a_product(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        product = Product.objects.create(sku="ONLY-A", name="A only")
    with schema_context(tenant_b.schema_name):
        outsider = make_user("admin")
    try:
        other = Client(HTTP_HOST=HOST_B)
        with schema_context(tenant_b.schema_name):
            other.force_login(outsider)
        for path in ("", "export.csv"):
            assert other.get(f"/app/products/{product.pk}/forecast/{path}").status_code == 404
        assert other.post(f"/app/products/{product.pk}/pin/", {"method": "ses"}).status_code == 404
        with schema_context(tenant_a.schema_name):
            assert not MethodOverride.objects.exists()
    finally:
        with schema_context(tenant_a.schema_name):
            product.delete()
        delete_users(tenant_b, outsider)
