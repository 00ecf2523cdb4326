"""The tenant boundary of forecasting: runs, cached forecast reads and the Test Bed of one
tenant never answer another tenant's requests, even where ids coincide."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from forecasting import services
from forecasting.models import ForecastRun
from tests.conftest import HOST_A, HOST_B, client_for, make_user
from tests.forecasting_app.seed import cleanup, seed


def _run():
    run = services.forecast_run_start(horizon=7, methods=["naive", "ses"], enqueue=False)
    return services.forecast_run_execute(run_id=run.pk)


@pytest.mark.django_db
def test_cached_forecasts_and_test_bed_stay_in_their_tenant(tenant_a, tenant_b, planner):
    seed()
    run_a = _run()
    with schema_context(tenant_b.schema_name):
        seed(scale=10.0)
        run_b = _run()
        intruder = make_user("admin")
    try:
        mine, theirs = client_for(HOST_A, planner), client_for(HOST_B, intruder)
        url = "/api/v1/forecasts/?sku=FC-A&location=FC-L1"
        a_first = mine.get(url).json()  # cached in A first
        b_body = theirs.get(url).json()
        assert a_first["run"] == run_a.pk and b_body["run"] == run_b.pk
        a_total = sum(f["forecast"] for f in a_first["forecast"])
        b_total = sum(f["forecast"] for f in b_body["forecast"])
        assert b_total > 5 * a_total  # B's own (10× larger) history, not A's cached answer
        assert mine.get(url).json() == a_first
        a_summary = mine.get("/api/v1/test-bed/summary/").json()
        b_summary = theirs.get("/api/v1/test-bed/summary/").json()
        assert a_summary["run"] == run_a.pk and b_summary["run"] == run_b.pk
        b_levels = theirs.get("/api/v1/forecasts/aggregate/?level=tenant&page_size=1000").json()
        a_levels = mine.get("/api/v1/forecasts/aggregate/?level=tenant&page_size=1000").json()
        assert sum(r["forecast"] for r in b_levels["results"]) > 5 * sum(
            r["forecast"] for r in a_levels["results"]
        )
        with schema_context(tenant_b.schema_name):
            assert ForecastRun.objects.count() == 1
    finally:
        with schema_context(tenant_b.schema_name):
            cleanup()
