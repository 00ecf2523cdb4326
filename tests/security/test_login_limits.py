"""Login limits (issue 16 item 4): a failing Authorization header counts as anonymous, one
address is limited across usernames, an account locks after repeated failures with a
doubling backoff, and its tenant's admins are told. Fresh addresses keep counters apart."""

from __future__ import annotations

import itertools

import pytest
from django.core import mail
from django.test import override_settings

from accounts import lockout
from accounts.models import User
from tests.conftest import HOST_A, PASSWORD, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db
_addresses = (f"172.16.{a}.{b}" for a, b in itertools.product(range(1, 250), repeat=2))


def fresh_client(**headers):
    return client_for(HOST_A, REMOTE_ADDR=next(_addresses), **headers)


def _login(client, username: str, password: str = "wrong-password", **extra):
    return client.post("/api/v1/auth/token", {"username": username, "password": password}, **extra)


@override_settings(RATE_LIMIT_ANON="5/m")
def test_an_authorization_header_that_fails_counts_as_anonymous():
    client = fresh_client(HTTP_AUTHORIZATION="Basic eDp4")
    statuses = [_login(client, f"user{n}@example.com").status_code for n in range(5)]
    assert statuses == [401] * 5
    response = _login(client, "user6@example.com")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # A bearer token that does not authenticate counts the same way.
    bearer = fresh_client(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert [bearer.get("/api/v1/me").status_code for _ in range(6)] == [401] * 5 + [429]


@override_settings(RATE_LIMIT_LOGIN_IP="3/10m")
def test_one_address_is_limited_across_usernames():
    client = fresh_client()
    assert [_login(client, f"spray{n}@example.com").status_code for n in range(3)] == [401] * 3
    response = _login(client, "spray4@example.com")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    assert _login(fresh_client(), "spray4@example.com").status_code == 401


def test_an_account_locks_after_five_failures_with_doubling_backoff(monkeypatch):
    admin = make_user(User.Role.ADMIN)
    planner = make_user(User.Role.PLANNER)
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(lockout, "_now", lambda: clock["now"])

    # Five failures from five addresses (the per-address limits never see them together).
    assert [_login(fresh_client(), planner.email).status_code for _ in range(5)] == [401] * 5
    response = _login(fresh_client(), planner.email, PASSWORD)  # even the right password
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == 60
    (notice,) = mail.outbox
    assert admin.email in notice.to and planner.email in notice.subject

    clock["now"] += 61
    assert [_login(fresh_client(), planner.email).status_code for _ in range(5)] == [401] * 5
    assert int(_login(fresh_client(), planner.email, PASSWORD)["Retry-After"]) == 120
    clock["now"] += 121
    assert _login(fresh_client(), planner.email, PASSWORD).status_code == 200
    # A success clears the failures: one more failure does not lock.
    assert _login(fresh_client(), planner.email).status_code == 401
    assert _login(fresh_client(), planner.email, PASSWORD).status_code == 200
    assert len(mail.outbox) == 2


@override_settings(LOGIN_LOCKOUT_SECONDS=600, LOGIN_LOCKOUT_MAX_SECONDS=900)
def test_the_backoff_is_capped_and_unknown_accounts_lock_silently(monkeypatch):
    clock = {"now": 2_000_000.0}
    monkeypatch.setattr(lockout, "_now", lambda: clock["now"])
    for expected in (600, 900, 900):
        for _ in range(5):
            lockout.login_failure_record(username="ghost@example.com")
        assert lockout.login_locked_seconds(username="ghost@example.com") == expected
        clock["now"] += expected + 1
    assert mail.outbox == []  # no such account: nobody to tell, nothing revealed


def test_the_admin_login_locks_the_account_too(client):
    planner = make_user(User.Role.PLANNER, is_staff=True)
    form = {"username": planner.email, "password": "wrong"}
    for _ in range(5):
        client.defaults.update(HTTP_HOST=HOST_A, REMOTE_ADDR=next(_addresses))
        assert client.post("/admin/login/", form).status_code == 200
    response = client.post("/admin/login/", {"username": planner.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    # The API's token endpoint honours the same lockout.
    assert _login(fresh_client(), planner.email, PASSWORD).status_code == 429
