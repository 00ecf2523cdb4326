"""Plans and quotas: every limit enforced in the service (and so in every door to it), the
403/429 envelopes, usage for tenant admins and platform staff, and tenancy."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context
from prometheus_client import REGISTRY

from accounts.models import User
from catalog.models import Location, Product
from core.quotas import DailyQuotaExceeded, QuotaExceeded, seconds_to_midnight
from tenants.middleware import forget_tenant_lookups
from tenants.models import Plan, Tenant
from tests.conftest import (
    HOST_A,
    HOST_B,
    PASSWORD,
    PUBLIC_HOST,
    assert_error,
    client_for,
    make_user,
)
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_for_alpha(tenant_a):
    """Put tenant alpha on a plan of the test's own limits; back to unlimited afterwards."""
    created = []

    def put(**limits) -> Plan:
        with schema_context("public"):
            plan = Plan.objects.create(name=f"test-{uuid.uuid4().hex[:8]}", **limits)
            Tenant.objects.filter(pk=tenant_a.pk).update(plan=plan)
        created.append(plan)
        tenant_a.plan = plan  # the connection's tenant object (services read it)
        connection.tenant.plan = plan
        forget_tenant_lookups()
        return plan

    yield put
    with schema_context("public"):
        Tenant.objects.filter(pk=tenant_a.pk).update(plan_id=Plan.UNLIMITED)
        tenant_a.plan = Plan.objects.get(pk=Plan.UNLIMITED)
        Plan.objects.filter(pk__in=[p.pk for p in created]).delete()
    forget_tenant_lookups()


def _rejections(limit: str) -> float:
    return REGISTRY.get_sample_value("dp_quota_rejections_total", {"limit": limit}) or 0.0


def test_products_hard_limit_names_the_limit_and_the_usage(plan_for_alpha):
    existing = Product.objects.count()
    plan_for_alpha(products=existing + 1)
    ProductFactory()
    before = _rejections("products")
    with pytest.raises(QuotaExceeded) as refused:
        ProductFactory()
    assert refused.value.status_code == 403
    assert refused.value.details == {
        "limit": "products",
        "allowed": existing + 1,
        "usage": existing + 1,
        "adding": 1,
    }
    assert Product.objects.count() == existing + 1
    assert _rejections("products") == before + 1


def test_products_limit_through_the_api_is_a_403_envelope(plan_for_alpha, tenant_admin):
    plan_for_alpha(products=Product.objects.count())
    response = client_for(HOST_A, tenant_admin).post(
        "/api/v1/products/", {"sku": "OVER-1", "name": "One too many"}, format="json"
    )
    body = assert_error(response, 403, "quota_exceeded")
    assert body["details"]["limit"] == "products"
    assert not Product.objects.filter(sku="OVER-1").exists()


def test_an_import_crossing_the_products_limit_writes_nothing(plan_for_alpha):
    from etl.importing import run_import

    existing = Product.objects.count()
    plan_for_alpha(products=existing + 2)
    data = b"sku,name\nQ-1,One\nQ-2,Two\nQ-3,Three\n"
    with pytest.raises(QuotaExceeded):
        run_import(kind="products", stream=io.BytesIO(data), size=len(data))
    assert Product.objects.count() == existing
    # Within the limit, the same path imports.
    data = b"sku,name\nQ-1,One\nQ-2,Two\n"
    report = run_import(kind="products", stream=io.BytesIO(data), size=len(data))
    assert report.status == "imported" and Product.objects.count() == existing + 2


def test_sales_creating_missing_locations_count_against_the_locations_limit(plan_for_alpha):
    from etl.importing import run_import

    ProductFactory(sku="LOC-Q")
    plan_for_alpha(locations=Location.objects.count())
    data = b"date,sku,location,quantity\n2026-01-01,LOC-Q,NEW-DC,3\n"
    with pytest.raises(QuotaExceeded) as refused:
        run_import(kind="sales", stream=io.BytesIO(data), size=len(data), create_missing=True)
    assert refused.value.details["limit"] == "locations"
    assert not Location.objects.filter(code="NEW-DC").exists()


