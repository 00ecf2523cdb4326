"""Access tokens verified once per process (accounts.authentication, issue 17, ADR 37): the
same bytes are not verified again before their ``exp``; everything else is checked on every
request as before: the tenant claim, an expired token, a changed signature, the user's state."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts import authentication
from accounts.models import User
from accounts.services import user_set_active, user_set_role
from accounts.tokens import TenantTokenObtainPairSerializer
from tests.conftest import HOST_A, HOST_B, assert_error, make_user, schema_for_host, tokens_for

pytestmark = pytest.mark.django_db


def _client(host: str, token: str) -> APIClient:
    client = APIClient(HTTP_HOST=host)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_is_verified_once_then_served_from_the_process(planner):
    token, _ = tokens_for(planner, HOST_A)
    authentication._VERIFIED.pop(token.encode(), None)
    client = _client(HOST_A, token)
    assert client.get("/api/v1/me").status_code == 200
    assert token.encode() in authentication._VERIFIED
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == planner.email


def test_the_tenant_claim_is_checked_on_every_request(planner):
    token, _ = tokens_for(planner, HOST_A)
    assert _client(HOST_A, token).get("/api/v1/me").status_code == 200
    assert token.encode() in authentication._VERIFIED
    assert_error(_client(HOST_B, token).get("/api/v1/me"), 401)


def test_a_changed_signature_is_refused_and_not_remembered(planner):
    token, _ = tokens_for(planner, HOST_A)
    assert _client(HOST_A, token).get("/api/v1/me").status_code == 200
    last = token[-1]
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + last
    assert_error(_client(HOST_A, forged).get("/api/v1/me"), 401)
    assert forged.encode() not in authentication._VERIFIED


def test_an_expired_token_is_refused_although_it_was_verified(planner):
    with schema_context(schema_for_host(HOST_A)):
        access = TenantTokenObtainPairSerializer.get_token(planner).access_token
        access.set_exp(lifetime=timedelta(seconds=2))
        token = str(access)
    client = _client(HOST_A, token)
    assert client.get("/api/v1/me").status_code == 200
    assert token.encode() in authentication._VERIFIED
    time.sleep(max(0.0, access["exp"] - time.time()) + 0.05)
    assert_error(client.get("/api/v1/me"), 401)
    assert token.encode() not in authentication._VERIFIED


@override_settings(JWT_USER_CACHE_SECONDS=300)
def test_user_changes_take_effect_at_once_with_a_remembered_token(tenant_admin):
    viewer = make_user(User.Role.VIEWER)
    token, _ = tokens_for(viewer, HOST_A)
    client = _client(HOST_A, token)
    assert client.get("/api/v1/me").json()["role"] == "viewer"
    assert client.get("/api/v1/me").json()["role"] == "viewer"
    assert token.encode() in authentication._VERIFIED
    user_set_role(user=viewer, role=User.Role.PLANNER)
    assert client.get("/api/v1/me").json()["role"] == "planner"
    user_set_active(user=viewer, is_active=False)
    assert_error(client.get("/api/v1/me"), 401)
    viewer.delete()
    assert_error(client.get("/api/v1/me"), 401)


def test_a_changed_signing_key_forgets_the_tokens(planner):
    token, _ = tokens_for(planner, HOST_A)
    assert _client(HOST_A, token).get("/api/v1/me").status_code == 200
    assert token.encode() in authentication._VERIFIED
    with override_settings(SECRET_KEY="another-key-" + "x" * 50):
        assert token.encode() not in authentication._VERIFIED


def test_a_view_changing_its_token_changes_nothing_remembered(planner):
    token, _ = tokens_for(planner, HOST_A)
    assert _client(HOST_A, token).get("/api/v1/me").status_code == 200
    first = authentication._verified(token.encode())
    first.payload["tenant"] = "elsewhere"
    second = authentication._verified(token.encode())
    assert second is not first and second["tenant"] == schema_for_host(HOST_A)
