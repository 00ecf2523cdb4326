"""Heavy work is limited per tenant on top of the per-user limit, and a second start of a kind
already running returns the running job (ADR 31)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from accounts.models import User
from core.models import Job
from manufacturing.models import MrpRun
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_exports_a_minute(settings):
    settings.RATE_LIMIT_HEAVY_WORK = {**settings.RATE_LIMIT_HEAVY_WORK, "export": "2/m"}
    cache.clear()
    yield
    cache.clear()


def test_exports_are_limited_per_tenant_not_per_user(two_exports_a_minute, tenant_b):
    first, second = make_user(), make_user()
    assert client_for(HOST_A, first).get("/api/v1/exports/products/").status_code == 200
    assert client_for(HOST_A, first).get("/api/v1/exports/products/").status_code == 200
    refused = client_for(HOST_A, second).get("/api/v1/exports/products/")
    error = assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) >= 1 and error["details"]["retry_after_seconds"] >= 1
    # Reads that start no heavy work are not counted.
    assert client_for(HOST_A, second).get("/api/v1/products/").status_code == 200
    # Another tenant has its own budget.
    with schema_context(tenant_b.schema_name):
        other = make_user()
    assert client_for(HOST_B, other).get("/api/v1/exports/products/").status_code == 200


def test_starting_runs_is_limited_per_tenant(settings):
    settings.RATE_LIMIT_HEAVY_WORK = {**settings.RATE_LIMIT_HEAVY_WORK, "mrp_run": "1/m"}
    cache.clear()
    client = client_for(HOST_A, make_user(User.Role.PLANNER))
    assert (
        client.post("/api/v1/mrp-runs/", {"source": "forecast"}, format="json").status_code == 202
    )
    refused = client.post("/api/v1/mrp-runs/", {"source": "forecast"}, format="json")
    assert_error(refused, 429, "rate_limited")
    cache.clear()


def test_a_second_mrp_run_returns_the_running_one():
    job = Job.objects.create(kind="mrp_run", status="running")
    MrpRun.objects.create(status="running", job_id=str(job.pk))
    before = MrpRun.objects.count()
    client = client_for(HOST_A, make_user(User.Role.PLANNER))
    response = client.post("/api/v1/mrp-runs/", {"source": "forecast"}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["id"] == str(job.pk)
    assert MrpRun.objects.count() == before


def test_a_second_inventory_refresh_returns_the_running_one(tenant_b):
    job = Job.objects.create(kind="inventory_refresh", status="queued")
    response = client_for(HOST_A, make_user()).post("/api/v1/inventory/calculate")
    assert response.status_code == 202 and response.json()["id"] == str(job.pk)
    assert Job.objects.filter(kind="inventory_refresh").count() == 1


def test_a_second_route_plan_returns_the_running_one(tenant_b):
    from routing.models import RoutePlan

    job = Job.objects.create(kind="route_plan", status="running")
    plan = RoutePlan.objects.create(date="2026-03-02", status="running", job=job)
    client = client_for(HOST_A, make_user(User.Role.PLANNER))
    response = client.post("/api/v1/route-plans/", {"date": "2026-03-03"}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["id"] == plan.pk
    assert RoutePlan.objects.count() == 1
    # Tenant B's planners are not held up by tenant A's plan.
    with schema_context(tenant_b.schema_name):
        other = make_user(User.Role.PLANNER)
    on_b = client_for(HOST_B, other).post(
        "/api/v1/route-plans/", {"date": "2026-03-03"}, format="json"
    )
    assert on_b.status_code == 400  # B has no vehicle: its own request was really handled
    assert on_b.json()["error"]["details"].get("vehicles")


@pytest.mark.parametrize(
    ("kind", "method", "path", "role"),
    [
        ("forecast_run", "post", "/api/v1/forecast-runs/", User.Role.PLANNER),
        ("simulation", "post", "/api/v1/inventory/simulations/", User.Role.PLANNER),
        ("import", "post", "/api/v1/imports/", User.Role.PLANNER),
        ("route_plan", "post", "/api/v1/route-plans/", User.Role.PLANNER),
        ("inventory_refresh", "post", "/api/v1/inventory/calculate", User.Role.PLANNER),
        ("export", "get", "/api/v1/audit-log/export/", User.Role.ADMIN),
    ],
)
def test_every_kind_of_heavy_work_is_limited_per_tenant(settings, kind, method, path, role):
    """Each endpoint that starts heavy work counts against its kind's tenant budget, whoever
    asks and whatever the first answer was (a refused start still cost the check)."""
    settings.RATE_LIMIT_HEAVY_WORK = {**settings.RATE_LIMIT_HEAVY_WORK, kind: "1/m"}
    cache.clear()
    try:
        first = getattr(client_for(HOST_A, make_user(role)), method)(path)
        assert first.status_code != 429, first.content
        second = getattr(client_for(HOST_A, make_user(role)), method)(path)
        assert_error(second, 429, "rate_limited")
        # Another kind's budget is untouched.
        assert client_for(HOST_A, make_user(role)).get("/api/v1/products/").status_code == 200
    finally:
        cache.clear()


def _page_client(user, host: str = HOST_A):
    from django.test import Client

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def test_page_buttons_share_the_apis_heavy_work_budget_per_tenant(settings, tenant_b):
    """The dashboard's "Refresh" button spends the same per-tenant budget as
    ``POST /api/v1/inventory/calculate``: over it the button answers 429 with Retry-After and
    starts nothing; a viewer's refused press spends nothing; another tenant has its own."""
    settings.RATE_LIMIT_HEAVY_WORK = {**settings.RATE_LIMIT_HEAVY_WORK, "inventory_refresh": "2/m"}
    cache.clear()
    planner = make_user(User.Role.PLANNER)
    page = _page_client(planner)
    assert (
        _page_client(make_user(User.Role.VIEWER)).post("/app/dashboard/refresh/").status_code == 403
    )
    assert page.post("/app/dashboard/refresh/").status_code == 200
    api = client_for(HOST_A, planner).post("/api/v1/inventory/calculate", {}, format="json")
    assert api.status_code == 202, api.content
    jobs = Job.objects.filter(kind="inventory_refresh").count()  # the API joins the queued one

    refused = page.post("/app/dashboard/refresh/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert b"nothing was started" in refused.content
    assert Job.objects.filter(kind="inventory_refresh").count() == jobs
    # The API sees the same spent budget.
    again = client_for(HOST_A, planner).post("/api/v1/inventory/calculate", {}, format="json")
    assert_error(again, 429, "rate_limited")

    with schema_context(tenant_b.schema_name):
        other = _page_client(make_user(User.Role.PLANNER), HOST_B)
    assert other.post("/app/dashboard/refresh/").status_code == 200
    cache.clear()


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("forecast_run", "/app/test-bed/run/"),
        ("simulation", "/app/simulations/start/"),
        ("import", "/app/imports/start/"),
        ("route_plan", "/app/route-plans/start/"),
    ],
)
def test_every_start_button_is_limited(settings, kind, url):
    settings.RATE_LIMIT_HEAVY_WORK = {**settings.RATE_LIMIT_HEAVY_WORK, kind: "1/m"}
    cache.clear()
    page = _page_client(make_user(User.Role.PLANNER))
    page.post(url)  # the first press spends the budget, whatever it answers
    jobs = Job.objects.count()
    refused = page.post(url)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert Job.objects.count() == jobs
    cache.clear()
