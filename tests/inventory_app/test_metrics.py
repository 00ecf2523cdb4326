"""Inventory metrics: the bulk refresh, its job and command, settings and the metrics list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product
from catalog.services import StockChange, stock_change
from core.models import Job
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics
from inventory.tasks import inventory_refresh_job
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db
DAYS = 120


def _dataset(products: int = 3, locations: int = 1) -> dict[str, tuple[Product, Location]]:
    """Products: steady sellers (10/day ± 2) with no stock, well stocked and over-stocked,
    plus one that never sold but has stock, and one with neither."""
    locs = [Location.objects.create(code=f"L{i}", name=f"Loc {i}") for i in range(locations)]
    steady = [
        Product.objects.create(
            sku=f"STEADY{i}", name="steady", lead_time_days=7, unit_cost=Decimal("4")
        )
        for i in range(products)
    ]
    dead = Product.objects.create(sku="DEAD", name="dead", unit_cost=Decimal("2"))
    empty = Product.objects.create(sku="EMPTY", name="empty")
    today = timezone.localdate()
    rows = [
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=day),
            quantity=Decimal(10 + (2 if day % 2 else -2)),
            revenue=Decimal("100"),
        )
        for product in steady
        for location in locs
        for day in range(DAYS)
    ]
    DemandHistory.objects.bulk_create(rows)
    changes = [StockChange(dead.pk, locs[0].pk, Decimal("50"), "adjustment")]
    if products > 1:  # steady 1 holds about a lead time and a half; steady 2 a year
        changes.append(StockChange(steady[1].pk, locs[0].pk, Decimal("120"), "adjustment"))
    if products > 2:
        changes.append(StockChange(steady[2].pk, locs[0].pk, Decimal("3650"), "adjustment"))
    stock_change(changes=changes)
    # A stock row with nothing in it and no sales: no basis for a policy.
    stock_change(changes=[StockChange(empty.pk, locs[0].pk, Decimal("1"), "adjustment")])
    stock_change(changes=[StockChange(empty.pk, locs[0].pk, Decimal("-1"), "adjustment")])
    return {"location": locs[0], "steady": steady, "dead": dead, "empty": empty}


def _metrics(product: Product, location: Location) -> InventoryMetrics:
    return InventoryMetrics.objects.get(product=product, location=location)


def test_refresh_gives_a_sensible_policy_and_is_idempotent():
    data = _dataset()
    location = data["location"]
    result = inventory_refresh()
    assert result.rows == 5 == InventoryMetrics.objects.count()

    out_of_stock = _metrics(data["steady"][0], location)
    assert out_of_stock.mean_daily_demand == pytest.approx(10.0)
    assert out_of_stock.demand_std == pytest.approx(2.0)
    assert out_of_stock.status == "critical"
    assert out_of_stock.stockout_risk > 0.99
    assert out_of_stock.safety_stock > 0
    # ROP = d·L + review undershoot + safety stock, above the plain lead-time demand.
    assert out_of_stock.reorder_point > 70 + out_of_stock.safety_stock - 1e-6
    assert out_of_stock.recommended_order_qty >= out_of_stock.order_up_to - 1e-6
    assert out_of_stock.latest_order_date == timezone.localdate()
    assert out_of_stock.abc_class in {"A", "B", "C"} and out_of_stock.xyz_class == "X"

    assert _metrics(data["steady"][1], location).status in {"reorder_now", "ok"}
    stocked = _metrics(data["steady"][1], location)
    assert stocked.days_of_cover == pytest.approx(12.0)
    assert _metrics(data["steady"][2], location).status == "overstock"
    dead = _metrics(data["dead"], location)
    assert (dead.status, dead.days_of_cover, dead.abc_class) == ("dead_stock", None, "C")
    assert _metrics(data["empty"], location).status == "no_data"

    again = inventory_refresh()
    assert (again.rows, again.deleted) == (5, 0)
    assert InventoryMetrics.objects.count() == 5


def test_safety_stock_follows_the_service_level_setting():
    data = _dataset(products=1)
    inventory_refresh()
    before = _metrics(data["steady"][0], data["location"]).safety_stock
    client = client_for(HOST_A, make_user(User.Role.ADMIN))
    levels = {"service_level_a": "0.99", "service_level_b": "0.99", "service_level_c": "0.99"}
    response = client.put("/api/v1/inventory/settings", levels, format="json")
    assert response.status_code == 200, response.content
    inventory_refresh()
    assert _metrics(data["steady"][0], data["location"]).safety_stock > before


def test_rows_of_pairs_without_stock_or_sales_are_removed():
    data = _dataset(products=1)
    inventory_refresh()
    DemandHistory.objects.filter(product=data["steady"][0]).delete()
    result = inventory_refresh()
    assert result.deleted == 1
    assert not InventoryMetrics.objects.filter(product=data["steady"][0]).exists()


def test_job_task_runs_the_refresh_and_stores_counts():
    _dataset(products=1)
    job = Job.objects.create(kind="inventory_refresh")
    inventory_refresh_job.apply(args=[str(job.id)])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["rows"] == 3 and job.result["by_status"]["critical"] == 1


def test_command_prints_counts(tenant_a):
    _dataset(products=1)
    out = StringIO()
    call_command("refresh_inventory", schema=tenant_a.schema_name, stdout=out)
    assert "3 metrics rows written" in out.getvalue()
    assert "critical=1" in out.getvalue()


def test_calculate_is_202_with_a_job_and_viewer_is_forbidden(api_planner, viewer):
    response = api_planner.post("/api/v1/inventory/calculate")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "inventory_refresh" and response["Location"] == body["url"]
    assert_error(client_for(HOST_A, viewer).post("/api/v1/inventory/calculate"), 403)


def test_settings_read_by_members_written_by_admins(api_planner, viewer, tenant_admin):
    body = client_for(HOST_A, viewer).get("/api/v1/inventory/settings").json()
    assert body["service_level_a"] == "0.950" and body["abc_share_a"] == 80
    assert body["lookback_days"] == 90 and body["abc_measure"] == "revenue"
    change = {"review_period_days": 7}
    assert_error(client_for(HOST_A, viewer).put("/api/v1/inventory/settings", change), 403)
    assert_error(api_planner.put("/api/v1/inventory/settings", change), 403)

    admin = client_for(HOST_A, tenant_admin)
    for bad, field in (
        ({"service_level_a": "0.5"}, "service_level_a"),
        ({"service_level_b": "0.9995"}, "service_level_b"),
        ({"abc_share_a": 70}, "abc_share_a"),
        ({"abc_measure": "margin"}, "abc_measure"),
    ):
        error = assert_error(admin.put("/api/v1/inventory/settings", bad, format="json"), 400)
        assert field in error["details"], error
    ok = admin.put(
        "/api/v1/inventory/settings",
        {"abc_share_a": 70, "abc_share_b": 20, "abc_share_c": 10, "service_level_a": "0.999"},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["abc_share_a"], ok.json()["service_level_a"]) == (70, "0.999")


def test_metrics_list_filters(api_planner):
    data = _dataset()
    inventory_refresh()
    url = "/api/v1/inventory/metrics/"

    def skus(query: str) -> set[str]:
        response = api_planner.get(f"{url}?{query}")
        assert response.status_code == 200, response.content
        return {row["sku"] for row in response.json()["results"]}

    assert skus("") == {"STEADY0", "STEADY1", "STEADY2", "DEAD", "EMPTY"}
    assert skus("status=critical") == {"STEADY0"}
    assert skus("status=dead_stock&status=no_data") == {"DEAD", "EMPTY"}
    assert skus("sku=steady2") == {"STEADY2"}
    assert skus("stockout_risk_min=0.99") == {"STEADY0"}
    assert skus("days_of_cover_min=10&days_of_cover_max=20") == {"STEADY1"}
    assert skus("xyz_class=X") == {"STEADY0", "STEADY1", "STEADY2"}
    assert skus("abc_class=C") >= {"DEAD", "EMPTY"}
    assert skus(f"location={data['location'].code}") == skus("")
    assert skus("location=NOWHERE") == set()
    assert_error(api_planner.get(f"{url}?status=nonsense"), 400)


def test_metrics_list_query_count_does_not_grow(api_planner, django_assert_max_num_queries):
    _dataset(products=1, locations=1)
    inventory_refresh()
    assert InventoryMetrics.objects.count() == 3
    with django_assert_max_num_queries(8) as small:
        assert len(api_planner.get("/api/v1/inventory/metrics/").json()["results"]) == 3
    _dataset_more(27)
    inventory_refresh()
    assert InventoryMetrics.objects.count() == 30
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api_planner.get("/api/v1/inventory/metrics/?page_size=50")
        assert len(response.json()["results"]) == 30


def _dataset_more(count: int) -> None:
    location = Location.objects.get(code="L0")
    products = Product.objects.bulk_create(
        Product(sku=f"MORE{i:03}", name="more") for i in range(count)
    )
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(product=p, location=location, date=today, quantity=Decimal(1))
        for p in products
    )


def test_tenant_b_sees_no_metrics_of_a(tenant_a, tenant_b):
    _dataset(products=1)
    inventory_refresh()
    assert InventoryMetrics.objects.count() == 3
    metric = InventoryMetrics.objects.first()
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
        assert not InventoryMetrics.objects.exists()
    other = client_for(HOST_B, intruder)
    assert other.get("/api/v1/inventory/metrics/").json()["count"] == 0
    assert_error(other.get(f"/api/v1/inventory/metrics/{metric.pk}/"), 404)
    connection.set_tenant(tenant_a)


def test_scheduled_tasks_are_on_the_beat_and_refresh_the_active_tenant(settings):
    from inventory.tasks import inventory_reclassify_daily, inventory_refresh_hourly

    schedule = {entry["task"]: entry for entry in settings.TENANT_BEAT_SCHEDULE.values()}
    assert "inventory.tasks.reclassify_daily" in schedule
    assert schedule["inventory.tasks.refresh_hourly"]["schedule"].minute == {20}
    assert schedule["inventory.tasks.reclassify_daily"]["schedule"].hour == {4}
    data = _dataset(products=1)
    assert inventory_reclassify_daily.apply().get()["rows"] == 3
    assert _metrics(data["steady"][0], data["location"]).abc_class == "A"
    InventoryMetrics.objects.update(abc_class="B")
    assert inventory_refresh_hourly.apply().get()["rows"] == 3
    assert _metrics(data["steady"][0], data["location"]).abc_class == "B"  # kept
    assert inventory_reclassify_daily.apply().get()["rows"] == 3
    assert _metrics(data["steady"][0], data["location"]).abc_class == "A"


def test_calculate_job_can_keep_the_classes():
    data = _dataset(products=1)
    inventory_refresh()
    InventoryMetrics.objects.update(abc_class="C")
    job = Job.objects.create(kind="inventory_refresh", params={"reclassify": False})
    inventory_refresh_job.apply(args=[str(job.id)])
    assert _metrics(data["steady"][0], data["location"]).abc_class == "C"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"service_level_kind": "type3"}, "service_level_kind"),
        ({"lookback_days": 45}, "lookback_days"),
        ({"xyz_x_limit": "1.5", "xyz_y_limit": "1.0"}, "xyz_x_limit"),
        ({"xyz_y_limit": "-1"}, "xyz_y_limit"),
        ({"stockout_cost": "-3"}, "stockout_cost"),
    ],
)
def test_settings_reject_bad_values(tenant_admin, bad, field):
    admin = client_for(HOST_A, tenant_admin)
    error = assert_error(admin.put("/api/v1/inventory/settings", bad, format="json"), 400)
    assert field in error["details"], error
    assert admin.get("/api/v1/inventory/settings").json()["lookback_days"] == 90


def test_settings_accept_fill_rate_and_cut_offs(tenant_admin):
    admin = client_for(HOST_A, tenant_admin)
    change = {
        "service_level_kind": "fill_rate",
        "lookback_days": 365,
        "xyz_x_limit": "0.40",
        "xyz_y_limit": "0.90",
    }
    body = admin.put("/api/v1/inventory/settings", change, format="json").json()
    assert {key: body[key] for key in change} == change


def test_settings_admin_validates_the_shares(tenant_admin):
    from django.core.exceptions import ValidationError

    from inventory.metrics import inventory_settings_get

    settings = inventory_settings_get()
    settings.abc_share_a = 90
    with pytest.raises(ValidationError) as caught:
        settings.full_clean()
    assert "abc_share_a" in caught.value.message_dict


def test_exclusions_list_query_count_is_fixed(api_planner, django_assert_max_num_queries):
    from catalog.services import product_exclusion_create

    for i in range(2):
        product_exclusion_create(
            product=Product.objects.create(sku=f"EX{i}", name="x"), reason="r", scopes=["abc"]
        )
    with django_assert_max_num_queries(10) as small:
        api_planner.get("/api/v1/inventory/exclusions/")
    for i in range(2, 25):
        product_exclusion_create(
            product=Product.objects.create(sku=f"EX{i}", name="x"), reason="r", scopes=["etl"]
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api_planner.get("/api/v1/inventory/exclusions/").json()["count"] == 25


def test_settings_lot_cap_defaults_to_30_days_and_is_validated(tenant_admin):
    admin = client_for(HOST_A, tenant_admin)
    assert admin.get("/api/v1/inventory/settings").json()["max_cover_days"] == 30
    for bad in (0, 366, "month"):
        error = assert_error(
            admin.put("/api/v1/inventory/settings", {"max_cover_days": bad}, format="json"), 400
        )
        assert "max_cover_days" in error["details"], error
    for value in (14, None):
        ok = admin.put("/api/v1/inventory/settings", {"max_cover_days": value}, format="json")
        assert ok.status_code == 200, ok.content
        assert ok.json()["max_cover_days"] == value


def test_refresh_caps_the_lot_at_the_tenants_max_cover_days():
    """The EOQ of a steady seller (10/day, unit cost 4, ordering cost 50) is weeks of demand;
    a 3-day cap makes the lot (order-up-to minus reorder point) 30 units; no cap gives the
    EOQ back."""
    from inventory.metrics import inventory_settings_update

    data = _dataset(products=1)
    inventory_settings_update(max_cover_days=None)
    inventory_refresh()
    uncapped = _metrics(data["steady"][0], data["location"])
    assert uncapped.order_up_to - uncapped.reorder_point == pytest.approx(uncapped.eoq, rel=0.05)
    assert uncapped.eoq > 30
    inventory_settings_update(max_cover_days=3)
    inventory_refresh()
    capped = _metrics(data["steady"][0], data["location"])
    assert capped.order_up_to - capped.reorder_point == pytest.approx(30, rel=0.05)
