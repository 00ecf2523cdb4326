"""API keys: scopes per area, the people area no key opens, IP allowlists and signed requests
(ADR 31). A leaked partner key reaches only what its scopes name, from where it may be used."""

from __future__ import annotations

import importlib
import json
import time

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.models import ApiKey, User
from accounts.services import api_key_create
from accounts.signing import sign
from catalog.models import Category
from core.exceptions import ValidationFailed
from core.permissions import KEY_AREAS, KEY_SCOPES, Area
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


def _key_client(raw: str, host: str = HOST_A, **extra) -> APIClient:
    return APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {raw}", **extra)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


@pytest.mark.parametrize("urlconf", ["config.urls_tenant", "config.urls_public"])
def test_every_api_view_declares_its_area(urlconf):
    missing, views = [], 0
    for route, callback in _walk(get_resolver(urlconf).url_patterns):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if not (route.startswith("api/") and view and issubclass(view, APIView)):
            continue
        views += 1
        area = getattr(view, "api_area", None)
        if area not in (*KEY_AREAS, Area.PEOPLE, Area.OPEN):
            missing.append(f"{route} → {view.__module__}.{view.__name__}")
    assert views > 3
    assert not missing, "API views without an api_area:\n" + "\n".join(missing)


def test_a_key_reaches_only_the_areas_of_its_scopes():
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(user=admin, name="catalogue feed", scopes=["catalog:read"])
    client = _key_client(raw)
    assert client.get("/api/v1/categories/").status_code == 200
    assert client.get("/api/v1/products/").status_code == 200
    error = assert_error(client.post("/api/v1/categories/", {"name": "X"}), 403)
    assert error["code"] == "api_key_scope_missing" and "catalog:write" in error["message"]
    assert_error(client.get("/api/v1/suppliers/"), 403, "api_key_scope_missing")
    assert_error(client.get("/api/v1/forecast-runs/"), 403, "api_key_scope_missing")
    assert_error(client.get("/api/v1/jobs/"), 403, "api_key_scope_missing")
    assert not Category.objects.filter(name="X").exists()


def test_a_write_scope_writes_its_area_only():
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(
        user=admin, name="erp", scopes=["catalog:read", "catalog:write", "routing:read"]
    )
    client = _key_client(raw)
    assert client.post("/api/v1/categories/", {"name": "Keyed"}, format="json").status_code == 201
    assert client.get("/api/v1/vehicles/").status_code == 200
    assert_error(client.post("/api/v1/vehicles/", {}, format="json"), 403, "api_key_scope_missing")


def test_a_key_is_still_capped_by_its_owners_role():
    viewer = make_user(User.Role.VIEWER)
    _, raw = api_key_create(user=viewer, name="v", scopes=["write"])
    assert_error(_key_client(raw).post("/api/v1/categories/", {"name": "V"}), 403)
    assert not Category.objects.filter(name="V").exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/users/", None),
        ("post", "/api/v1/users/", {"email": "m@example.com", "password": "x-Long-pass-42"}),
        ("get", "/api/v1/api-keys/", None),
        ("post", "/api/v1/api-keys/", {"name": "more", "scopes": ["write"]}),
        ("get", "/api/v1/webhooks/", None),
        ("post", "/api/v1/webhooks/", {"url": "https://example.com/hook"}),
        ("put", "/api/v1/forecast-settings/", {}),
        ("put", "/api/v1/inventory/settings", {}),
        ("put", "/api/v1/purchasing/settings", {}),
        ("post", "/api/v1/etl/sources/", {"name": "x"}),
    ],
)
def test_no_key_manages_users_keys_webhooks_or_settings(method, path, body):
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(user=admin, name="everything", scopes=list(KEY_SCOPES))
    response = getattr(_key_client(raw), method)(path, body, format="json")
    assert_error(response, 403)
    assert response.json()["error"]["code"] in ("api_key_not_allowed", "api_key_scope_missing")
    assert not User.objects.filter(email="m@example.com").exists()
    assert ApiKey.objects.count() == 1


def test_settings_can_be_read_with_settings_read():
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(user=admin, name="reader", scopes=["settings:read"])
    assert _key_client(raw).get("/api/v1/forecast-settings/").status_code == 200


