"""Test fixtures: a real PostgreSQL with ``public``, the template and two tenants (alpha and
beta), real Redis, and API clients that choose a tenant by host name."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import user_create
from accounts.tokens import TenantTokenObtainPairSerializer

HOST_A = "alpha.localhost"
HOST_B = "beta.localhost"
PUBLIC_HOST = "localhost"
PASSWORD = "correct-horse-battery-7"


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """Create the test database for every run, then public, the template and two tenants.

    pytest-django would create the test database only when some collected test carries the
    ``django_db`` mark; a run of only the live-worker tests would then use the development
    database. Setting it up here unconditionally (and checking the name) rules that out.
    """
    from django.test.utils import setup_databases, teardown_databases

    from tenants.services import platform_ensure, tenant_provision

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        assert connection.settings_dict["NAME"].startswith("test_"), "not a test database"
        platform_ensure(domain=PUBLIC_HOST)
        tenant_provision(slug="alpha", name="Alpha Ltd", domain=HOST_A)
        tenant_provision(slug="beta", name="Beta GmbH", domain=HOST_B)
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        teardown_databases(config, verbosity=0)
    _forget_this_runs_cache()


def _forget_this_runs_cache() -> None:
    """Drop this run's Redis keys (its key prefix is unique to the run)."""
    from django.conf import settings
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    # django-tenants' make_key puts the schema first: <schema>:<prefix>:<version>:<key>
    pattern = f"*:{settings.CACHES['default']['KEY_PREFIX']}:*"
    for keys in _batched(redis.scan_iter(match=pattern, count=1000), 500):
        redis.delete(*keys)


def _batched(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@pytest.fixture(scope="session")
def tenant_a(django_db_setup, django_db_blocker):
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        return Tenant.objects.get(slug="alpha")


@pytest.fixture(scope="session")
def tenant_b(django_db_setup, django_db_blocker):
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        return Tenant.objects.get(slug="beta")


@pytest.fixture(autouse=True)
def _active_tenant(request):
    """Tests that use the database run in tenant alpha unless they switch."""
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    tenant = request.getfixturevalue("tenant_a")
    connection.set_tenant(tenant)
    yield tenant
    connection.set_schema_to_public()


def skip_unless_required(reason: str, *, required_by: str) -> None:
    """Skip a test whose outside tool is missing, except where ``make test`` has installed it
    and said so in the environment variable ``required_by``: there a missing tool is a failure,
    so a broken install cannot hide behind a skip."""
    import os

    if os.environ.get(required_by) == "1":
        pytest.fail(f"{reason} ({required_by}=1: make test installed it)")
    pytest.skip(reason)


def make_user(role: str = User.Role.PLANNER, **extra) -> User:
    email = extra.pop("email", f"{role}-{uuid.uuid4().hex[:8]}@example.com")
    return user_create(email=email, password=PASSWORD, role=role, **extra)


def schema_for_host(host: str) -> str:
    from tenants.models import Domain

    with schema_context("public"):
        return Domain.objects.select_related("tenant").get(domain=host).tenant.schema_name


def tokens_for(user: User, host: str) -> tuple[str, str]:
    """(access, refresh) issued on ``host`` exactly as the login endpoint issues them.

    A request switches the connection to its host's schema, so tokens are always made in the
    schema of the host they are for, never in whatever schema the last request left behind.
    """
    with schema_context(schema_for_host(host)):
        refresh = TenantTokenObtainPairSerializer.get_token(user)
        return str(refresh.access_token), str(refresh)


def client_for(host: str, user: User | None = None, **headers) -> APIClient:
    client = APIClient(HTTP_HOST=host, **headers)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user, host)[0]}")
    return client


@pytest.fixture
def planner(db):
    return make_user(User.Role.PLANNER)


@pytest.fixture
def viewer(db):
    return make_user(User.Role.VIEWER)


@pytest.fixture
def tenant_admin(db):
    return make_user(User.Role.ADMIN)


@pytest.fixture
def api_planner(planner):
    return client_for(HOST_A, planner)


@pytest.fixture
def anon_a():
    return APIClient(HTTP_HOST=HOST_A)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The error envelope with the expected status (and code)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture(scope="session")
def live_worker(django_db_setup):
    """A real Celery worker (solo pool, in a thread) consuming the test queue on real Redis."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


@pytest.fixture
def live_db(django_db_blocker):
    """Committed database access (no per-test transaction), for work a worker must see.
    Tests using it clean up what they create."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


def wait_for_job(client, url: str, timeout: float = 30.0) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in {"succeeded", "failed", "cancelled"}:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job at {url} did not finish in {timeout}s: {body}")


def delete_users(tenant, *users) -> None:
    """Remove users created with committed access, with their jobs and audit rows."""
    from core.models import AuditLog, Job

    with schema_context(tenant.schema_name):
        ids = [user.pk for user in users]
        Job.objects.filter(created_by_id__in=ids).delete()
        User.objects.filter(pk__in=ids).delete()
        AuditLog.objects.filter(
            object_type="accounts.user", object_id__in=[str(i) for i in ids]
        ).delete()
        AuditLog.objects.filter(actor_id__in=ids).delete()


def pytest_collection_modifyitems(items):
    """The schema fuzz runs last: it drives the whole API for minutes, and no other test should
    share a worker, a queue or a cache with the work it started."""
    items.sort(key=lambda item: "test_openapi_fuzz" in str(item.fspath))
