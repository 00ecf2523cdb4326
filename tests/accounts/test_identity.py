"""Login, refresh rotation, logout, API keys and users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.authentication import hash_key
from accounts.models import ApiKey, User
from accounts.services import api_key_create, api_key_revoke, user_create
from core.exceptions import Conflict, ValidationFailed
from tests.conftest import HOST_A, PASSWORD, assert_error, client_for

pytestmark = pytest.mark.django_db


def _login(user) -> dict:
    response = client_for(HOST_A).post(
        "/api/v1/auth/token", {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_login_refresh_rotates_and_blacklists(planner):
    tokens = _login(planner)
    me = client_for(HOST_A).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert me.json()["email"] == planner.email

    rotated = client_for(HOST_A).post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != tokens["refresh"]
    replay = client_for(HOST_A).post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert_error(replay, 401)


def test_logout_blacklists_the_refresh_token(planner):
    tokens = _login(planner)
    response = client_for(HOST_A).post("/api/v1/auth/logout", {"refresh": tokens["refresh"]})
    assert response.status_code == 204
    again = client_for(HOST_A).post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert_error(again, 401)
    assert_error(client_for(HOST_A).post("/api/v1/auth/logout", {"refresh": "garbage"}), 401)


def test_wrong_password_and_inactive_user_are_401(planner):
    bad = client_for(HOST_A).post(
        "/api/v1/auth/token", {"username": planner.email, "password": "nope"}
    )
    assert_error(bad, 401)
    access = client_for(HOST_A, planner)
    planner.is_active = False
    planner.save()
    assert_error(access.get("/api/v1/me"), 401)


def test_api_key_is_shown_once_and_stored_hashed(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    response = client.post("/api/v1/api-keys/", {"name": "erp", "scopes": ["read", "write"]})
    assert response.status_code == 201
    body = response.json()
    raw = body["key"]
    assert raw.startswith(f"dp_{body['prefix']}_")
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == hash_key(raw)
    assert raw not in str(ApiKey.objects.filter(pk=body["id"]).values().get())
    listed = client.get("/api/v1/api-keys/").json()["results"][0]
    assert "key" not in listed

    partner = client_for(HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert partner.get("/api/v1/me").json()["email"] == tenant_admin.email
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    revoked = client.post(f"/api/v1/api-keys/{stored.pk}/revoke/")
    assert revoked.json()["is_active"] is False
    assert_error(partner.get("/api/v1/me"), 401, "authentication_failed")


def test_expired_and_malformed_keys_are_refused(tenant_admin):
    key, raw = api_key_create(
        user=tenant_admin,
        name="soon",
        scopes=["read"],
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client_for(HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}").get("/api/v1/me"), 401)
    for bad in ("nonsense", "dp_x", f"dp_{key.prefix}_wrong-secret", "a b c"):
        response = client_for(HOST_A, HTTP_AUTHORIZATION=f"Api-Key {bad}").get("/api/v1/me")
        assert_error(response, 401)


def test_api_key_validation(tenant_admin):
    with pytest.raises(ValidationFailed):
        api_key_create(user=tenant_admin, name="x", scopes=[])
    with pytest.raises(ValidationFailed):
        api_key_create(user=tenant_admin, name="x", scopes=["admin"])
    with pytest.raises(ValidationFailed):
        api_key_create(
            user=tenant_admin,
            name="x",
            scopes=["read"],
            expires_at=timezone.now() - timedelta(days=1),
        )
    key, _ = api_key_create(user=tenant_admin, name="x", scopes=["read"])
    assert api_key_revoke(key=key).revoked_at is not None


def test_users_api_creates_with_password_rules_and_changes_roles(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    weak = client.post(
        "/api/v1/users/", {"email": "new@example.com", "password": "12345678", "role": "viewer"}
    )
    assert "password" in assert_error(weak, 400, "validation_error")["details"]
    assert not User.objects.filter(email="new@example.com").exists()

    made = client.post(
        "/api/v1/users/", {"email": "New@Example.com", "password": PASSWORD, "role": "viewer"}
    )
    assert made.status_code == 201, made.content
    assert made.json()["email"] == "new@example.com"
    duplicate = client.post(
        "/api/v1/users/", {"email": "new@example.com", "password": PASSWORD, "role": "viewer"}
    )
    assert_error(duplicate, 409, "conflict")

    promoted = client.post(f"/api/v1/users/{made.json()['id']}/role/", {"role": "planner"})
    assert promoted.json()["role"] == "planner"
    assert_error(client.post("/api/v1/users/999999/role/", {"role": "planner"}), 404)


def test_user_service_rules():
    with pytest.raises(ValidationFailed):
        user_create(email="x@example.com", password=PASSWORD, role="owner")
    user_create(email="dup@example.com", password=None, role="viewer")
    with pytest.raises(Conflict):
        user_create(email="DUP@example.com", password=PASSWORD, role="viewer")


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_PASSWORD_VALIDATORS


def test_seed_demo_creates_one_user_per_role(tenant_a, capsys):
    # Users only matter here; the demo data has its own tests (tests/catalog/test_demo_seed.py).
    call_command("seed_demo", "--schema", tenant_a.schema_name, "--skip-sales")
    call_command("seed_demo", "--schema", tenant_a.schema_name, "--skip-sales")  # idempotent
    roles = sorted(
        User.objects.filter(email__endswith="@alpha.example.com").values_list("role", flat=True)
    )
    assert roles == ["admin", "planner", "viewer"]
    assert "Demo data ready in t_alpha" in capsys.readouterr().out