def test_no_scope_manages_people_or_settings():
    assert not any(scope.startswith(("people:", "open:")) for scope in KEY_SCOPES)
    assert "settings:write" not in KEY_SCOPES and "audit:write" not in KEY_SCOPES
    admin = make_user(User.Role.ADMIN)
    for scopes in (["people:write"], ["settings:write"], ["catalog:delete"], []):
        with pytest.raises(ValidationFailed):
            api_key_create(user=admin, name="x", scopes=scopes)
    body = client_for(HOST_A, admin).post(
        "/api/v1/api-keys/", {"name": "x", "scopes": ["settings:write"]}, format="json"
    )
    assert_error(body, 400)


def test_plans_and_tenants_are_not_reachable_with_a_key(tenant_a):
    # Keys live in a tenant's schema: on the platform host (tenants, plans) no key exists.
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(user=admin, name="x", scopes=list(KEY_SCOPES))
    response = _key_client(raw, host="localhost").patch(
        f"/api/v1/tenants/{tenant_a.slug}/", {"plan": "enterprise"}, format="json"
    )
    assert response.status_code in (401, 403, 404, 405)
    tenant_a.refresh_from_db()
    assert tenant_a.plan != "enterprise" or response.status_code != 200


def test_legacy_read_and_write_keys_migrate_to_equivalent_scopes():
    migration = importlib.import_module("accounts.migrations.0002_api_key_scopes_networks_signing")
    admin = make_user(User.Role.ADMIN)
    reader, _ = api_key_create(user=admin, name="r", scopes=["catalog:read"])
    writer, _ = api_key_create(user=admin, name="w", scopes=["catalog:read"])
    ApiKey.objects.filter(pk=reader.pk).update(scopes=["read"])
    ApiKey.objects.filter(pk=writer.pk).update(scopes=["read", "write"])
    migration.scopes_to_areas(django_apps, None)
    reader.refresh_from_db()
    writer.refresh_from_db()
    assert set(reader.scopes) == {f"{area}:read" for area in KEY_AREAS}
    assert set(writer.scopes) == set(KEY_SCOPES)
    migration.scopes_to_levels(django_apps, None)
    reader.refresh_from_db()
    assert reader.scopes == ["read"]


def test_legacy_names_still_create_equivalent_keys():
    admin = make_user(User.Role.ADMIN)
    key, _ = api_key_create(user=admin, name="r", scopes=["read"])
    assert set(key.scopes) == {f"{area}:read" for area in KEY_AREAS}


# IP allowlist -------------------------------------------------------------------------------


def test_an_allowlisted_key_works_only_from_its_networks():
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(
        user=admin, name="net", scopes=["read"], allowed_networks=["10.20.0.0/16", "2001:db8::/32"]
    )
    assert _key_client(raw, REMOTE_ADDR="10.20.3.4").get("/api/v1/categories/").status_code == 200
    assert _key_client(raw, REMOTE_ADDR="2001:db8::5").get("/api/v1/categories/").status_code == 200
    outside = _key_client(raw, REMOTE_ADDR="10.21.0.1").get("/api/v1/categories/")
    assert_error(outside, 401, "api_key_network")
    # A forwarded header claiming an allowed address is not believed.
    spoofed = _key_client(raw, REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="10.20.3.4").get(
        "/api/v1/categories/"
    )
    assert_error(spoofed, 401, "api_key_network")


def test_networks_are_validated():
    admin = make_user(User.Role.ADMIN)
    with pytest.raises(ValidationFailed):
        api_key_create(user=admin, name="x", scopes=["read"], allowed_networks=["10.0.0.0/33"])
    response = client_for(HOST_A, admin).post(
        "/api/v1/api-keys/",
        {"name": "x", "scopes": ["catalog:read"], "allowed_networks": ["not-an-ip"]},
        format="json",
    )
    assert_error(response, 400)
    assert not ApiKey.objects.filter(name="x").exists()


# Signed requests ----------------------------------------------------------------------------


def _signed(client, key, method, path, body=b"", timestamp=None, content_type="application/json"):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = sign(
        secret=key.signing_secret, method=method, path=path, timestamp=timestamp, body=body
    )
    return getattr(client, method.lower())(
        path,
        body,
        content_type=content_type,
        HTTP_X_SIGNATURE=signature,
        HTTP_X_SIGNATURE_TIMESTAMP=timestamp,
    )


@pytest.fixture
def signing_key():
    cache.clear()
    admin = make_user(User.Role.ADMIN)
    key, raw = api_key_create(
        user=admin, name="signed", scopes=["catalog:read", "catalog:write"], require_signature=True
    )
    return key, raw


