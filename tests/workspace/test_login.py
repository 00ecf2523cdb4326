"""The app login for every role, logout, ``/`` and the navigation bar."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from accounts.models import User
from tests.conftest import HOST_A, HOST_B, PASSWORD, make_user


def _login(client: Client, email: str, password: str = PASSWORD, next_url: str = ""):
    return client.post("/app/login/", {"username": email, "password": password, "next": next_url})


@pytest.mark.django_db
@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.PLANNER, User.Role.VIEWER])
def test_every_role_logs_in_and_opens_the_dashboard(role):
    user = make_user(role)
    client = Client(HTTP_HOST=HOST_A, enforce_csrf_checks=True)
    page = client.get("/app/login/")
    assert page.status_code == 200 and b'name="csrfmiddlewaretoken"' in page.content
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/app/login/",
        {"username": user.email.upper(), "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/app/dashboard/"
    dashboard = client.get("/app/dashboard/")
    assert dashboard.status_code == 200
    html = dashboard.content.decode()
    assert user.email in html and user.get_role_display() in html and "Log out" in html
    assert 'href="/app/what-to-order/"' in html
    assert ('href="/admin/"' in html) == (role == User.Role.ADMIN)


@pytest.mark.django_db
def test_login_without_csrf_token_is_refused(viewer):
    client = Client(HTTP_HOST=HOST_A, enforce_csrf_checks=True)
    assert _login(client, viewer.email).status_code == 403


@pytest.mark.django_db
def test_wrong_password_and_unknown_address_get_the_same_answer(viewer):
    client = Client(HTTP_HOST=HOST_A)
    wrong = _login(client, viewer.email, "not-the-password-1")
    unknown = _login(client, "nobody@example.com", "not-the-password-1")
    assert wrong.status_code == unknown.status_code == 200

    def error(response) -> str:
        html = response.content.decode()
        return html[html.index('role="alert"') : html.index("</p>", html.index('role="alert"'))]

    assert error(wrong) == error(unknown)
    assert b"do not match an account" in wrong.content
    assert b"do not match an account" in unknown.content


@pytest.mark.django_db
def test_next_redirect_stays_on_this_host(planner):
    client = Client(HTTP_HOST=HOST_A)
    assert client.get("/app/test-bed/")["Location"] == "/app/login/?next=/app/test-bed/"
    assert _login(client, planner.email, next_url="/app/test-bed/")["Location"] == "/app/test-bed/"
    client.logout()
    evil = _login(client, planner.email, next_url="https://evil.example.com/")
    assert evil["Location"] == "/app/dashboard/"


@pytest.mark.django_db
def test_root_opens_the_login_then_the_dashboard_and_logout_ends_the_session(viewer):
    client = Client(HTTP_HOST=HOST_A)
    assert client.get("/")["Location"] == "/app/login/"
    assert client.get("/app/")["Location"] == "/app/login/"
    _login(client, viewer.email)
    assert client.get("/")["Location"] == "/app/dashboard/"
    assert client.get("/app/login/")["Location"] == "/app/dashboard/"
    assert client.get("/app/logout/").status_code == 405  # a link cannot log anyone out
    assert client.post("/app/logout/")["Location"] == "/app/login/"
    assert client.get("/app/dashboard/")["Location"].startswith("/app/login/")


@pytest.mark.django_db
@override_settings(RATE_LIMIT_LOGIN="2/m")
def test_login_is_rate_limited_like_the_api(viewer):
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.9.8.7")
    assert [_login(client, viewer.email, "wrong-password-1").status_code for _ in range(2)] == [
        200,
        200,
    ]
    limited = _login(client, viewer.email)  # even the right password waits
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert b"Too many login attempts" in limited.content
    # The API's token endpoint counts in the same group: it is limited too.
    api = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.9.8.7").post(
        "/api/v1/auth/token",
        {"username": viewer.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 429


@pytest.mark.django_db
def test_admin_view_site_goes_to_the_pages(tenant_admin):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(tenant_admin)
    assert b'href="/app/"' in client.get("/admin/").content


@pytest.mark.django_db
def test_navigation_links_only_pages_that_exist(viewer):
    from workspace.context_processors import NAVIGATION

    client = Client(HTTP_HOST=HOST_A)
    client.force_login(viewer)
    html = client.get("/app/test-bed/").content.decode()
    assert 'class="active" aria-current="page">Forecasts / Test Bed' in html
    for label in ("Dashboard", "What to order", "Simulation", "Routes"):
        assert f">{label}</a>" in html
    # The purchasing and manufacturing slots appear only once their URL names resolve.
    from django.urls import NoReverseMatch, reverse

    for label, name, _ in NAVIGATION[5:]:
        try:
            reverse(name)
        except NoReverseMatch:
            assert f">{label}</a>" not in html
        else:
            assert f">{label}</a>" in html


_lockout_addresses = (f"10.77.{a}.{b}" for a in range(1, 250) for b in range(1, 250))


def _login_from_fresh_address(host: str, email: str, password: str = PASSWORD):
    """Each attempt from its own address: only the account's lockout sees them together."""
    client = Client(HTTP_HOST=host, REMOTE_ADDR=next(_lockout_addresses))
    return client.post("/app/login/", {"username": email, "password": password})


