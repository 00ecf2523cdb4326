"""Start buttons (refresh, simulation, forecast run) and their job progress, role checks, and
query-count baselines of every page."""

from __future__ import annotations

import pytest
from django.test import Client

from core import services as core_services
from core.models import Job
from tests.conftest import HOST_A
from tests.workspace.seed import page_queries, seed_metrics


def _client(user) -> Client:
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/app/dashboard/refresh/", "inventory_refresh"),
        ("/app/simulations/start/", "inventory_simulation"),
    ],
)
def test_planner_starts_work_and_the_bar_polls_until_done(planner, url, kind):
    seed_metrics(2)
    client = _client(planner)
    response = client.post(url)
    assert response.status_code == 200
    job = Job.objects.filter(kind=kind).latest("created_at")
    html = response.content.decode()
    assert f'hx-get="/app/jobs/{job.pk}/progress/"' in html and 'hx-trigger="every 1s"' in html
    # (job_progress writes on its own connection, which cannot see this test's transaction)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=40)
    running = client.get(f"/app/jobs/{job.pk}/progress/").content.decode()
    assert 'aria-valuenow="40"' in running and "every 1s" in running
    core_services.job_succeed(job_id=str(job.pk))
    done = client.get(f"/app/jobs/{job.pk}/progress/").content.decode()
    assert 'aria-valuenow="100"' in done and "every 1s" not in done and "Reload" in done


@pytest.mark.django_db
def test_forecast_button_without_history_says_why(planner):
    response = _client(planner).post("/app/test-bed/run/")
    assert response.status_code == 400 and b"no sales history" in response.content


@pytest.mark.django_db
def test_forecast_button_starts_a_run(planner):
    from tests.forecasting_app.seed import seed

    seed()
    response = _client(planner).post("/app/test-bed/run/")
    assert response.status_code == 200 and b"Forecast run" in response.content
    assert Job.objects.filter(kind="forecast_run").exists()


@pytest.mark.django_db
def test_viewers_see_no_start_buttons_and_get_403(viewer):
    client = _client(viewer)
    for url in ("/app/dashboard/refresh/", "/app/simulations/start/", "/app/test-bed/run/"):
        assert client.post(url).status_code == 403, url
    assert not Job.objects.exists()
    for url, button in (
        ("/app/dashboard/", "start-refresh"),
        ("/app/simulations/", "start-simulation"),
        ("/app/test-bed/", "start-forecast"),
    ):
        assert f'id="{button}"' not in client.get(url).content.decode(), url
    assert client.get("/app/dashboard/refresh/").status_code == 405


@pytest.mark.django_db
def test_job_progress_of_an_unknown_job_is_404(viewer):
    import uuid

    assert _client(viewer).get(f"/app/jobs/{uuid.uuid4()}/progress/").status_code == 404


@pytest.mark.django_db
def test_public_host_has_no_pages(viewer):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/app/dashboard/").status_code == 404


def _simulations(count: int) -> None:
    from inventory.models import SimulationRun

    SimulationRun.objects.bulk_create(
        SimulationRun(status="succeeded", summary={"items": 3}) for _ in range(count)
    )


def _route_plans(count: int) -> None:
    import datetime as dt

    from routing.models import RoutePlan

    RoutePlan.objects.bulk_create(
        RoutePlan(date=dt.date(2026, 1, 1) + dt.timedelta(days=i), status="succeeded")
        for i in range(count)
    )


def _imports(count: int) -> None:
    from etl.models import ImportBatch

    ImportBatch.objects.bulk_create(
        ImportBatch(kind="sales", source_name=f"sales-{i}.csv", status="rejected", error_count=1)
        for i in range(count)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "make", "baseline"),
    [
        # domain, session, user, then the page's own queries
        # dashboard: + the ledger's first day, the rows most at risk, the announced job, currency
        ("/app/dashboard/", seed_metrics, 18),
        ("/app/what-to-order/?tab=all", seed_metrics, 7),
        ("/app/simulations/", _simulations, 4),
        ("/app/route-plans/", _route_plans, 4),
        ("/app/imports/", _imports, 4),
    ],
)
def test_query_counts_do_not_grow_with_rows(viewer, url, make, baseline):
    from django.core.cache import cache

    client = _client(viewer)
    make(2) if make is not seed_metrics else make(2, prefix="QA")
    cache.clear()
    client.get(url)  # first use creates the tenant's inventory settings row
    cache.clear()
    two = page_queries(client, url)
    make(6) if make is not seed_metrics else make(6, prefix="QB")
    cache.clear()
    eight = page_queries(client, url)
    assert len(two) == len(eight), eight
    if baseline is not None:
        assert len(eight) == baseline, eight


@pytest.mark.django_db
def test_page_baselines_on_an_empty_tenant(viewer):
    client = _client(viewer)
    for url, expected in (
        ("/app/test-bed/", 4),  # no run yet
        ("/app/what-to-order/", 6),  # no rows: no page query
        ("/app/simulations/", 4),
        ("/app/route-plans/", 4),
        ("/app/imports/", 4),
    ):
        queries = page_queries(client, url)
        if expected is not None:
            assert len(queries) == expected, (url, queries)
    assert client.get("/").status_code == 302
