"""Invitations (API and the admins' users page) and the password reset: single-use, expiring,
tenant-bound links sent with Django's mail backend (locmem here); the reset never tells
whether an address exists; role gating of the users page."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.links import invitation_tokens, password_reset_tokens
from accounts.models import User
from tests.conftest import HOST_A, HOST_B, PASSWORD, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db
INVITE_URL = "/api/v1/users/invitations/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


def _link(message) -> str:
    match = re.search(r"http://[^\s]+", message.body)
    assert match, message.body
    return match.group(0)


def _path(link: str) -> str:
    return re.sub(r"^http://[^/]+", "", link)


def _invite(admin, email="new.person@example.com", role="planner", host=HOST_A):
    return client_for(host, admin).post(INVITE_URL, {"email": email, "role": role}, format="json")


def _accept(link: str, password: str = NEW_PASSWORD, host: str = HOST_A) -> Client:
    client = Client(HTTP_HOST=host)
    page = client.get(_path(link), follow=True)  # Django swaps the token for a session marker
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else _path(link)
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    client.last_response = response  # type: ignore[attr-defined]
    return client


def test_admin_invites_by_api_and_the_link_sets_the_password_once(tenant_admin):
    mail.outbox.clear()
    response = _invite(tenant_admin)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "new.person@example.com" and body["role"] == "planner"
    assert body["invitation_pending"] is True
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.com"]
    link = _link(mail.outbox[0])
    assert link.startswith(f"http://{HOST_A}/app/invitations/")

    client = _accept(link)
    assert client.last_response.status_code == 302  # type: ignore[attr-defined]
    assert client.last_response["Location"] == "/app/dashboard/"  # type: ignore[attr-defined]
    assert client.get("/app/dashboard/").status_code == 200  # signed in
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Single use: the same link is dead now.
    again = Client(HTTP_HOST=HOST_A).get(_path(link), follow=True)
    assert "no longer valid" in again.content.decode()
    # An account with a password cannot be invited again.
    assert_error(_invite(tenant_admin), 409, "conflict")


def test_invitation_expires(tenant_admin, monkeypatch):
    mail.outbox.clear()
    _invite(tenant_admin, email="late@example.com")
    link = _link(mail.outbox[0])
    user = User.objects.get(email="late@example.com")
    token = _path(link).strip("/").split("/")[-1]
    assert invitation_tokens.check_token(user, token)
    # An invitation token is not a password reset token.
    assert not password_reset_tokens.check_token(user, token)
    later = datetime.now() + timedelta(seconds=61)
    monkeypatch.setattr(invitation_tokens, "_now", lambda: later)
    with override_settings(INVITATION_TIMEOUT_SECONDS=60):
        assert not invitation_tokens.check_token(user, token)
        page = Client(HTTP_HOST=HOST_A).get(_path(link), follow=True)
        assert "no longer valid" in page.content.decode()


def test_invitation_link_of_one_tenant_does_not_work_on_another(tenant_admin, tenant_b):
    mail.outbox.clear()
    _invite(tenant_admin, email="twin@example.com")
    link = _link(mail.outbox[0])
    invited = User.objects.get(email="twin@example.com")
    token = _path(link).strip("/").split("/")[-1]
    assert invitation_tokens.check_token(invited, token)
    with schema_context(tenant_b.schema_name):
        # The very same user row (id, e-mail, password hash) would not pass in tenant B: the
        # token signs the schema.
        assert not invitation_tokens.check_token(invited, token)
        # A person with the same e-mail in tenant B.
        twin = make_user("viewer", email="twin@example.com")
        twin.set_unusable_password()
        twin.save()
        twin_id = twin.pk
    page = Client(HTTP_HOST=HOST_B).get(_path(link), follow=True)
    assert "no longer valid" in page.content.decode()
    with schema_context(tenant_b.schema_name):
        assert not User.objects.get(pk=twin_id).has_usable_password()
        User.objects.filter(pk=twin_id).delete()


@pytest.mark.parametrize("role", ["planner", "viewer"])
def test_only_admins_invite(role):
    user = make_user(role)
    assert_error(_invite(user), 403)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(user)
    assert client.get("/app/users/").status_code == 403
    assert (
        client.post("/app/users/", {"email": "x@example.com", "role": "admin"}).status_code == 403
    )
    assert not User.objects.filter(email="x@example.com").exists()


def test_bad_invitation_input_is_400_and_writes_nothing(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    before = User.objects.count()
    details = assert_error(
        client.post(INVITE_URL, {"email": "not-an-address", "role": "boss"}, format="json"), 400
    )["details"]
    assert {"email", "role"} <= set(details)
    assert User.objects.count() == before


def test_users_page_lists_and_invites(tenant_admin):
    mail.outbox.clear()
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(tenant_admin)
    page = client.get("/app/users/")
    assert page.status_code == 200 and tenant_admin.email in page.content.decode()
    assert 'href="/app/users/"' in page.content.decode()  # the admin's navigation shows Users
    response = client.post("/app/users/", {"email": "Page.Invite@Example.com", "role": "viewer"})
    assert response.status_code == 302
    assert User.objects.get(email="page.invite@example.com").role == "viewer"
    assert len(mail.outbox) == 1
    listing = client.get("/app/users/").content.decode()
    assert "invitation pending" in listing and "Invitation sent" in listing
    bad = client.post("/app/users/", {"email": "nope", "role": "viewer"})
    assert bad.status_code == 400 and "valid e-mail" in bad.content.decode()


def test_viewer_and_planner_navigation_has_no_users_link():
    for role in ("viewer", "planner"):
        client = Client(HTTP_HOST=HOST_A)
        client.force_login(make_user(role))
        assert 'href="/app/users/"' not in client.get("/app/dashboard/").content.decode()


def _reset(email: str, client: Client | None = None):
    client = client or Client(HTTP_HOST=HOST_A)
    return client.post("/app/password-reset/", {"email": email})


def test_password_reset_never_reveals_whether_the_address_exists():
    user = make_user("planner")
    mail.outbox.clear()
    known = _reset(user.email)
    unknown = _reset("nobody-here@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/app/password-reset/sent/"
    sent = Client(HTTP_HOST=HOST_A).get("/app/password-reset/sent/").content.decode()
    assert "If an account" in sent
    assert [m.to for m in mail.outbox] == [[user.email]]  # only the real account got mail
    # Timing: both answers take about as long (no slow hash on one side only).
    started = time.perf_counter()
    _reset(user.email)
    known_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _reset("nobody-here@example.com")
    unknown_seconds = time.perf_counter() - started
    assert abs(known_seconds - unknown_seconds) < 0.5


def test_password_reset_link_sets_a_new_password_once():
    user = make_user("viewer")
    mail.outbox.clear()
    _reset(user.email.upper())
    link = _link(mail.outbox[0])
    assert f"http://{HOST_A}/app/password-reset/" in link
    client = _accept(link)
    assert client.last_response["Location"] == "/app/password-reset/done/"  # type: ignore[attr-defined]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert (
        "no longer valid" in Client(HTTP_HOST=HOST_A).get(_path(link), follow=True).content.decode()
    )
    # The new password logs in on the app login.
    login = Client(HTTP_HOST=HOST_A).post(
        "/app/login/", {"username": user.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 302 and login["Location"] == "/app/dashboard/"


def test_weak_password_is_refused_and_the_link_stays_usable():
    user = make_user("viewer")
    mail.outbox.clear()
    _reset(user.email)
    link = _link(mail.outbox[0])
    client = _accept(link, password="123")
    assert client.last_response.status_code == 200  # type: ignore[attr-defined]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_is_rate_limited_like_the_login():
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="203.0.113.77")
    with override_settings(RATE_LIMIT_LOGIN="2/m", RATE_LIMIT_LOGIN_IP="20/10m"):
        codes = [_reset("someone@example.com", client).status_code for _ in range(3)]
    assert codes[:2] == [302, 302] and codes[2] == 429


def test_login_page_links_to_the_reset():
    page = Client(HTTP_HOST=HOST_A).get("/app/login/").content.decode()
    assert 'href="/app/password-reset/"' in page