def test_the_signing_secret_is_shown_once(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    created = client.post(
        "/api/v1/api-keys/",
        {"name": "p", "scopes": ["catalog:read"], "require_signature": True},
        format="json",
    ).json()
    assert len(created["signing_secret"]) == 64 and created["require_signature"] is True
    listed = client.get(f"/api/v1/api-keys/{created['id']}/").json()
    assert "signing_secret" not in listed and "key" not in listed


def test_a_key_that_requires_signing_refuses_unsigned_calls(signing_key):
    _, raw = signing_key
    assert_error(_key_client(raw).get("/api/v1/categories/"), 401, "signature_required")


def test_signed_calls_pass_with_query_and_body(signing_key):
    key, raw = signing_key
    client = _key_client(raw)
    assert _signed(client, key, "GET", "/api/v1/categories/?ordering=name").status_code == 200
    body = json.dumps({"name": "Signed"}).encode()
    assert _signed(client, key, "POST", "/api/v1/categories/", body).status_code == 201
    assert Category.objects.filter(name="Signed").exists()


def test_a_tampered_body_path_or_old_timestamp_is_refused(signing_key):
    key, raw = signing_key
    client = _key_client(raw)
    timestamp = str(int(time.time()))
    signature = sign(
        secret=key.signing_secret,
        method="POST",
        path="/api/v1/categories/",
        timestamp=timestamp,
        body=b'{"name": "A"}',
    )
    tampered = client.post(
        "/api/v1/categories/",
        b'{"name": "B"}',
        content_type="application/json",
        HTTP_X_SIGNATURE=signature,
        HTTP_X_SIGNATURE_TIMESTAMP=timestamp,
    )
    assert_error(tampered, 401, "signature_invalid")
    other_path = client.get(
        "/api/v1/categories/?page=2",
        HTTP_X_SIGNATURE=sign(
            secret=key.signing_secret,
            method="GET",
            path="/api/v1/categories/",
            timestamp=timestamp,
        ),
        HTTP_X_SIGNATURE_TIMESTAMP=timestamp,
    )
    assert_error(other_path, 401, "signature_invalid")
    old = _signed(client, key, "GET", "/api/v1/categories/", timestamp=int(time.time()) - 301)
    assert_error(old, 401, "signature_expired")
    future = _signed(client, key, "GET", "/api/v1/categories/", timestamp=int(time.time()) + 301)
    assert_error(future, 401, "signature_expired")
    assert_error(
        client.get("/api/v1/categories/", HTTP_X_SIGNATURE="00", HTTP_X_SIGNATURE_TIMESTAMP="x"),
        401,
        "signature_invalid",
    )
    assert not Category.objects.filter(name__in=["A", "B"]).exists()


def test_a_signed_request_cannot_be_replayed(signing_key):
    key, raw = signing_key
    client = _key_client(raw)
    timestamp = int(time.time())
    body = b'{"name": "Once"}'
    first = _signed(client, key, "POST", "/api/v1/categories/", body, timestamp=timestamp)
    assert first.status_code == 201
    again = _signed(client, key, "POST", "/api/v1/categories/", body, timestamp=timestamp)
    assert_error(again, 401, "signature_replayed")
    assert Category.objects.filter(name="Once").count() == 1


def test_a_signature_of_another_key_or_tenant_does_not_pass(signing_key, tenant_b):
    key, raw = signing_key
    admin = make_user(User.Role.ADMIN)
    other, _ = api_key_create(user=admin, name="other", scopes=["catalog:read"])
    signed_by_other = _signed(_key_client(raw), other, "GET", "/api/v1/categories/")
    assert_error(signed_by_other, 401, "signature_invalid")
    # The key is unknown on tenant B, signed or not.
    on_b = _signed(_key_client(raw, host=HOST_B), key, "GET", "/api/v1/categories/")
    assert_error(on_b, 401)


def test_a_signing_secret_can_be_rotated_by_an_admin_in_person(signing_key):
    key, raw = signing_key
    admin = key.user
    old_secret = key.signing_secret
    assert_error(
        _key_client(raw).post(f"/api/v1/api-keys/{key.pk}/signing-secret/"), 401
    )  # unsigned, and keys never manage keys
    rotated = client_for(HOST_A, admin).post(f"/api/v1/api-keys/{key.pk}/signing-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["signing_secret"]
    assert len(new_secret) == 64 and new_secret != old_secret
    key.refresh_from_db()
    assert_error(_signed(_key_client(raw), _Secret(old_secret), "GET", "/api/v1/categories/"), 401)
    assert _signed(_key_client(raw), key, "GET", "/api/v1/categories/").status_code == 200


class _Secret:
    def __init__(self, secret: str) -> None:
        self.signing_secret = secret
