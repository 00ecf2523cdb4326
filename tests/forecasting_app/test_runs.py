"""Forecast runs through the service, the command, the job worker and the API: values and
quantiles stored, input checks, roles, cache invalidation and the tenant boundary."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory
from core.cache import entry_key
from core.models import Job
from forecasting import selectors, services
from forecasting.engine.methods import FAST_METHODS
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    BacktestScore,
    ForecastRun,
    ForecastSettings,
    ForecastValue,
    ModelRegistryEntry,
    SeriesClassification,
)
from tests.conftest import (
    HOST_A,
    HOST_B,
    assert_error,
    client_for,
    delete_users,
    make_user,
    wait_for_job,
)
from tests.forecasting_app.seed import END, cleanup, seed


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk, chunk_size=options.pop("chunk", 1000))


@pytest.mark.django_db
def test_run_stores_selected_forecast_scores_classes_and_registry():
    products, locations = seed()
    run = services.forecast_run_start(horizon=14, enqueue=False)
    run = services.forecast_run_execute(run_id=run.pk, chunk_size=2)

    assert run.status == ForecastRun.Status.SUCCEEDED and run.series_count == 6
    assert run.chunk_count == 3 and sorted(run.done_chunks) == [0, 1, 2]
    assert run.data_end == END and run.duration_seconds is not None
    assert set(run.summary["seconds"]) >= {"load", "test_bed", "write", "total"}
    values = ForecastValue.objects.filter(run_id=run.pk)
    assert values.count() == 6 * 14 and not values.filter(selected=False).exists()
    first = values.order_by("date").first().date
    assert (first - END).days == 1
    for v in values:
        assert 0 <= v.p05 <= v.p10 <= v.p50 <= v.p90 <= v.p95
    classes = {(c.product_id, c.location_id): c for c in SeriesClassification.objects.all()}
    assert len(classes) == 6
    for v in values:
        assert v.method == classes[(v.product_id, v.location_id)].method
    assert {c.pattern for c in classes.values() if c.product_id == products[2].pk} == {
        "intermittent"
    }
    assert {c.abc for c in classes.values()} <= {"A", "B", "C"}
    # B sells most by revenue (price 5): its series are A-class.
    assert {c.abc for c in classes.values() if c.product_id == products[1].pk} == {"A"}
    # Every fast method and the combination of the best ones compete (ADR 23).
    scored = len(FAST_METHODS) + 1
    assert BacktestScore.objects.filter(run_id=run.pk).count() == 6 * scored
    ranks = sorted(
        BacktestScore.objects.filter(
            run_id=run.pk, product_id=products[0].pk, location_id=locations[0].pk
        ).values_list("rank", flat=True)
    )
    assert ranks == list(range(1, scored + 1))
    registry = ModelRegistryEntry.objects.get(product=products[0], location=locations[0])
    assert (
        registry.run_id == run.pk
        and registry.method == classes[(products[0].pk, locations[0].pk)].method
    )
    assert registry.data_end == END and registry.rmsse is not None


@pytest.mark.django_db
def test_all_methods_are_stored_with_one_selected_per_day():
    seed()
    run = services.forecast_run_start(
        horizon=7,
        methods=["naive", "ses", "seasonal_naive"],
        store_all_methods=True,
        enqueue=False,
    )
    run = services.forecast_run_execute(run_id=run.pk)
    values = ForecastValue.objects.filter(run_id=run.pk)
    methods = set(values.values_list("method", flat=True))
    assert {"naive", "ses", "seasonal_naive", "ensemble"} <= methods
    assert values.filter(selected=True).count() == 6 * 7
    assert values.filter(method="seasonal_naive").count() == 6 * 7


@pytest.mark.django_db
def test_history_is_dense_and_of_the_window_only():
    products, locations = seed()
    run = services.forecast_run_start(horizon=7, history_days=60, enqueue=False)
    block = services.history_load(run=run)
    assert block.history.shape == (6, 60)
    pair = DemandHistory.objects.filter(
        product=products[0], location=locations[1], date__gte=run.data_start
    )
    row = np.flatnonzero((block.product == products[0].pk) & (block.location == locations[1].pk))
    assert block.history[row[0]].sum() == pytest.approx(sum(float(d.quantity) for d in pair))
    # the intermittent SKU has zero days: filled with 0, not missing
    assert (block.history == 0).any()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 366}, "horizon"),
        ({"folds": 11}, "folds"),
        ({"methods": ["prophet"]}, "methods"),
        ({"horizon": 60, "folds": 3}, "horizon"),  # 120 days < 3 × 60 + 2
    ],
)
def test_bad_run_requests_are_refused_and_write_nothing(options, field):
    seed()
    with pytest.raises(ForecastInputError) as caught:
        services.forecast_run_start(enqueue=False, **options)
    assert field in caught.value.details
    assert not ForecastRun.objects.exists()


@pytest.mark.django_db
def test_no_history_is_refused():
    with pytest.raises(ForecastInputError):
        services.forecast_run_start(enqueue=False)


@pytest.mark.django_db
def test_command_runs_synchronously_with_the_same_service(tenant_a):
    seed()
    out = StringIO()
    call_command(
        "run_forecast",
        "--schema",
        tenant_a.schema_name,
        "--horizon",
        "7",
        "--methods",
        "naive",
        "ses",
        "--no-progress",
        stdout=out,
    )
    run = ForecastRun.objects.get()
    assert run.status == "succeeded" and run.methods == ["naive", "ses"]
    assert f"run {run.pk} forecast 6 series 7 days" in out.getvalue()
    assert ForecastValue.objects.filter(run_id=run.pk).count() == 6 * 7
    with pytest.raises(CommandError, match="horizon"):
        call_command(
            "run_forecast", "--schema", tenant_a.schema_name, "--horizon", "400", "--no-progress"
        )


@pytest.mark.django_db
def test_api_validation_roles_and_list_query_count(planner, viewer):
    seed()
    client = client_for(HOST_A, planner)
    for body in (
        {"horizon": 0},
        {"horizon": 400},
        {"methods": ["nope"]},
        {"folds": 0},
        {"horizon": "x"},
    ):
        assert_error(client.post("/api/v1/forecast-runs/", body, format="json"), 400)
    assert_error(client.post("/api/v1/forecast-runs/", {"horizon": 90}, format="json"), 400)
    assert not ForecastRun.objects.exists()
    assert_error(client_for(HOST_A, viewer).post("/api/v1/forecast-runs/", {"horizon": 7}), 403)
    response = client.post(
        "/api/v1/forecast-runs/", {"horizon": 7, "methods": ["naive"]}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] and body["status"] == "queued"
    assert body["job"]["kind"] == "forecast_run" and body["job_url"]
    for _ in range(3):
        services.forecast_run_start(horizon=7, enqueue=False, user=planner)
    reader = client_for(HOST_A, viewer)
    with CaptureQueriesContext(connection) as few:
        assert reader.get("/api/v1/forecast-runs/").json()["count"] == 4
    for _ in range(3):
        services.forecast_run_start(horizon=7, user=planner)
    with CaptureQueriesContext(connection) as many:
        page = reader.get("/api/v1/forecast-runs/?page_size=5").json()
    assert page["count"] == 7 and len(page["results"]) == 5
    assert len(many) == len(few)
    assert reader.get(body["url"]).json()["id"] == body["id"]


@pytest.mark.django_db
def test_a_second_forecast_request_gets_the_active_run(api_planner):
    seed()
    first = api_planner.post("/api/v1/forecast-runs/", {"horizon": 7}, format="json")
    again = api_planner.post("/api/v1/forecast-runs/", {"horizon": 14}, format="json")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert ForecastRun.objects.count() == 1


@pytest.mark.django_db
def test_forecasts_endpoint_history_forecast_and_intervals(planner):
    products, locations = seed()
    run = _run(horizon=14)
    client = client_for(HOST_A, planner)
    daily = client.get(f"/api/v1/forecasts/?sku=FC-A&location=FC-L1&run={run.pk}").json()
    assert daily["sku"] == "FC-A" and daily["location"] == "FC-L1" and daily["run"] == run.pk
    assert len(daily["forecast"]) == 14 and len(daily["history"]) == 120
    assert daily["history"][-1]["period"] == END.isoformat()
    stored = ForecastValue.objects.filter(run_id=run.pk, product=products[0], location=locations[0])
    assert sum(f["forecast"] for f in daily["forecast"]) == pytest.approx(
        sum(v.forecast for v in stored)
    )
    for f in daily["forecast"]:  # the 90% interval: [p05, p95], or [0, p90] below half a unit
        floor = f["p05"] < 0.5
        assert f["lower_90"] == (0.0 if floor else f["p05"])
        assert f["upper_90"] == (f["p90"] if floor else f["p95"])
    weekly = client.get("/api/v1/forecasts/?sku=FC-A&location=FC-L1&interval=week").json()
    assert sum(f["p90"] for f in weekly["forecast"]) == pytest.approx(
        sum(f["p90"] for f in daily["forecast"])
    )
    assert len(weekly["forecast"]) in (2, 3)
    monthly = client.get("/api/v1/forecasts/?sku=FC-A&interval=month").json()
    both = ForecastValue.objects.filter(run_id=run.pk, product=products[0])
    assert sum(f["forecast"] for f in monthly["forecast"]) == pytest.approx(
        sum(v.forecast for v in both)
    )
    assert sum(h["quantity"] for h in monthly["history"]) == pytest.approx(
        sum(float(d.quantity) for d in DemandHistory.objects.filter(product=products[0]))
    )
    assert_error(client.get("/api/v1/forecasts/?sku=FC-A&interval=year"), 400)
    assert_error(client.get("/api/v1/forecasts/"), 400)
    assert_error(client.get("/api/v1/forecasts/?sku=NOPE"), 404)
    assert_error(client.get("/api/v1/forecasts/?sku=FC-A&run=999999"), 404)


@pytest.mark.django_db
def test_rows_cached_in_an_older_format_are_not_served(planner):
    seed()
    run = _run(horizon=7)
    product = selectors._product_by_sku("FC-A")
    # What an earlier release cached under the key without the rows format (no lower_90).
    stale = {"run": run.pk, "sku": "FC-A", "location": None, "interval": "day", "methods": []}
    stale |= {"history": [], "forecast": [{"period": END, "forecast": 1.0, "p05": 0.0}]}
    cache.set(entry_key("forecasts", "series", run.pk, product.pk, None, "day"), stale, 600)
    response = client_for(HOST_A, planner).get("/api/v1/forecasts/?sku=FC-A")
    assert response.status_code == 200, response.content
    assert len(response.json()["forecast"]) == 7
    assert {"lower_90", "upper_90"} <= set(response.json()["forecast"][0])


@pytest.mark.django_db
def test_a_new_run_invalidates_cached_reads():
    seed()
    first = _run(horizon=7, methods=["naive", "ses"])
    before = selectors.test_bed_summary(user=None, run_id=first.pk)
    SeriesClassification.objects.filter(run_id=first.pk).delete()
    assert selectors.test_bed_summary(user=None, run_id=first.pk) == before  # cached
    _run(horizon=7, methods=["naive"])
    after = selectors.test_bed_summary(user=None, run_id=first.pk)
    assert before["series"] == 6 and after["series"] == 0


@pytest.mark.django_db
def test_a_run_reads_only_its_own_tenants_history(tenant_a, tenant_b):
    seed()
    a_total = sum(float(d.quantity) for d in DemandHistory.objects.all())
    with schema_context(tenant_b.schema_name):
        seed(scale=10.0)
    try:
        run = _run(horizon=7, methods=["naive"])
        assert run.series_count == 6
        stored = sum(
            SeriesClassification.objects.filter(run_id=run.pk).values_list(
                "quantity_total", flat=True
            )
        )
        assert stored == pytest.approx(a_total)
    finally:
        with schema_context(tenant_b.schema_name):
            cleanup()


def test_api_run_is_202_then_chunks_run_on_the_worker(live_worker, live_db, tenant_a, tenant_b):
    job_started = timezone.now()  # jobs other tests left in tenant A are older
    with schema_context(tenant_a.schema_name):
        user = make_user(User.Role.PLANNER)
        seed()
        ForecastSettings.objects.update_or_create(pk=1, defaults={"chunk_size": 2})
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
    try:
        client = client_for(HOST_A, user)
        response = client.post(
            "/api/v1/forecast-runs/", {"horizon": 7, "methods": ["naive", "ses"]}, format="json"
        )
        assert response.status_code == 202, response.content
        body = response.json()
        job = wait_for_job(client, body["job_url"], timeout=60)
        assert job["status"] == "succeeded", job
        assert job["progress"] == 100 and job["result"]["chunks"] == 3
        run = client.get(response["Location"]).json()
        assert run["status"] == "succeeded" and run["series_count"] == 6
        with schema_context(tenant_a.schema_name):
            assert ForecastValue.objects.filter(run_id=run["id"]).count() == 6 * 7
        series = client.get("/api/v1/forecasts/?sku=FC-A").json()
        assert series["run"] == run["id"] and len(series["forecast"]) == 7

        other = client_for(HOST_B, intruder)
        assert other.get("/api/v1/forecast-runs/").json()["count"] == 0
        assert_error(other.get(response["Location"]), 404)
        assert_error(other.get("/api/v1/forecasts/?sku=FC-A"), 404)
        assert_error(other.get(f"/api/v1/test-bed/summary/?run={run['id']}"), 404)

        # the run queued an inventory refresh; the worker runs it in tenant A
        with schema_context(tenant_a.schema_name):
            refresh = Job.objects.filter(
                kind="inventory_refresh", params__trigger="forecast", created_at__gte=job_started
            ).get()
        refreshed = wait_for_job(client, f"/api/v1/jobs/{refresh.pk}/", timeout=60)
        assert refreshed["status"] == "succeeded", refreshed
    finally:
        with schema_context(tenant_a.schema_name):
            cleanup()
            ForecastSettings.objects.all().delete()
            Job.objects.filter(kind="inventory_refresh", params__trigger="forecast").delete()
        delete_users(tenant_a, user)
        delete_users(tenant_b, intruder)


@pytest.mark.django_db
def test_policy_arrays_come_from_the_latest_successful_run():
    empty = selectors.latest_forecast_for_policy()
    assert empty.run_id is None and empty.product_id.size == 0
    products, locations = seed()
    _run(horizon=7, methods=["naive"])
    run = _run(horizon=14)
    policy = selectors.latest_forecast_for_policy()
    assert policy.run_id == run.pk and policy.horizon == 14
    assert policy.product_id.size == 6 and policy.product_id.dtype == np.int64
    pairs = list(zip(policy.product_id.tolist(), policy.location_id.tolist(), strict=True))
    assert pairs == sorted(pairs)
    i = pairs.index((products[1].pk, locations[0].pk))
    values = ForecastValue.objects.filter(
        run_id=run.pk, product=products[1], location=locations[0], selected=True
    )
    assert policy.mean_daily[i] == pytest.approx(np.mean([v.forecast for v in values]))
    assert policy.p50_total[i] == pytest.approx(sum(v.p50 for v in values))
    assert policy.p90_total[i] == pytest.approx(sum(v.p90 for v in values))
    backtest = SeriesClassification.objects.get(
        run_id=run.pk, product=products[1], location=locations[0]
    )
    assert policy.sigma_daily[i] == pytest.approx(backtest.rmse)
    assert (policy.p90_total >= policy.p50_total).all() and (policy.sigma_daily >= 0).all()


def test_command_runs_chunks_on_worker_processes(live_worker, live_db, tenant_a, tenant_b):
    # live_worker: the inventory refresh the run queues is run (and awaited) before cleanup
    with schema_context(tenant_a.schema_name):
        seed()
        ForecastSettings.objects.update_or_create(pk=1, defaults={"chunk_size": 2})
    with schema_context(tenant_b.schema_name):
        seed(scale=10.0)
    try:
        out = StringIO()
        call_command(
            "run_forecast",
            "--schema",
            tenant_a.schema_name,
            "--horizon",
            "7",
            "--methods",
            "naive",
            "ses",
            "--workers",
            "2",
            "--no-progress",
            stdout=out,
        )
        with schema_context(tenant_a.schema_name):
            run = ForecastRun.objects.get()
            assert run.status == "succeeded" and run.chunk_count == 3
            assert sorted(run.done_chunks) == [0, 1, 2]
            assert ForecastValue.objects.filter(run_id=run.pk).count() == 6 * 7
            a_total = sum(float(d.quantity) for d in DemandHistory.objects.all())
            stored = SeriesClassification.objects.filter(run_id=run.pk)
            assert sum(stored.values_list("quantity_total", flat=True)) == pytest.approx(a_total)
        with schema_context(tenant_b.schema_name):
            assert not ForecastRun.objects.exists()
        assert f"run {run.pk} forecast 6 series" in out.getvalue()
        _wait_for_refresh(tenant_a)
    finally:
        for tenant in (tenant_a, tenant_b):
            with schema_context(tenant.schema_name):
                cleanup()
                ForecastSettings.objects.all().delete()
                Job.objects.filter(kind="inventory_refresh", params__trigger="forecast").delete()


def _wait_for_refresh(tenant, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    with schema_context(tenant.schema_name):
        while time.monotonic() < deadline:
            job = Job.objects.filter(kind="inventory_refresh", params__trigger="forecast").first()
            if job is not None and job.status in Job.FINISHED:
                assert job.status == "succeeded", job.error
                return
            time.sleep(0.1)
    raise AssertionError("the inventory refresh did not finish")
