"""The data-quality report (each check on data built to trip it, the cache and its
invalidation by imports) and the onboarding status; roles, query counts and tenancy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from core.cache import bump_namespace
from etl import services
from etl.quality import data_quality_compute, data_quality_report
from etl.selectors import system_status
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)
TODAY = date(2026, 1, 25)
ORPHAN_PRODUCT_ID = 987_654


@pytest.fixture(autouse=True)
def _fresh_cache(tenant_a, tenant_b):
    """Entries cached by earlier tests (same Redis, rolled-back data) must not be served."""
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            bump_namespace("inventory")


@pytest.fixture
def history():
    """A@S1: 20 days Jan 1–20 without Jan 5–6 (2 gap days), one spike of 500 on Jan 15.
    B@S1: three zero days Jan 1–3 (stale by Jan 25). C (inactive) and a deleted product sell."""
    store = Location.objects.create(code="S1", name="Store 1")
    a = Product.objects.create(sku="A", name="Apple")
    b = Product.objects.create(sku="B", name="Banana")
    c = Product.objects.create(sku="C", name="Cherry", is_active=False)
    pattern = [8, 10, 12, 9, 11]
    rows = []
    for offset in range(20):
        day = START + timedelta(days=offset)
        if day in (date(2026, 1, 5), date(2026, 1, 6)):
            continue
        quantity = 500 if day == date(2026, 1, 15) else pattern[offset % 5]
        rows.append(DemandHistory(product=a, location=store, date=day, quantity=quantity))
    rows += [
        DemandHistory(product=b, location=store, date=START + timedelta(days=i), quantity=0)
        for i in range(3)
    ]
    rows += [
        DemandHistory(product=c, location=store, date=date(2026, 1, 20), quantity=1),
        DemandHistory(product=c, location=store, date=date(2026, 1, 21), quantity=2),
        DemandHistory(
            product_id=ORPHAN_PRODUCT_ID, location=store, date=date(2026, 1, 21), quantity=4
        ),
    ]
    DemandHistory.objects.bulk_create(rows)
    return {"a": a, "b": b, "c": c, "store": store}


def test_each_check_finds_what_was_planted(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # 7 checks + search path
        report = data_quality_compute(today=TODAY, stale_days=7)
    checks = report["checks"]
    assert report["series"] == 4 and report["rows"] == 18 + 3 + 3
    gaps = checks["date_gaps"]
    assert (gaps["series_with_gaps"], gaps["missing_days"]) == (1, 2)
    assert gaps["top"][0]["sku"] == "A" and gaps["top"][0]["missing"] == 2

    zeros = checks["zero_days"]
    assert (zeros["zero_rows"], zeros["all_zero_series"]) == (3, 1)
    assert zeros["top"][0]["sku"] == "B" and zeros["top"][0]["share"] == 1.0

    outliers = checks["outliers"]
    assert (outliers["series_checked"], outliers["series_with_outliers"]) == (1, 1)
    assert outliers["top"][0]["sku"] == "A" and outliers["top"][0]["outliers"] == 1
    assert outliers["top"][0]["max_date"] == "2026-01-15"

    unknown = checks["unknown_products"]
    assert (unknown["missing_products"], unknown["inactive_products"]) == (1, 1)
    assert unknown["affected_rows"] == 3
    assert {(o["sku"], o["why"]) for o in unknown["top"]} == {
        (None, "no product"),
        ("C", "inactive product"),
    }

    stale = checks["stale"]
    assert stale["last_sale_date"] == "2026-01-21" and stale["days_since_last_sale"] == 4
    assert stale["stale_series"] == 1 and stale["top"][0]["sku"] == "B"
    assert checks["duplicate_keys"] == {"duplicate_keys": 0, "extra_rows": 0}
    assert checks["negative_values"] == {"negative_quantity": 0, "negative_revenue": 0}
    assert report["ok"] is False


def test_clean_and_empty_tenants(history):
    DemandHistory.objects.all().delete()
    empty_report = data_quality_compute(today=TODAY)
    assert empty_report["series"] == 0 and empty_report["ok"] is True
    assert all(check.get("top", []) == [] for check in empty_report["checks"].values())
    assert empty_report["checks"]["stale"]["last_sale_date"] is None


def test_top_offenders_are_capped(history):
    report = data_quality_compute(today=TODAY, limit=1)
    assert len(report["checks"]["unknown_products"]["top"]) == 1
    assert report["checks"]["unknown_products"]["affected_rows"] == 3


def test_report_is_cached_until_an_import_bumps_it(history, tmp_path):
    first = data_quality_report(today=TODAY)
    DemandHistory.objects.filter(product=history["b"]).delete()
    assert data_quality_report(today=TODAY) == first  # served from the cache
    path = tmp_path / "locations.csv"
    path.write_text("code,name\nDC,Main DC\n")
    with open(path, "rb") as stream:
        batch = services.import_file(kind="locations", stream=stream, name=str(path))
    assert batch.status == "imported"
    fresh = data_quality_report(today=TODAY)
    assert fresh["series"] == first["series"] - 1


def test_quality_api_roles_and_shape(history, viewer, anon_a, django_assert_max_num_queries):
    client = client_for(HOST_A, viewer)
    with django_assert_max_num_queries(12):  # auth, search paths, 7 checks
        response = client.get("/api/v1/data-quality/?limit=5")
    assert response.status_code == 200
    body = response.json()
    assert body["limit"] == 5 and body["checks"]["date_gaps"]["top"][0]["sku"] == "A"
    assert_error(client.get("/api/v1/data-quality/?limit=0"), 400, "validation_error")
    assert_error(anon_a.get("/api/v1/data-quality/"), 401)


def test_cached_report_of_a_is_not_served_to_b(history, tenant_a, tenant_b):
    a_body = client_for(HOST_A, make_user(User.Role.VIEWER)).get("/api/v1/data-quality/").json()
    assert a_body["series"] == 4
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
    b_body = client_for(HOST_B, intruder).get("/api/v1/data-quality/").json()
    assert b_body["series"] == 0 and b_body["checks"]["unknown_products"]["top"] == []
    status = client_for(HOST_B, intruder).get("/api/v1/system/status").json()
    assert status["counts"]["products"] == 0 and status["counts"]["sales_history"] == 0
    with schema_context(tenant_a.schema_name):
        assert DemandHistory.objects.count() == 24


def test_status_of_an_empty_tenant_names_the_next_action(tenant_a):
    status = system_status(user=None)
    assert status["ready"] is False
    assert status["counts"]["products"] == 0 and status["counts"]["imports"] == 0
    assert [m["data"] for m in status["missing"]] == [
        "products",
        "locations",
        "sales_history",
        "stock_levels",
    ]
    assert status["next_action"]["action"] == "import products"
    assert status["next_action"]["endpoint"] == "/api/v1/imports/"
    assert status["next_action"]["params"] == {"kind": "products"}
    assert f"--schema {tenant_a.schema_name}" in status["next_action"]["command"]
    assert status["sales_history"] == {"rows": 0, "first_date": None, "last_date": None}


def test_status_counts_and_date_range(history, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("sku,location,on_hand\nA,S1,5\n")
    with open(path, "rb") as stream:
        services.import_file(kind="stock", stream=stream, name=str(path))
    status = system_status(user=None)
    assert status["counts"]["products"] == 3 and status["counts"]["active_products"] == 2
    assert status["counts"]["locations"] == 1 and status["counts"]["stock_levels"] == 1
    assert status["counts"]["imports"] == 1
    assert status["sales_history"] == {
        "rows": 24,
        "first_date": "2026-01-01",
        "last_date": "2026-01-21",
    }
    assert status["last_import"]["kind"] == "stock"
    assert status["missing"] == [] and status["next_action"] is None and status["ready"]


def test_status_api(history, viewer, anon_a, django_assert_max_num_queries):
    client = client_for(HOST_A, viewer)
    with django_assert_max_num_queries(6):  # auth, search paths, 1 status
        response = client.get("/api/v1/system/status")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"]["users"] >= 1 and body["missing"][0]["data"] == "stock_levels"
    assert client.get("/api/v1/system/status/").status_code == 200
    assert_error(anon_a.get("/api/v1/system/status"), 401)


def test_admin_page_shows_the_report(history, tenant_a):
    from django.test import Client

    admin = make_user(User.Role.ADMIN, is_staff=True)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(admin)
    response = client.get("/admin/etl/importbatch/data-quality/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "date_gaps" in text and "inactive product" in text
    viewer = make_user(User.Role.VIEWER, is_staff=True)
    client.force_login(viewer)
    assert client.get("/admin/etl/importbatch/data-quality/").status_code == 403


def test_report_is_json_ready_for_the_cache_and_api(history):
    import json

    report = data_quality_compute(today=TODAY)
    assert json.loads(json.dumps(report)) == report