def test_locations_limit_through_the_api(plan_for_alpha, tenant_admin):
    LocationFactory()
    plan_for_alpha(locations=Location.objects.count())
    response = client_for(HOST_A, tenant_admin).post(
        "/api/v1/locations/", {"code": "L-OVER", "name": "Over"}, format="json"
    )
    assert_error(response, 403, "quota_exceeded")


def test_users_limit_counts_active_users(plan_for_alpha):
    plan_for_alpha(users=User.objects.filter(is_active=True).count())
    with pytest.raises(QuotaExceeded) as refused:
        make_user()
    assert refused.value.details["limit"] == "users"
    # An inactive account does not take a seat, until it is reactivated.
    dormant = User(username="dormant@example.com", email="dormant@example.com", is_active=False)
    dormant.save()
    dormant.is_active = True
    with pytest.raises(QuotaExceeded):
        dormant.save()


def test_storage_limit_refuses_imports_but_not_dry_runs(plan_for_alpha):
    from etl.importing import run_import

    plan_for_alpha(storage_mb=1)  # a migrated tenant schema alone is larger
    data = b"sku,name\nS-1,One\n"
    with pytest.raises(QuotaExceeded) as refused:
        run_import(kind="products", stream=io.BytesIO(data), size=len(data))
    assert refused.value.details["limit"] == "storage_mb"
    assert refused.value.details["usage"] > 1
    report = run_import(kind="products", stream=io.BytesIO(data), size=len(data), dry_run=True)
    assert report.status == "validated"


def test_forecast_runs_per_day_answer_429_with_retry_after(plan_for_alpha, planner):
    from forecasting.services.runs import forecast_run_start, forecast_runs_today

    plan_for_alpha(forecast_runs_per_day=forecast_runs_today())
    with pytest.raises(DailyQuotaExceeded) as refused:
        forecast_run_start(user=planner)
    assert refused.value.status_code == 429
    assert 1 <= refused.value.retry_after <= 24 * 3600
    response = client_for(HOST_A, planner).post("/api/v1/forecast-runs/", {}, format="json")
    body = assert_error(response, 429, "quota_exceeded")
    assert body["details"]["limit"] == "forecast_runs_per_day"
    assert 1 <= int(response["Retry-After"]) <= 24 * 3600


def test_simulations_per_day(plan_for_alpha, planner):
    from inventory.simulation_service import simulation_run_start, simulations_today

    plan_for_alpha(simulations_per_day=simulations_today())
    with pytest.raises(DailyQuotaExceeded) as refused:
        simulation_run_start(user=planner)
    assert refused.value.details["limit"] == "simulations_per_day"


def test_api_calls_per_day(plan_for_alpha, tenant_admin):
    plan_for_alpha(api_calls_per_day=3)
    client = client_for(HOST_A, tenant_admin)
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/me")
    assert_error(refused, 429, "quota_exceeded")
    assert int(refused["Retry-After"]) >= 1
    # Tenant beta's calls are its own: alpha's plan and counter do not touch it.
    beta_admin = _beta_admin()
    assert client_for(HOST_B, beta_admin).get("/api/v1/me").status_code == 200


def _beta_admin() -> User:
    with schema_context(Tenant.objects.get(slug="beta").schema_name):
        return make_user(User.Role.ADMIN)


def test_seconds_to_midnight():
    from datetime import UTC, datetime

    assert seconds_to_midnight(datetime(2026, 1, 1, 23, 59, 30, tzinfo=UTC)) == 30
    assert seconds_to_midnight(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)) == 24 * 3600