@pytest.mark.django_db
def test_the_app_login_locks_the_account_after_repeated_failures(planner, viewer):
    wrong = [_login_from_fresh_address(HOST_A, planner.email, "wrong-password-1") for _ in range(5)]
    assert [r.status_code for r in wrong] == [200] * 5
    locked = _login_from_fresh_address(HOST_A, planner.email)  # even the right password
    assert locked.status_code == 429 and int(locked["Retry-After"]) >= 1
    assert (
        b"Too many login attempts" in locked.content
        and "_auth_user_id" not in locked.wsgi_request.session
    )
    # The API's token endpoint honours the same lockout; another account is not affected.
    api = Client(HTTP_HOST=HOST_A, REMOTE_ADDR=next(_lockout_addresses)).post(
        "/api/v1/auth/token",
        {"username": planner.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 429
    assert _login_from_fresh_address(HOST_A, viewer.email).status_code == 302


@pytest.mark.django_db
def test_a_locked_unknown_address_gets_the_same_answer_as_a_locked_account(planner):
    ghost = "nobody-locked@example.com"
    for email in (planner.email, ghost):
        for _ in range(5):
            _login_from_fresh_address(HOST_A, email, "wrong-password-1")
    known = _login_from_fresh_address(HOST_A, planner.email, "wrong-password-1")
    unknown = _login_from_fresh_address(HOST_A, ghost, "wrong-password-1")
    assert known.status_code == unknown.status_code == 429

    def alert(response) -> str:
        html = response.content.decode()
        start = html.index('role="alert"')
        return html[start : html.index("</p>", start)]

    assert alert(known) == alert(unknown)


@pytest.mark.django_db
def test_a_successful_app_login_clears_the_failures(planner):
    for _ in range(4):
        _login_from_fresh_address(HOST_A, planner.email, "wrong-password-1")
    assert _login_from_fresh_address(HOST_A, planner.email).status_code == 302
    for _ in range(4):  # four more after the success: not five in a row
        _login_from_fresh_address(HOST_A, planner.email, "wrong-password-1")
    assert _login_from_fresh_address(HOST_A, planner.email).status_code == 302


@pytest.mark.django_db
def test_failures_in_one_tenant_do_not_lock_the_same_address_in_another(tenant_b):
    from django_tenants.utils import schema_context

    email = "same-name-both-tenants@example.com"
    make_user(User.Role.PLANNER, email=email)
    with schema_context(tenant_b.schema_name):
        make_user(User.Role.PLANNER, email=email)
    for _ in range(5):
        _login_from_fresh_address(HOST_A, email, "wrong-password-1")
    assert _login_from_fresh_address(HOST_A, email).status_code == 429
    assert _login_from_fresh_address(HOST_B, email).status_code == 302
