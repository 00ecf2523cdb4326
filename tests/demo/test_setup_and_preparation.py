"""`make run`'s demo: setup_demo (one process, idempotent), the demo_prepare job (forecast,
refresh, simulation, route plan, cart), the fleet, stock set against the policy, and what the
dashboard shows of it."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from catalog.models import DemandHistory, Location, Product
from core.models import Job
from demo.catalogue import LOCATIONS, LUMPY, RAW, catalogue_build, stock_generate
from demo.fleet import VANS, delivery_orders_csv, vehicles_csv
from demo.management.commands.setup_demo import demo_data_current, pending_migrations
from demo.preparation import JOB_KIND, STEPS, demo_prepare, demo_prepare_start
from forecasting.models import ForecastRun
from inventory.dashboard import inventory_dashboard_compute
from inventory.models import InventoryMetrics, SimulationRun
from routing.models import DeliveryOrder, RoutePlan, Vehicle
from tests.conftest import HOST_A, make_user

pytestmark = pytest.mark.django_db


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_the_fleet_can_carry_a_days_deliveries_and_a_day_is_stable():
    day = date(2026, 12, 7)
    orders = _rows(delivery_orders_csv(day))
    assert len(orders) == 24 and len({o["reference"] for o in orders}) == 24
    assert all(
        o["reference"].startswith("DEMO-20261207-") and o["date"] == "2026-12-07" for o in orders
    )
    load = sum(int(o["demand_weight"]) for o in orders)
    assert load < sum(van[2] for van in VANS)
    assert delivery_orders_csv(day) == delivery_orders_csv(day)  # deterministic per date
    assert delivery_orders_csv(day) != delivery_orders_csv(day + timedelta(days=1))
    assert [v["depot"] for v in _rows(vehicles_csv())] == ["DC-STPRIEST"] * len(VANS)


def test_demo_stock_sits_around_the_policy_not_below_it():
    """A few percent of shelves below the demand over the lead time (critical), not half."""
    catalogue = catalogue_build()
    as_of = date(2026, 12, 6)
    rows = stock_generate(catalogue, as_of=as_of)
    assert stock_generate(catalogue, as_of=as_of) == rows  # deterministic
    index = {sku: i for i, sku in enumerate(catalogue.sku.tolist())}
    sizes = {loc[0]: loc[5] for loc in LOCATIONS}
    below = total = 0
    for sku, code, on_hand in rows:
        i = index[sku]
        if catalogue.profile[i] in (RAW, LUMPY) or code not in sizes or sizes[code] == 0:
            continue
        demand = catalogue.base_rate[i] * sizes[code] * catalogue.lead_time_days[i]
        total += 1
        below += on_hand < 0.75 * demand
    assert total > 150
    assert 0.01 <= below / total <= 0.12, below / total


def test_no_pending_migrations_on_a_migrated_database():
    assert pending_migrations() is False


def test_setup_demo_provisions_seeds_queues_once_and_prints_the_logins(tenant_a, capsys):
    args = ["--slug", "alpha", "--name", "Alpha Ltd", "--domain", HOST_A]
    args += ["--admin-email", "admin@alpha.example.com"]
    call_command("setup_demo", *args)
    out = capsys.readouterr().out
    assert "migrations up to date" in out and "demo data loaded" in out
    assert demo_data_current(today=timezone.localdate())
    assert Vehicle.objects.count() == 3
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert DeliveryOrder.objects.filter(date=tomorrow).count() == 24
    job = Job.objects.get(kind=JOB_KIND)
    assert job.status == Job.Status.QUEUED and f"job {job.pk} queued" in out
    logins = [line.split() for line in out.splitlines() if line.startswith("LOGIN ")]
    assert [line[1:3] for line in logins] == [
        ["admin", "admin@alpha.example.com"],
        ["planner", "planner@alpha.example.com"],
        ["viewer", "viewer@alpha.example.com"],
    ]
    # A second run: nothing to load, the queued job is the one (no second job).
    call_command("setup_demo", *args)
    out = capsys.readouterr().out
    assert "demo data already current" in out and "already queued" in out
    assert Job.objects.filter(kind=JOB_KIND).count() == 1
    # make run's restart: the leftover job is superseded by a new one.
    call_command("setup_demo", *args, "--supersede-unfinished")
    assert Job.objects.get(pk=job.pk).status == Job.Status.FAILED
    assert Job.objects.filter(kind=JOB_KIND, status=Job.Status.QUEUED).count() == 1


def test_demo_prepare_start_skips_a_day_already_prepared():
    done = Job.objects.create(kind=JOB_KIND, status=Job.Status.SUCCEEDED, progress=100)
    job, queued = demo_prepare_start()
    assert (job.pk, queued) == (done.pk, False)
    job, queued = demo_prepare_start(force=True)
    assert queued and job.pk != done.pk


def test_demo_prepare_fills_every_page(tenant_a):
    call_command("seed_demo", "--schema", tenant_a.schema_name, "--days", "500")
    heard: list[tuple[int, str]] = []
    result = demo_prepare(progress=lambda percent, message="": heard.append((percent, message)))
    assert set(result) == {name for name, _ in STEPS}
    assert ForecastRun.objects.get(pk=result["forecast"]["forecast_run"]).status == "succeeded"
    assert InventoryMetrics.objects.count() == result["inventory"]["metrics_rows"] > 200
    assert SimulationRun.objects.get(pk=result["simulation"]["simulation"]).status == "succeeded"
    plan = RoutePlan.objects.get(pk=result["routes"]["route_plan"])
    assert plan.status == "succeeded" and plan.date == timezone.localdate() + timedelta(days=1)
    assert plan.routes.exists()
    assert result["cart"]["cart_lines"] > 0
    percents = [p for p, _ in heard]
    assert percents == sorted(percents) and percents[-1] == 100
    assert any(m.startswith("Forecast run") for _, m in heard)
    assert any(m.startswith("Route plan") for _, m in heard)
    # The demo's stock against its own policy: a realistic few critical rows.
    critical = InventoryMetrics.objects.filter(status="critical").count()
    assert critical / InventoryMetrics.objects.count() < 0.12
    # The demo marks only stockouts: the in-stock rate counts unmarked days as in stock.
    realised = inventory_dashboard_compute(period="weekly")["realised_service_level"]
    assert realised["basis"] == "all_days" and 0.9 < realised["in_stock_rate"] < 1.0


def test_a_failing_step_fails_the_job_but_not_the_independent_steps():
    """An empty tenant: nothing to forecast, replay or route, so those fail; the refresh and
    the cart still run (empty) and the job fails naming the failed steps."""
    from demo.preparation import DemoPreparationFailed

    with pytest.raises(DemoPreparationFailed) as failed:
        demo_prepare(progress=lambda percent, message="": None)
    result = failed.value.result
    assert {name for name, outcome in result.items() if "error" in outcome} == {
        "forecast", "simulation", "routes"
    }  # fmt: skip
    assert "no sales history" in result["forecast"]["error"]
    assert result["inventory"]["metrics_rows"] == 0 and result["cart"]["cart_lines"] == 0
    assert failed.value.message == "Demo steps failed: forecast, simulation, routes."


def test_dashboard_announces_the_demo_preparation_with_its_progress_bar(viewer):
    job = Job.objects.create(kind=JOB_KIND, status=Job.Status.RUNNING, progress=40)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(viewer)
    html = client.get("/app/dashboard/").content.decode()
    assert "The demo is being prepared" in html
    assert f'hx-get="/app/jobs/{job.pk}/progress/"' in html and 'aria-valuenow="40"' in html
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, progress=100)
    assert "The demo is being prepared" not in client.get("/app/dashboard/").content.decode()


def test_in_stock_rate_when_only_stockouts_are_marked():
    product = Product.objects.create(sku="ONLYOUT", name="marked")
    location = Location.objects.create(code="ONLYOUT-L", name="L")
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=day),
            quantity=0 if day % 20 == 0 else 3,
            stockout=True if day % 20 == 0 else None,
        )
        for day in range(40)
    )
    realised = inventory_dashboard_compute(period="daily")["realised_service_level"]
    assert realised["basis"] == "all_days"
    assert realised["days_counted"] == 40 and realised["days_out_of_stock"] == 2
    assert realised["in_stock_rate"] == pytest.approx(1 - 2 / 40)


def test_dashboard_without_any_data_has_no_rates_and_no_history():
    body = inventory_dashboard_compute(period="weekly")
    assert body["realised_service_level"]["in_stock_rate"] is None
    assert body["realised_service_level"]["basis"] is None
    assert body["stock_history_from"] is None
    assert set(body["trend"]["inventory_value"]) == {None}
    assert body["at_risk"] == []


def test_admin_view_site_opens_the_app(tenant_admin):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(tenant_admin)
    assert 'href="/app/"' in client.get("/admin/").content.decode()
    assert client.get("/app/")["Location"] == "/app/dashboard/"
    anonymous = Client(HTTP_HOST=HOST_A)
    assert anonymous.get("/")["Location"] == "/app/login/"
    viewer = Client(HTTP_HOST=HOST_A)
    viewer.force_login(make_user("viewer"))
    assert viewer.get("/")["Location"] == "/app/dashboard/"
