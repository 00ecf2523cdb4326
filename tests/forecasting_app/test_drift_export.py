"""Drift check after new actuals, scheduled retraining, the inventory refresh queued by a
run, the data-sync hook, and the forecasts export (command and API, tenant-bound)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from catalog.models import DemandHistory
from core.models import Job
from forecasting import services
from forecasting.models import ForecastRun, ForecastValue, ModelRegistryEntry
from tests.conftest import HOST_A, HOST_B, client_for, make_user
from tests.forecasting_app.seed import END, seed


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


@pytest.mark.django_db
def test_drift_flags_the_series_whose_actuals_jumped_and_queues_retraining():
    products, locations = seed()
    run = _run(horizon=14, methods=["naive", "ses", "seasonal_naive", "sba"])
    assert services.forecast_drift_check().checked == 0  # no actuals since the run yet
    jumped = (products[0].pk, locations[0].pk)
    rows = []
    for v in ForecastValue.objects.filter(run_id=run.pk, date__lte=END + timedelta(days=10)):
        quantity = round(v.forecast) * (10 if (v.product_id, v.location_id) == jumped else 1)
        if quantity:
            rows.append(
                DemandHistory(
                    product_id=v.product_id,
                    location_id=v.location_id,
                    date=v.date,
                    quantity=Decimal(quantity),
                )
            )
    DemandHistory.objects.bulk_create(rows)

    result = services.forecast_drift_check()
    assert (result.run_id, result.days, result.checked) == (run.pk, 10, 6)
    flagged = ModelRegistryEntry.objects.filter(drift_flagged=True)
    assert [(r.product_id, r.location_id) for r in flagged] == [jumped]
    assert flagged.get().drift_ratio > 2.0 and flagged.get().drift_checked_at is not None
    retrain = ForecastRun.objects.get(pk=result.retrain_run_id)
    assert retrain.trigger == "drift" and retrain.status == "queued" and retrain.job_id
    # one retraining at a time
    assert services.forecast_drift_check().retrain_run_id is None


@pytest.mark.django_db
def test_retraining_is_due_after_the_tenants_interval():
    assert services.forecast_retrain_due() is None  # no history: nothing to do
    seed()
    first = services.forecast_retrain_due()
    assert first.trigger == "schedule" and first.status == "queued"
    assert services.forecast_retrain_due() is None  # one is active
    services.forecast_run_execute(run_id=first.pk)
    assert services.forecast_retrain_due() is None  # fresh
    services.forecast_settings_update(retrain_interval_days=3)
    later = services.forecast_retrain_due(now=timezone.now() + timedelta(days=4))
    assert later is not None and later.pk != first.pk
    entry = settings.TENANT_BEAT_SCHEDULE["forecast-retrain"]
    assert entry["task"] == "forecasting.tasks.retrain_due"
    assert settings.CELERY_BEAT_SCHEDULE["forecast-retrain"]["task"] == "tenants.tasks.fan_out"


@pytest.mark.django_db
def test_a_successful_run_queues_an_inventory_refresh(django_capture_on_commit_callbacks):
    seed()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _run(horizon=7, methods=["naive"])
    job = Job.objects.get(kind="inventory_refresh")
    assert job.params == {"trigger": "forecast"} and job.status == "queued"
    assert callbacks  # the task is sent only after commit


@pytest.mark.django_db
def test_a_sales_sync_queues_a_drift_check(django_capture_on_commit_callbacks, tmp_path):
    from etl import services as etl_services
    from forecasting.tasks import drift_check

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        etl_services._after_sales_sync()
    assert callbacks == [drift_check.delay]


@pytest.mark.django_db
def test_forecast_export_selected_and_all_methods(tenant_a, planner):
    seed()
    out = io.StringIO()
    call_command("export_data", "forecasts", "--schema", tenant_a.schema_name, stdout=out)
    assert out.getvalue().strip() == "sku,location,date,method,forecast,p10,p50,p90"
    run = services.forecast_run_start(
        horizon=7, methods=["naive", "ses"], store_all_methods=True, enqueue=False
    )
    services.forecast_run_execute(run_id=run.pk)
    out = io.StringIO()
    call_command("export_data", "forecasts", "--schema", tenant_a.schema_name, stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 6 * 7
    assert rows[0]["sku"] == "FC-A" and rows[0]["location"] == "FC-L1"
    assert rows[0]["date"] == (END + dt.timedelta(days=1)).isoformat()
    assert all(float(r["p10"]) <= float(r["p50"]) <= float(r["p90"]) for r in rows)
    out = io.StringIO()
    call_command(
        "export_data", "forecasts", "--schema", tenant_a.schema_name, "--all-methods", stdout=out
    )
    every = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(every) > len(rows)
    assert {"naive", "ses", "ensemble"} <= {r["method"] for r in every}

    response = client_for(HOST_A, planner).get("/api/v1/exports/forecasts/?format=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert len(body.strip().splitlines()) == 1 + 6 * 7
    response = client_for(HOST_A, planner).get(
        "/api/v1/exports/forecasts/?format=json&all_methods=true"
    )
    assert len(json.loads(b"".join(response.streaming_content))) == len(every)


@pytest.mark.django_db
def test_forecast_export_is_bound_to_its_tenant(tenant_b):
    seed()
    _run(horizon=7, methods=["naive"])
    with schema_context(tenant_b.schema_name):
        intruder = make_user("admin")
    response = client_for(HOST_B, intruder).get("/api/v1/exports/forecasts/?format=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.strip() == "sku,location,date,method,forecast,p10,p50,p90"


@pytest.mark.django_db
def test_old_runs_are_pruned_but_scenario_and_registry_runs_stay():
    seed()
    runs = [_run(horizon=7, methods=["naive"]) for _ in range(4)]
    services.scenario_create(name="Keep", base_run=runs[0], adjustments=[{"multiplier": 2}])
    failed = services.forecast_run_start(horizon=7, enqueue=False)
    services.forecast_run_fail(run_id=failed.pk, error="boom")
    assert services.forecast_runs_prune(keep=1) == 3  # runs 1, 2 and the failed one
    left = set(ForecastRun.objects.values_list("id", flat=True))
    assert left == {runs[0].pk, runs[3].pk}
    assert not ForecastValue.objects.filter(run_id=runs[1].pk).exists()
    assert ForecastValue.objects.filter(run_id=runs[3].pk).count() == 6 * 7
    assert services.forecast_runs_prune(keep=1) == 0


@pytest.mark.django_db
def test_beat_and_sync_tasks_call_their_services():
    from forecasting.tasks import drift_check, retrain_due

    assert retrain_due() is None  # no history
    seed()
    queued = retrain_due()
    assert ForecastRun.objects.get(pk=queued).trigger == "schedule"
    assert drift_check()["run_id"] is None  # nothing has succeeded yet