def test_usage_for_tenant_admins_only(plan_for_alpha, tenant_admin, planner):
    plan = plan_for_alpha(products=1000, users=50)
    ProductFactory()
    response = client_for(HOST_A, tenant_admin).get("/api/v1/usage/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["plan"] == plan.name
    assert body["limits"]["products"] == {
        "allowed": 1000,
        "used": Product.objects.count(),
        "per": None,
    }
    assert body["limits"]["users"]["used"] == User.objects.filter(is_active=True).count()
    assert body["limits"]["locations"]["allowed"] is None
    assert body["limits"]["forecast_runs_per_day"]["per"] == "day"
    assert body["limits"]["storage_mb"]["used"] > 0
    assert_error(client_for(HOST_A, planner).get("/api/v1/usage/"), 403)


def test_usage_is_per_tenant(plan_for_alpha, tenant_admin):
    plan_for_alpha(products=10_000)
    ProductFactory.create_batch(3)
    alpha_products = Product.objects.count()
    with schema_context(Tenant.objects.get(slug="beta").schema_name):
        beta_products = Product.objects.count()
    alpha = client_for(HOST_A, tenant_admin).get("/api/v1/usage/").json()
    beta = client_for(HOST_B, _beta_admin()).get("/api/v1/usage/").json()
    assert beta["plan"] == "unlimited"
    assert beta["limits"]["products"] == {"allowed": None, "used": beta_products, "per": None}
    assert alpha["limits"]["products"]["used"] == alpha_products >= 3


@pytest.fixture
def staff():
    with schema_context("public"):
        return User.objects.create_superuser(
            "quota-staff@platform.example", "quota-staff@platform.example", PASSWORD
        )


def test_staff_see_every_tenants_usage(plan_for_alpha, staff):
    plan = plan_for_alpha(products=77)
    client = client_for(PUBLIC_HOST, staff)
    alpha = client.get("/api/v1/tenants/alpha/usage/")
    assert alpha.status_code == 200, alpha.content
    assert alpha.json()["plan"] == plan.name
    assert alpha.json()["limits"]["products"]["allowed"] == 77
    assert client.get("/api/v1/tenants/beta/usage/").json()["plan"] == "unlimited"
    assert_error(client.get("/api/v1/tenants/nobody/usage/"), 404)


def test_provisioning_defaults_to_unlimited_and_takes_a_plan(capsys):
    from core.exceptions import ValidationFailed
    from tenants.services import tenant_provision

    slug = f"q{uuid.uuid4().hex[:8]}"
    call_command("provision_tenant", slug, "--name", "Quota One", "--plan", "free")
    default = tenant_provision(slug=f"{slug}-d", name="Quota Two")
    with schema_context("public"):
        assert Tenant.objects.get(slug=slug).plan_id == "free"
        assert Tenant.objects.get(slug=f"{slug}-d").plan_id == Plan.UNLIMITED
    with pytest.raises(ValidationFailed):
        tenant_provision(slug=f"{slug}-x", name="Bad", plan="platinum")
    assert default.created


# --- storage counts the tenant's files, not only its tables -------------------------------------


@pytest.fixture(autouse=False)
def _new_files_removed():
    """The database rolls back after each test; files written to media do not."""
    import shutil
    from pathlib import Path

    from django.conf import settings

    roots = [
        Path(settings.MEDIA_ROOT) / kind / schema
        for kind in ("uploads", "reports")
        for schema in ("t_alpha", "t_beta")
    ]
    before = {root: set(root.iterdir()) if root.is_dir() else set() for root in roots}
    yield
    for root, kept in before.items():
        for path in set(root.iterdir()) - kept if root.is_dir() else ():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _csv(size: int) -> bytes:
    row = b"2024-01-01,SKU-1,LOC-1,1\n"
    return b"date,sku,location,quantity\n" + row * (size // len(row))


def _post_file(client, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/uploads/",
        {"file": SimpleUploadedFile("sales.csv", content, content_type="text/csv")},
        format="multipart",
    )


def test_storage_counts_uploads_reports_and_backups_and_refuses_over_the_plan(
    plan_for_alpha, tenant_admin, settings, tmp_path, _new_files_removed
):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from core import quotas
    from core.models import Upload
    from integrations.models import Report, ReportSchedule
    from integrations.reports import report_generate

    settings.BACKUP_TARGET = ""
    settings.TENANT_BACKUP_DIR = tmp_path / "backups"
    client = client_for(HOST_A, tenant_admin)
    before = quotas.storage_bytes()
    assert set(before) == {"database", "uploads", "reports", "backups"}

    # Uploaded files count with their size.
    content = _csv(2 * 1024 * 1024)
    assert _post_file(client, content).status_code == 201
    assert quotas.storage_bytes()["uploads"] == before["uploads"] + len(content)
    # Report files too.
    Report.objects.create(
        kind="forecast_accuracy",
        format="csv",
        file=ContentFile(b"x" * 5000, name="r.csv"),
        file_name="r.csv",
        size=5000,
        created_at=timezone.now(),
    )
    assert quotas.storage_bytes()["reports"] == before["reports"] + 5000
    # And the tenant's backups in the backup store.
    folder = settings.TENANT_BACKUP_DIR / "alpha"
    folder.mkdir(parents=True)
    (folder / "alpha-20240101T000000Z.zip").write_bytes(b"\0" * (3 * 1024 * 1024))
    assert quotas.storage_bytes()["backups"] == 3 * 1024 * 1024

    # /api/v1/usage/ shows the parts and their sum.
    usage = client.get("/api/v1/usage/").json()
    assert usage["storage_bytes"]["backups"] == 3 * 1024 * 1024
    assert usage["limits"]["storage_mb"]["used"] == quotas._mb(sum(usage["storage_bytes"].values()))

    # A plan with room for the tables and uploads but not the backup: a small file is refused,
    # because the backups count.
    without_backups = sum(v for k, v in quotas.storage_bytes().items() if k != "backups")
    plan_for_alpha(storage_mb=-(-without_backups // (1024 * 1024)) + 1)
    uploads = Upload.objects.count()
    refused = _post_file(client, _csv(2000))
    body = assert_error(refused, 403, "quota_exceeded")
    assert body["details"]["limit"] == "storage_mb"
    assert Upload.objects.count() == uploads
    # Report generation is refused by the service too, before any file is written.
    schedule = ReportSchedule.objects.create(
        name="nightly", kind="forecast_accuracy", format="csv", frequency="daily"
    )
    reports = Report.objects.count()
    with pytest.raises(QuotaExceeded):
        report_generate(schedule=schedule)
    assert Report.objects.count() == reports
    # The backup pruned: room again.
    (folder / "alpha-20240101T000000Z.zip").unlink()
    assert _post_file(client, _csv(2000)).status_code == 201


def test_storage_is_counted_per_tenant(
    plan_for_alpha, tenant_admin, settings, tmp_path, tenant_b, _new_files_removed
):
    from core import quotas

    settings.BACKUP_TARGET = ""
    settings.TENANT_BACKUP_DIR = tmp_path / "backups"
    (tmp_path / "backups" / "alpha").mkdir(parents=True)
    (tmp_path / "backups" / "alpha" / "alpha-20240101T000000Z.zip").write_bytes(b"\0" * 4096)
    assert _post_file(client_for(HOST_A, tenant_admin), _csv(100_000)).status_code == 201
    alpha = quotas.storage_bytes()
    assert alpha["backups"] == 4096
    connection.set_tenant(tenant_b)
    beta = quotas.storage_bytes()
    assert beta["backups"] == 0
    from django.db.models import Sum

    from core.models import Upload

    assert beta["uploads"] == int(Upload.objects.aggregate(t=Sum("size"))["t"] or 0)
    assert beta["uploads"] != alpha["uploads"] or beta["uploads"] == 0
    # Alpha at its storage limit does not limit beta (unlimited plan).
    plan_for_alpha(storage_mb=1)
    beta_admin = _beta_admin()
    assert _post_file(client_for(HOST_B, beta_admin), _csv(2000)).status_code == 201
    connection.set_tenant(Tenant.objects.get(slug="alpha"))
    connection.tenant.plan = Tenant.objects.get(slug="alpha").plan
    assert_error(_post_file(client_for(HOST_A, tenant_admin), _csv(2000)), 403, "quota_exceeded")
