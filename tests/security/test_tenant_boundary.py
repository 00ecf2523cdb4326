"""Attacks on the tenant boundary: tokens, refresh tokens, API keys, roles, cache, admin."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import api_key_create, user_create
from core.cache import bump_namespace, cached
from tests.conftest import (
    HOST_A,
    HOST_B,
    PASSWORD,
    PUBLIC_HOST,
    assert_error,
    client_for,
    tokens_for,
)

pytestmark = pytest.mark.django_db


def _twin_users(tenant_a, tenant_b) -> tuple[User, User]:
    """A user in each tenant with the same primary key and the same e-mail."""
    users = []
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            user = User(
                pk=4242, username="twin@example.com", email="twin@example.com", role=User.Role.ADMIN
            )
            user.set_password(PASSWORD)
            user.save()
            users.append(user)
    return users[0], users[1]


def test_access_token_of_a_is_refused_on_b_even_for_same_user_id(tenant_a, tenant_b):
    user_a, _ = _twin_users(tenant_a, tenant_b)
    access, _ = tokens_for(user_a, HOST_A)
    on_a = client_for(HOST_A).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert on_a.status_code == 200
    assert on_a.json()["tenant"] == "t_alpha"

    on_b = client_for(HOST_B).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert_error(on_b, 401, "authentication_failed")
    on_b_write = client_for(HOST_B).post(
        "/api/v1/inventory/calculate", HTTP_AUTHORIZATION=f"Bearer {access}"
    )
    assert_error(on_b_write, 401)


def test_refresh_token_of_a_is_refused_on_b_and_stays_valid_on_a(tenant_a, tenant_b):
    user_a, _ = _twin_users(tenant_a, tenant_b)
    _, refresh = tokens_for(user_a, HOST_A)
    response = client_for(HOST_B).post("/api/v1/auth/token/refresh", {"refresh": refresh})
    assert_error(response, 401)
    response = client_for(HOST_B).post("/api/v1/auth/logout", {"refresh": refresh})
    assert_error(response, 401)
    # Not consumed or blacklisted by the attempt on B: it still rotates on A.
    response = client_for(HOST_A).post("/api/v1/auth/token/refresh", {"refresh": refresh})
    assert response.status_code == 200, response.content


def test_login_of_a_does_not_work_on_b(tenant_a):
    user_create(email="only-a@example.com", password=PASSWORD, role=User.Role.PLANNER)
    credentials = {"username": "only-a@example.com", "password": PASSWORD}
    assert client_for(HOST_A).post("/api/v1/auth/token", credentials).status_code == 200
    assert_error(client_for(HOST_B).post("/api/v1/auth/token", credentials), 401)


def test_api_key_of_a_is_refused_on_b(tenant_a, tenant_b, tenant_admin):
    _twin_users(tenant_a, tenant_b)
    _, raw = api_key_create(user=tenant_admin, name="partner", scopes=["read", "write"])
    header = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    assert client_for(HOST_A).get("/api/v1/jobs/", **header).status_code == 200
    assert_error(client_for(HOST_B).get("/api/v1/jobs/", **header), 401, "authentication_failed")


def test_viewer_cannot_write(viewer):
    client = client_for(HOST_A, viewer)
    assert client.get("/api/v1/jobs/").status_code == 200
    assert_error(client.post("/api/v1/inventory/calculate"), 403, "permission_denied")
    assert_error(client.get("/api/v1/users/"), 403)
    assert_error(client.post("/api/v1/api-keys/", {"name": "x", "scopes": ["read"]}), 403)


def test_read_scoped_key_cannot_write(tenant_admin):
    _, raw = api_key_create(user=tenant_admin, name="reader", scopes=["read"])
    client = client_for(HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get("/api/v1/jobs/").status_code == 200
    assert_error(client.post("/api/v1/inventory/calculate"), 403)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/jobs/"),
        ("post", "/api/v1/inventory/calculate"),
        ("get", "/api/v1/users/"),
        ("get", "/api/v1/api-keys/"),
        ("get", "/api/v1/audit-log/"),
        ("get", "/api/v1/uploads/"),
    ],
)
def test_anonymous_calls_are_refused(anon_a, method, path):
    assert_error(getattr(anon_a, method)(path), 401, "not_authenticated")


def test_job_ids_of_a_are_not_found_on_b(planner, tenant_b):
    from core.services import job_create

    job = job_create(kind="demo", params={"steps": 1}, user=planner)
    with schema_context(tenant_b.schema_name):
        other = user_create(email="b-viewer@example.com", password=PASSWORD, role="viewer")
    response = client_for(HOST_B, other).get(f"/api/v1/jobs/{job.id}/")
    assert_error(response, 404, "not_found")
    assert client_for(HOST_A, planner).get(f"/api/v1/jobs/{job.id}/").status_code == 200


def test_cache_entries_written_under_a_are_invisible_under_b(tenant_a, tenant_b):
    connection.set_tenant(tenant_a)
    cache.set("shared-looking-key", "alpha-secret", 60)
    value_a = cached("inventory", "summary", compute=lambda: {"owner": "alpha"})
    connection.set_tenant(tenant_b)
    assert cache.get("shared-looking-key") is None
    value_b = cached("inventory", "summary", compute=lambda: {"owner": "beta"})
    assert value_a == {"owner": "alpha"}
    assert value_b == {"owner": "beta"}
    # Invalidating B's namespace leaves A's entry alone.
    bump_namespace("inventory")
    connection.set_tenant(tenant_a)
    assert cached("inventory", "summary", compute=lambda: {"owner": "recomputed"}) == {
        "owner": "alpha"
    }
    assert cache.get("shared-looking-key") == "alpha-secret"
    cache.delete("shared-looking-key")


def test_public_admin_shows_no_tenant_data(client, tenant_admin):
    with schema_context("public"):
        User.objects.create_superuser("root@platform.example", "root@platform.example", PASSWORD)
    client.defaults["HTTP_HOST"] = PUBLIC_HOST
    login = client.post(
        "/admin/login/", {"username": "root@platform.example", "password": PASSWORD}
    )
    assert login.status_code == 302, login.content
    index = client.get("/admin/")
    assert index.status_code == 200
    html = index.content.decode()
    assert "Tenants" in html
    for tenant_model in ("Jobs", "Audit logs", "Api keys", "Uploads"):
        assert tenant_model not in html
    users = client.get("/admin/accounts/user/").content.decode()
    assert "root@platform.example" in users
    assert tenant_admin.email not in users
    # Tenant-only admin pages do not exist on the platform host.
    assert client.get("/admin/core/job/").status_code == 404


def test_tenant_admin_cannot_log_into_platform_admin(client, tenant_admin):
    credentials = {"username": tenant_admin.email, "password": PASSWORD}
    client.defaults["HTTP_HOST"] = HOST_A
    assert client.post("/admin/login/", credentials).status_code == 302  # works at home
    client.logout()
    client.defaults["HTTP_HOST"] = PUBLIC_HOST
    response = client.post("/admin/login/", credentials)
    assert response.status_code == 200  # the form again, with an error
    assert "correct" in response.content.decode()  # "Please enter the correct email …"


def test_tenant_back_office_shows_only_its_own_users(client, tenant_admin, tenant_b):
    with schema_context(tenant_b.schema_name):
        user_create(email="beta-person@example.com", password=PASSWORD, role="viewer")
    client.defaults["HTTP_HOST"] = HOST_A
    client.force_login(tenant_admin)
    page = client.get("/admin/accounts/user/").content.decode()
    assert tenant_admin.email in page
    assert "beta-person@example.com" not in page
