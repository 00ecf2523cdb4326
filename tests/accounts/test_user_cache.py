"""The JWT's user cached per tenant and user (ADR 27): one query fewer per request, and a
change to the user (deactivation, role, deletion) takes effect on the very next request."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.authentication import USER_CACHE_TOMBSTONE, user_cache_key
from accounts.models import User
from accounts.services import user_set_active, user_set_role
from tests.conftest import HOST_A, HOST_B, client_for, make_user, schema_for_host

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user_cache_on")]


@pytest.fixture
def user_cache_on():
    with override_settings(JWT_USER_CACHE_SECONDS=300):
        yield


def _settled(*users: User) -> None:
    """As some seconds after the users were written: their change markers have expired."""
    for user in users:
        cache.delete(user_cache_key(user.pk))


def _queries(client, url: str = "/api/v1/me") -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return len(captured.captured_queries), response


def test_second_request_reads_the_user_from_the_cache(planner):
    client = client_for(HOST_A, planner)
    _settled(planner)
    first, response = _queries(client)
    assert response.status_code == 200
    second, response = _queries(client)
    assert response.status_code == 200
    assert response.json()["email"] == planner.email
    assert second < first
    assert not any('"accounts_user"' in q["sql"] for q in _captured(client))


def _captured(client) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/me")
    return captured.captured_queries


def test_deactivation_takes_effect_on_the_next_request(planner):
    client = client_for(HOST_A, planner)
    _settled(planner)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me").status_code == 200  # served from the cache
    user_set_active(user=planner, is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_role_change_takes_effect_on_the_next_request(tenant_admin):
    viewer = make_user(User.Role.VIEWER)
    client = client_for(HOST_A, viewer)
    _settled(viewer)
    assert client.get("/api/v1/me").json()["role"] == "viewer"
    assert client.get("/api/v1/me").json()["role"] == "viewer"  # cached
    user_set_role(user=viewer, role=User.Role.PLANNER)
    assert client.get("/api/v1/me").json()["role"] == "planner"


def test_deleted_user_is_refused_on_the_next_request(planner):
    client = client_for(HOST_A, planner)
    _settled(planner)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=planner.pk).first().delete()
    assert client.get("/api/v1/me").status_code == 401


def test_a_change_blocks_a_stale_refill_of_the_cache(planner):
    """A request that read the old row before the change cannot put it back: after the change
    the key holds a marker that cache.add (the only way the cache is filled) cannot replace."""
    client = client_for(HOST_A, planner)
    _settled(planner)
    client.get("/api/v1/me")
    user_set_role(user=planner, role=User.Role.VIEWER)
    connection.set_tenant(connection.tenant)  # the request left the schema on alpha already
    assert cache.get(user_cache_key(planner.pk)) == USER_CACHE_TOMBSTONE
    assert cache.add(user_cache_key(planner.pk), "stale", 60) is False
    assert client.get("/api/v1/me").json()["role"] == "viewer"


def test_same_user_id_in_two_tenants_is_never_served_across(tenant_a, tenant_b):
    """User ids repeat across schemas; the cache key carries the schema (make_key)."""
    user_id = 900_000 + uuid.uuid4().int % 90_000
    users = {}
    for host in (HOST_A, HOST_B):
        with schema_context(schema_for_host(host)):
            users[host] = User.objects.create(
                id=user_id, email=f"same-id-{uuid.uuid4().hex[:8]}@example.com", role="planner"
            )
    client_a, client_b = client_for(HOST_A, users[HOST_A]), client_for(HOST_B, users[HOST_B])
    for host, user in users.items():
        with schema_context(schema_for_host(host)):
            _settled(user)
    for _ in range(2):  # the second round is served from the cache
        assert client_a.get("/api/v1/me").json()["email"] == users[HOST_A].email
        assert client_b.get("/api/v1/me").json()["email"] == users[HOST_B].email
    # A's token on B's host stays refused (the tenant claim), cache or not.
    cross = client_for(HOST_B)
    cross.credentials(HTTP_AUTHORIZATION=client_a._credentials["HTTP_AUTHORIZATION"])
    assert cross.get("/api/v1/me").status_code == 401


@override_settings(JWT_USER_CACHE_SECONDS=0)
def test_zero_seconds_reads_the_database_every_time(planner):
    client = client_for(HOST_A, planner)
    _settled(planner)
    first, _ = _queries(client)
    second, _ = _queries(client)
    assert first == second


def _redis_commands(monkeypatch) -> list[str]:
    """The Redis commands the process sends (a spy on the real client: they still run)."""
    import redis

    sent: list[str] = []
    single = redis.Redis.execute_command
    pipeline = redis.client.Pipeline.execute

    def spy(self, *args, **options):
        sent.append(str(args[0]).upper())
        return single(self, *args, **options)

    def spy_pipeline(self, *args, **options):
        sent.append("PIPELINE " + " ".join(str(c[0][0]).upper() for c in self.command_stack))
        return pipeline(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", spy)
    monkeypatch.setattr(redis.client.Pipeline, "execute", spy_pipeline)
    return sent


def test_the_anonymous_look_and_the_users_entry_are_one_round_trip(planner, monkeypatch):
    """ADR 37: the anonymous limit's counter and the JWT user's entry in one MGET; the user is
    still read from the cache (no user query) and a change marker still sends it to the
    database."""
    client = client_for(HOST_A, planner)
    _settled(planner)
    assert client.get("/api/v1/me").status_code == 200  # fills the entry
    sent = _redis_commands(monkeypatch)
    assert not any('"accounts_user"' in q["sql"] for q in _captured(client))
    # One round trip: the look's MGET, and the user limit's counter added to in the same
    # pipeline (ADR 47), the token having been verified by the first call.
    assert sent == ["PIPELINE MGET INCRBY EXPIRE"], sent
    with schema_context(schema_for_host(HOST_A)):
        cache.set(user_cache_key(planner.pk), USER_CACHE_TOMBSTONE, 10)
    assert any('"accounts_user"' in q["sql"] for q in _captured(client))


def test_a_redis_that_does_not_answer_is_no_error(planner):
    client = client_for(HOST_A, planner)
    down = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
            "KEY_PREFIX": f"down-{uuid.uuid4().hex[:6]}",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    with override_settings(CACHES=down):
        response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == planner.email
