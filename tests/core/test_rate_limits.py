"""Rate limits on real Redis: anonymous per IP, authenticated per user or key, login per IP
and username. Each test uses its own client address so counters never collide."""

from __future__ import annotations

import itertools
import time

import pytest
from django.test import override_settings

from accounts.services import api_key_create
from tests.conftest import HOST_A, HOST_B, PASSWORD, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db
_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), repeat=3))


def fresh_ip() -> str:
    return f"{next(_addresses)}"


def _clear_window_edge(value: str, seconds_needed: int = 15) -> None:
    """django-ratelimit counts in fixed 60 s windows whose edge is shifted per key value; start
    a burst early in one so it cannot straddle two windows. Uses the library's own window
    function so the test and the limiter agree to the second."""
    from django_ratelimit.core import _get_window

    left = _get_window(value, 60) - int(time.time())
    if left < seconds_needed:
        time.sleep(left + 1.1)


@override_settings(RATE_LIMIT_ANON="60/m")
def test_61st_anonymous_call_in_a_minute_gets_429_with_retry_after():
    ip = fresh_ip()
    _clear_window_edge(f"ip:{ip}")
    client = client_for(HOST_A, REMOTE_ADDR=ip)
    statuses = [client.get("/api/v1/me").status_code for _ in range(60)]
    assert statuses == [401] * 60
    response = client.get("/api/v1/me")
    error = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert error["message"]
    # Another address, and the same address on another tenant, are counted apart.
    assert client_for(HOST_A, REMOTE_ADDR=fresh_ip()).get("/api/v1/me").status_code == 401
    assert client_for(HOST_B, REMOTE_ADDR=ip).get("/api/v1/me").status_code == 401


@override_settings(RATE_LIMIT_ANON="3/m")
def test_failed_credentials_count_against_the_ip():
    ip = fresh_ip()
    _clear_window_edge(f"ip:{ip}", seconds_needed=5)
    client = client_for(HOST_A, REMOTE_ADDR=ip)
    for _ in range(3):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-token")
        assert response.status_code == 401
    assert_error(client.get("/api/v1/me"), 429)


@override_settings(RATE_LIMIT_USER="5/m")
def test_authenticated_calls_are_limited_per_user_not_per_ip(planner):
    _clear_window_edge(f"user:{planner.pk}")
    client = client_for(HOST_A, planner, REMOTE_ADDR=fresh_ip())
    assert [client.get("/api/v1/jobs/").status_code for _ in range(5)] == [200] * 5
    response = client.get("/api/v1/jobs/")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Same user from another address: still limited (the key is the user).
    other_ip = client_for(HOST_A, planner, REMOTE_ADDR=fresh_ip())
    assert other_ip.get("/api/v1/jobs/").status_code == 429
    # Another user is not.
    assert (
        client_for(HOST_A, make_user(), REMOTE_ADDR=fresh_ip()).get("/api/v1/jobs/").status_code
        == 200
    )


@override_settings(RATE_LIMIT_USER="2/m")
def test_api_keys_are_limited_per_key(tenant_admin):
    key, raw = api_key_create(user=tenant_admin, name="partner", scopes=["read"])
    _clear_window_edge(f"key:{key.prefix}", seconds_needed=5)
    client = client_for(HOST_A, REMOTE_ADDR=fresh_ip(), HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert [client.get("/api/v1/jobs/").status_code for _ in range(3)] == [200, 200, 429]


@override_settings(RATE_LIMIT_LOGIN="5/m")
def test_login_is_limited_per_ip_and_username(planner):
    ip = fresh_ip()
    _clear_window_edge(f"{ip}|{planner.email}")
    client = client_for(HOST_A, REMOTE_ADDR=ip)
    wrong = {"username": planner.email, "password": "wrong-password"}
    assert [client.post("/api/v1/auth/token", wrong).status_code for _ in range(5)] == [401] * 5
    # Even the right password is refused now: the limit holds whatever the outcome.
    right = {"username": planner.email, "password": PASSWORD}
    response = client.post("/api/v1/auth/token", right)
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Another username from the same address is still allowed.
    other = {"username": "someone-else@example.com", "password": "x"}
    assert client.post("/api/v1/auth/token", other).status_code == 401


@override_settings(RATE_LIMIT_LOGIN="2/m")
def test_admin_login_is_throttled(client):
    ip = fresh_ip()
    client.defaults.update(HTTP_HOST=HOST_A, REMOTE_ADDR=ip)
    form = {"username": "nobody@example.com", "password": "wrong"}
    _clear_window_edge(f"{ip}|nobody@example.com", seconds_needed=5)
    assert [client.post("/admin/login/", form).status_code for _ in range(2)] == [200, 200]
    response = client.post("/admin/login/", form)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_limits_come_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_rate

    monkeypatch.setenv("RATE_LIMIT_ANON", "120/m")
    assert env_rate("RATE_LIMIT_ANON", "60/m") == "120/m"
    monkeypatch.setenv("RATE_LIMIT_ANON", "lots")
    with pytest.raises(ImproperlyConfigured):
        env_rate("RATE_LIMIT_ANON", "60/m")


@override_settings(RATE_LIMIT_USER="50/m")
def test_a_token_counts_against_its_user_in_its_own_tenant_only(planner):
    """A token this process has verified is counted in the anonymous limit's look (ADR 47):
    once per call, and only in the tenant it was issued for."""
    from django_ratelimit import ALL
    from django_ratelimit.core import _get_window, _make_cache_key
    from django_tenants.utils import schema_context

    from core.throttling import read_in_redis
    from tests.conftest import schema_for_host

    key = f"user:{planner.pk}"
    _clear_window_edge(key)
    counter = _make_cache_key("api", _get_window(key, 60), "50/m", key, ALL)
    own = client_for(HOST_A, planner, REMOTE_ADDR=fresh_ip())
    assert [own.get("/api/v1/me").status_code for _ in range(3)] == [200] * 3
    token = own._credentials["HTTP_AUTHORIZATION"]
    other = client_for(HOST_B, REMOTE_ADDR=fresh_ip(), HTTP_AUTHORIZATION=token)
    assert [other.get("/api/v1/me").status_code for _ in range(3)] == [401] * 3
    with schema_context(schema_for_host(HOST_A)):
        assert read_in_redis(counter) == 3
    with schema_context(schema_for_host(HOST_B)):
        assert read_in_redis(counter) == 0
