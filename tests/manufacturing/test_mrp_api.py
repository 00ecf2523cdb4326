"""MRP through the API and the command: 202 + job, run lists, planned orders, exceptions,
pegging chain, firming, capacity."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from core.models import Job
from manufacturing.models import MrpRun, Operation, PlannedOrder, WorkCentre, WorkingOrder
from manufacturing.planning import mrp_run_create, mrp_run_execute
from manufacturing.tasks import mrp_run_job
from tests.conftest import HOST_A, assert_error, client_for
from tests.manufacturing.helpers import TODAY, mps, two_level_plant

pytestmark = pytest.mark.django_db


def _planned():
    plant = two_level_plant()
    row = mps(plant["fg"], plant["plant"], 10, "10")
    run = mrp_run_create(source="mps", horizon_days=30)
    return plant, row, mrp_run_execute(run_id=run.pk, today=TODAY)


def test_post_is_202_with_a_job_that_runs_mrp(planner, viewer):
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 3, "10")
    client = client_for(HOST_A, planner)
    response = client.post("/api/v1/mrp-runs/", {"source": "mps", "horizon": 30}, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == "mrp_run"
    mrp_run_job.apply(args=[str(job.pk)])
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    run = MrpRun.objects.get(pk=job.result["mrp_run_id"])
    assert run.status == "succeeded" and run.job_id == str(job.pk)
    assert client_for(HOST_A, viewer).post("/api/v1/mrp-runs/", {}).status_code == 403
    assert_error(client.post("/api/v1/mrp-runs/", {"source": "x"}, format="json"), 400)


def test_run_without_forecast_fails_cleanly():
    run = mrp_run_create()
    job = Job.objects.create(kind="mrp_run", params={"mrp_run_id": run.pk})
    mrp_run_job.apply(args=[str(job.pk)])
    job.refresh_from_db()
    run.refresh_from_db()
    assert job.status == "failed" and run.status == "failed"
    assert "forecast" in run.error


def test_lists_pegging_and_firming(planner):
    plant, row, run = _planned()
    client = client_for(HOST_A, planner)
    assert client.get("/api/v1/mrp-runs/").json()["count"] == 1
    detail = client.get(f"/api/v1/mrp-runs/{run.pk}/").json()
    assert detail["summary"]["planned_orders"] == 4
    orders = client.get(f"/api/v1/mrp-runs/{run.pk}/planned-orders/?page_size=2").json()
    assert orders["count"] == 4 and len(orders["results"]) == 2
    exceptions = client.get(f"/api/v1/mrp-runs/{run.pk}/exceptions/?kind=no_supplier").json()
    assert exceptions["count"] == 1
    raw = PlannedOrder.objects.get(run=run, product=plant["raw"])
    chain = client.get(f"/api/v1/mrp-runs/{run.pk}/planned-orders/{raw.pk}/pegging/").json()
    [path] = chain["paths"]
    assert [o["sku"] for o in path["orders"]] == ["RAW", "SUB", "FG"]
    assert path["demand"]["label"] == f"mps:{row.pk}"
    assert (
        client.get(f"/api/v1/mrp-runs/{run.pk}/planned-orders/{raw.pk}/pegging").status_code == 200
    )
    fg = PlannedOrder.objects.get(run=run, product=plant["fg"])
    firmed = client.post(f"/api/v1/mrp-runs/{run.pk}/planned-orders/{fg.pk}/firm/")
    assert firmed.status_code == 200 and firmed.json()["firmed"] is True
    order = WorkingOrder.objects.get(pk=firmed.json()["working_order"])
    assert (order.status, order.quantity, order.due_date) == ("planned", 6, fg.due_date)
    assert_error(client.post(f"/api/v1/mrp-runs/{run.pk}/planned-orders/{fg.pk}/firm"), 409)
    assert_error(client.get(f"/api/v1/mrp-runs/{run.pk}/planned-orders/999999/pegging/"), 404)
    # A re-run counts the firmed order (now a working order) as open supply.
    second = mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)
    assert not PlannedOrder.objects.filter(run=second, product=plant["fg"]).exists()


def test_capacity_flags_overloaded_days(planner):
    plant = two_level_plant()
    centre = WorkCentre.objects.create(code="ASM", name="Assembly", hours_per_day=8)
    bom = plant["fg"].boms.get()
    Operation.objects.create(bom=bom, sequence=10, work_centre=centre, run_minutes=60)
    due = TODAY + timedelta(days=3)  # Thursday; released Monday → spread Mon..Wed
    WorkingOrder.objects.create(
        reference="CAP-1",
        product=plant["fg"],
        location=plant["plant"],
        quantity=30,
        due_date=due,
        start_date=TODAY,
        status="released",
    )
    client = client_for(HOST_A, planner)
    body = client.get(f"/api/v1/capacity/?from={TODAY}&to={TODAY + timedelta(days=6)}").json()
    [asm] = body["work_centres"]
    loads = [(d["load_hours"], d["overloaded"]) for d in asm["days"]]
    assert loads[:4] == [(10.0, True), (10.0, True), (10.0, True), (0.0, False)]
    assert asm["days"][5]["capacity_hours"] == 0.0  # Saturday
    assert_error(client.get("/api/v1/capacity/?from=2026-12-10&to=2026-12-01"), 400)


def test_run_mrp_command_prints_the_summary(tenant_a):
    plant = two_level_plant()
    mps(plant["fg"], plant["plant"], 10, "10")
    out = io.StringIO()
    call_command(
        "run_mrp",
        "--schema",
        tenant_a.schema_name,
        "--source",
        "mps",
        "--horizon",
        "30",
        "--no-progress",
        stdout=out,
    )
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["planned_orders"] == 4 and summary["source"] == "mps"


def test_run_lists_have_flat_query_counts(planner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plant = two_level_plant()
    for day in (10, 20, 25):
        mps(plant["fg"], plant["plant"], day, "30")
    run = mrp_run_execute(run_id=mrp_run_create(source="mps", horizon_days=30).pk, today=TODAY)
    assert run.summary["planned_orders"] > 6
    client = client_for(HOST_A, planner)
    counts = {}
    for suffix in ("planned-orders/", "exceptions/"):
        for size in (1, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/mrp-runs/{run.pk}/{suffix}?page_size={size}")
            assert response.status_code == 200 and response.json()["results"]
            counts.setdefault(suffix, set()).add(len(queries.captured_queries))
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/mrp-runs/")
    assert all(len(c) == 1 and max(c) <= 10 for c in counts.values()), counts
    assert len(queries.captured_queries) <= 10
