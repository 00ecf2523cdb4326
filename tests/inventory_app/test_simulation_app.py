"""The replay through the service, the job worker, the API, the export, the command and the
page; input checks, roles, query counts and the tenant boundary."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory, Location, Product, StockLevel, StockMovement
from inventory import simulation_service as service
from inventory.models import SimulationItemResult, SimulationRun
from inventory.policy.simulation import RECOMMENDED_CANDIDATES
from tests.conftest import (
    HOST_A,
    HOST_B,
    assert_error,
    client_for,
    delete_users,
    make_user,
    wait_for_job,
)

LAST_DAY = dt.date(2026, 6, 30)
LAST_DAY_NOON = dt.datetime(2026, 6, 30, 12)


def _seed(*, days: int = 150, skus: tuple[str, ...] = ("SIM-1", "SIM-2", "SIM-3"), rate=8.0):
    """Products with Poisson daily sales over ``days`` days ending on LAST_DAY at one store."""
    store = Location.objects.create(code=f"STORE-{skus[0]}", name="Store")
    products = [
        Product.objects.create(
            sku=sku,
            name=sku,
            unit_cost=Decimal("4.00") + i,
            unit_price=Decimal("9.00") + i,
            lead_time_days=3 + i,
        )
        for i, sku in enumerate(skus)
    ]
    rng = np.random.default_rng(7)
    rows = []
    for i, product in enumerate(products):
        quantities = rng.poisson(rate * (i + 1), days)
        for d, quantity in enumerate(quantities):
            rows.append(
                DemandHistory(
                    product=product,
                    location=store,
                    date=LAST_DAY - dt.timedelta(days=days - 1 - d),
                    quantity=Decimal(int(quantity)),
                )
            )
    DemandHistory.objects.bulk_create(rows)
    return products, store


@pytest.mark.django_db
def test_execute_stores_per_item_rows_and_class_summaries():
    products, _ = _seed()
    run = service.simulation_run_start(window_days=90, enqueue=False)
    run = service.simulation_run_execute(run_id=run.pk)
    assert run.status == SimulationRun.Status.SUCCEEDED
    assert run.window_end == LAST_DAY
    assert run.window_start == LAST_DAY - dt.timedelta(days=89)
    items = list(SimulationItemResult.objects.filter(run=run).order_by("product_id"))
    assert [i.product_id for i in items] == [p.pk for p in products]
    summary = run.summary
    assert summary["items"] == 3 and summary["window"]["days"] == 90
    proposed = summary["proposed"]
    classes = [c for c in ("A", "B", "C") if c in proposed]
    assert sum(proposed[c]["items"] for c in classes) == 3
    for key in ("demand_units", "holding_cost", "ordering_cost", "stockout_cost"):
        assert sum(proposed[c][key] for c in classes) == pytest.approx(proposed["all"][key])
    total = proposed["all"]
    assert total["total_cost"] == pytest.approx(
        total["holding_cost"] + total["ordering_cost"] + total["stockout_cost"]
    )
    # The rows add up to the summary.
    assert sum(i.demand_units for i in items) == pytest.approx(total["demand_units"])
    assert sum(i.policy_average_inventory_value for i in items) == pytest.approx(
        total["average_inventory_value"]
    )
    assert summary["savings"]["total_cost"] == pytest.approx(
        summary["baseline"]["all"]["total_cost"] - total["total_cost"]
    )
    assert len(run.daily["dates"]) == 90 and len(run.daily["proposed_inventory_value"]) == 90
    assert summary["actual"] is None  # no stock ledger
    assert all(i.actual_average_inventory_value is None for i in items)


@pytest.mark.django_db
def test_backorders_ship_later_what_lost_sales_lose():
    _seed(rate=20.0)
    lost = service.simulation_run_start(window_days=90, enqueue=False)
    lost = service.simulation_run_execute(run_id=lost.pk)
    late = service.simulation_run_start(window_days=90, demand_mode="backorders", enqueue=False)
    late = service.simulation_run_execute(run_id=late.pk)
    assert lost.summary["proposed"]["all"]["demand_units"] == pytest.approx(
        late.summary["proposed"]["all"]["demand_units"]
    )
    assert late.demand_mode == "backorders"


@pytest.mark.django_db
def test_recommended_method_reports_which_methods_decided():
    _seed()
    run = service.simulation_run_start(
        window_days=60, forecast_method="recommended", lead_time_mode="sampled", enqueue=False
    )
    run = service.simulation_run_execute(run_id=run.pk)
    used = run.summary["forecast_methods_used"]
    # Each item's Test Bed pick (ADR 32): a method or a combination spelled by its members.
    members = {member for name in used for member in name.split("+")}
    assert members and members <= set(RECOMMENDED_CANDIDATES)
    assert sum(used.values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.django_db
def test_actual_stock_is_reconstructed_from_the_ledger():
    products, store = _seed(days=120)
    # Today: 50 on hand of SIM-1, one receipt of 30 on the window's last day; its ledger
    # began before the window (an opening count). SIM-2 has stock but a ledger that starts
    # after the window began: unknown.
    StockLevel.objects.create(product=products[0], location=store, on_hand=Decimal("50"))
    StockLevel.objects.create(product=products[1], location=store, on_hand=Decimal("9"))
    for product, when in ((products[0], dt.datetime(2026, 1, 1)), (products[1], LAST_DAY_NOON)):
        StockMovement.objects.create(
            product=product,
            location=store,
            kind=StockMovement.Kind.ADJUSTMENT,
            quantity=Decimal("0"),
            occurred_at=timezone.make_aware(when),
        )
    StockMovement.objects.create(
        product=products[0],
        location=store,
        kind=StockMovement.Kind.RECEIPT,
        quantity=Decimal("30"),
        occurred_at=timezone.make_aware(dt.datetime(2026, 6, 30, 12)),
    )
    run = service.simulation_run_start(window_days=60, enqueue=False)
    run = service.simulation_run_execute(run_id=run.pk)
    assert run.summary["actual"]["all"]["items"] == 1  # only SIM-1's ledger covers the window
    first = SimulationItemResult.objects.get(run=run, product=products[0])
    assert first.actual_average_inventory_value is not None
    assert len(run.daily["actual_inventory_value"]) == 60
    # Walking back: end of the last day holds today's 50; the day before held 50 − 30 + sales.
    last_day_sales = float(DemandHistory.objects.get(product=products[0], date=LAST_DAY).quantity)
    unit_cost = float(products[0].unit_cost)
    others = run.daily["actual_inventory_value"][-2] - max(50 - 30 + last_day_sales, 0) * unit_cost
    assert others == pytest.approx(0.0, abs=1e-6)  # the others have no stock: left out
    second = SimulationItemResult.objects.get(run=run, product=products[1])
    assert second.actual_average_inventory_value is None and second.actual_stockout_days is None


@pytest.mark.django_db
def test_nothing_to_replay_fails_the_run_with_a_clear_error():
    run = service.simulation_run_start(enqueue=False)
    with pytest.raises(service.SimulationInputError, match="no sales history"):
        service.simulation_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "no sales history" in run.error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"window_days": 0}, "window_days"),
        ({"window_days": 5000}, "window_days"),
        ({"forecast_method": "oracle"}, "forecast_method"),
        ({"service_levels": {"A": 1.5}}, "service_levels"),
        ({"service_levels": {"D": 0.9}}, "service_levels"),
        ({"service_levels": [0.9]}, "service_levels"),
        ({"demand_mode": "maybe"}, "demand_mode"),
        ({"lead_time_mode": "psychic"}, "lead_time_mode"),
        ({"refit_every_days": 0}, "refit_every_days"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api_planner, payload, field):
    error = assert_error(
        api_planner.post("/api/v1/inventory/simulations/", payload, format="json"), 400
    )
    assert field in error["details"], error
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_service_refuses_bad_levels_too():
    with pytest.raises(service.SimulationInputError):
        service.simulation_run_start(service_levels={"D": 0.9}, enqueue=False)
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_post_answers_202_with_the_job(api_planner):
    response = api_planner.post(
        "/api/v1/inventory/simulations/",
        {"window_days": 90, "service_levels": {"A": 0.98}, "lead_time_mode": "sampled"},
        format="json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] and body["kind"] == "inventory_simulation"
    run = SimulationRun.objects.get(pk=body["simulation"]["id"])
    assert run.job_id is not None and str(run.job_id) == str(body["id"])
    assert run.service_level_a == Decimal("0.980") and run.service_level_b is None
    assert run.lead_time_mode == "sampled"


@pytest.mark.django_db
def test_a_second_simulation_request_gets_the_active_one(api_planner):
    first = api_planner.post("/api/v1/inventory/simulations/", {"window_days": 90}, format="json")
    again = api_planner.post("/api/v1/inventory/simulations/", {"window_days": 30}, format="json")
    assert first.status_code == again.status_code == 202
    assert again.json()["simulation"]["id"] == first.json()["simulation"]["id"]
    assert SimulationRun.objects.count() == 1


@pytest.mark.django_db
def test_viewer_reads_but_cannot_start(viewer):
    client = client_for(HOST_A, viewer)
    assert_error(client.post("/api/v1/inventory/simulations/", {}, format="json"), 403)
    assert client.get("/api/v1/inventory/simulations/").status_code == 200
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_list_detail_and_results_keep_a_flat_query_count(api_planner):
    _seed(skus=("Q-1", "Q-2", "Q-3", "Q-4"))
    run = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            response = api_planner.get(url)
        assert response.status_code == 200, response.content
        return len(queries), response.json()

    few, _ = count("/api/v1/inventory/simulations/")
    for _ in range(4):
        service.simulation_run_start(enqueue=False)
    many, body = count("/api/v1/inventory/simulations/")
    assert body["count"] == 5 and many == few
    one, _ = count("/api/v1/inventory/simulations/?page_size=1&page=1")
    assert one == many
    small, page = count(f"/api/v1/inventory/simulations/{run.pk}/results/?page_size=1")
    large, full = count(f"/api/v1/inventory/simulations/{run.pk}/results/?page_size=100")
    assert small == large and page["count"] == 4 and len(full["results"]) == 4
    assert {"sku", "location", "policy_fill_rate", "baseline_total_cost"} <= set(full["results"][0])
    detail = api_planner.get(f"/api/v1/inventory/simulations/{run.pk}/").json()
    assert detail["status"] == "succeeded" and detail["summary"]["items"] == 4
    assert detail["page_url"] == f"/app/simulations/{run.pk}/"


@pytest.mark.django_db
def test_results_filter_by_class(api_planner):
    _seed()
    run = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )
    classes = dict(
        SimulationItemResult.objects.filter(run=run).values_list("product__sku", "abc_class")
    )
    for label in "ABC":
        body = api_planner.get(
            f"/api/v1/inventory/simulations/{run.pk}/results/?abc_class={label}"
        ).json()
        assert sorted(r["sku"] for r in body["results"]) == sorted(
            sku for sku, c in classes.items() if c == label
        )
    assert_error(
        api_planner.get(f"/api/v1/inventory/simulations/{run.pk}/results/?abc_class=Z"), 400
    )


@pytest.mark.django_db
def test_csv_export_has_every_item_and_escapes_formulas(api_planner):
    _seed(skus=("=HYPERLINK(1)", "SAFE-2"))
    run = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )
    response = api_planner.get(f"/api/v1/inventory/simulations/{run.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["sku", "location", "abc_class"]
    assert sorted(r[0] for r in rows[1:]) == ["'=HYPERLINK(1)", "SAFE-2"]


@pytest.mark.django_db
def test_simulate_command_prints_the_comparison(tenant_a):
    _seed()
    out = StringIO()
    call_command("simulate", schema=tenant_a.schema_name, days=60, no_progress=True, stdout=out)
    text = out.getvalue()
    assert "3 items" in text and "policy" in text and "baseline" in text
    run = SimulationRun.objects.get()
    assert run.status == "succeeded" and run.job is None and run.window_days == 60


@pytest.mark.django_db
def test_simulate_command_reports_bad_input(tenant_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no sales history"):
        call_command("simulate", schema=tenant_a.schema_name, no_progress=True, stdout=StringIO())


@pytest.mark.django_db
def test_page_shows_the_run_to_its_tenant_only(planner, tenant_a, tenant_b):
    _seed()
    run = service.simulation_run_execute(
        run_id=service.simulation_run_start(window_days=60, enqueue=False).pk
    )
    page = Client(HTTP_HOST=HOST_A)
    page.force_login(planner)
    response = page.get(f"/app/simulations/{run.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "simulation-data" in html and "Per ABC class" in html
    assert run.daily["dates"][0] in html
    assert "at most 30 days of demand" in html
    # The tenant default: each class's target on average over its cycles.
    assert run.service_level_allocation == "aggregate"
    assert "each class target met on average over its cycles" in html
    anonymous = Client(HTTP_HOST=HOST_A).get(f"/app/simulations/{run.pk}/")
    assert anonymous.status_code == 302  # to the login page
    assert page.get("/app/simulations/999999/").status_code == 404


def test_tenant_b_sees_nothing_of_tenant_a_and_a_never_reads_b(
    live_worker, live_db, tenant_a, tenant_b
):
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
        _seed(skus=("B-ONLY-1", "B-ONLY-2"), days=120)
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
        _seed(skus=("A-ONLY-1",), days=120)
    try:
        client = client_for(HOST_A, user)
        response = client.post("/api/v1/inventory/simulations/", {"window_days": 60}, format="json")
        assert response.status_code == 202, response.content
        job = wait_for_job(client, response["Location"], timeout=60)
        assert job["status"] == "succeeded", job
        run_url = response.json()["simulation"]["url"]
        run = client.get(run_url).json()
        assert run["summary"]["items"] == 1  # only A's sales were read
        results = client.get(f"{run_url}results/").json()["results"]
        assert [r["sku"] for r in results] == ["A-ONLY-1"]

        other = client_for(HOST_B, intruder)
        assert other.get("/api/v1/inventory/simulations/").json()["count"] == 0
        assert_error(other.get(run_url), 404)
        assert_error(other.get(f"{run_url}results/"), 404)
        assert_error(other.get(f"{run_url}export.csv"), 404)
        with schema_context(tenant_b.schema_name):
            page = Client(HTTP_HOST=HOST_B)
            page.force_login(intruder)
        assert page.get(f"/app/simulations/{run['id']}/").status_code == 404
    finally:
        with schema_context(tenant_a.schema_name):
            _cleanup()
        with schema_context(tenant_b.schema_name):
            _cleanup()
        delete_users(tenant_a, user)
        delete_users(tenant_b, intruder)


def _cleanup() -> None:
    from core.models import Job

    SimulationItemResult.objects.all().delete()
    SimulationRun.objects.all().delete()
    Job.objects.filter(kind="inventory_simulation").delete()
    DemandHistory.objects.all().delete()
    Product.objects.all().delete()
    Location.objects.all().delete()


@pytest.mark.django_db
def test_lot_cap_defaults_to_the_tenant_setting_and_can_be_overridden():
    _seed(rate=20.0)

    def replayed(**values):
        run = service.simulation_run_start(window_days=90, enqueue=False, **values)
        return service.simulation_run_execute(run_id=run.pk)

    tenant_default = replayed()
    assert tenant_default.max_cover_days is None
    assert tenant_default.summary["max_cover_days"] == 30  # InventorySettings default
    short = replayed(max_cover_days=3)
    uncapped = replayed(max_cover_days=0)
    assert short.summary["max_cover_days"] == 3 and uncapped.summary["max_cover_days"] is None
    orders = [r.summary["proposed"]["all"]["orders_placed"] for r in (short, uncapped)]
    assert orders[0] > orders[1]  # three-day lots: many more orders than EOQ lots
    # Lots of at most three days of demand: an order about every three days, on every item.
    for item in SimulationItemResult.objects.filter(run=short):
        assert item.policy_orders_placed >= 20, item


@pytest.mark.django_db
def test_aggregate_allocation_is_stored_and_replayed():
    _seed(rate=20.0)
    run = service.simulation_run_start(
        window_days=90, service_level_allocation="aggregate", enqueue=False
    )
    run = service.simulation_run_execute(run_id=run.pk)
    assert run.status == "succeeded" and run.service_level_allocation == "aggregate"
    assert run.summary["service_level_allocation"] == "aggregate"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"max_cover_days": -1}, "max_cover_days"),
        ({"max_cover_days": 366}, "max_cover_days"),
        ({"max_cover_days": "lots"}, "max_cover_days"),
        ({"max_cover_days": 2.5}, "max_cover_days"),
        ({"service_level_allocation": "magic"}, "service_level_allocation"),
    ],
)
def test_bad_lot_cap_or_allocation_is_400_and_writes_nothing(api_planner, payload, field):
    error = assert_error(
        api_planner.post("/api/v1/inventory/simulations/", payload, format="json"), 400
    )
    assert field in error["details"], error
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_post_takes_the_lot_cap_and_allocation(api_planner):
    response = api_planner.post(
        "/api/v1/inventory/simulations/",
        {"window_days": 90, "max_cover_days": 14, "service_level_allocation": "aggregate"},
        format="json",
    )
    assert response.status_code == 202, response.content
    run = SimulationRun.objects.get(pk=response.json()["simulation"]["id"])
    assert (run.max_cover_days, run.service_level_allocation) == (14, "aggregate")
    detail = api_planner.get(f"/api/v1/inventory/simulations/{run.pk}/").json()
    assert detail["max_cover_days"] == 14 and detail["service_level_allocation"] == "aggregate"


@pytest.mark.django_db
def test_service_refuses_a_bad_cap_or_allocation():
    for values in (
        {"max_cover_days": 400},
        {"max_cover_days": 1.5},
        {"service_level_allocation": "x"},
    ):
        with pytest.raises(service.SimulationInputError):
            service.simulation_run_start(enqueue=False, **values)
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_simulate_command_takes_the_lot_cap(tenant_a):
    _seed()
    out = StringIO()
    call_command(
        "simulate",
        schema=tenant_a.schema_name,
        days=60,
        max_cover_days=7,
        allocation="aggregate",
        no_progress=True,
        stdout=out,
    )
    run = SimulationRun.objects.get()
    assert (run.max_cover_days, run.service_level_allocation) == (7, "aggregate")
