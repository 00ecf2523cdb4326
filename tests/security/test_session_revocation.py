"""What was opened before a security change does not outlive it: turning 2FA on, a password
reset, and a tenant starting to require 2FA of its administrators end the user's other
sessions and blacklist their refresh tokens (issue 16)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.links import password_reset_tokens
from accounts.models import User
from accounts.two_factor import otp_enrol_confirm, otp_enrol_start
from tests.conftest import HOST_A, PASSWORD, assert_error, client_for, make_user, tokens_for

pytestmark = pytest.mark.django_db
PAGE = "/app/account/two-factor/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


def _browser(user: User) -> Client:
    """A signed-in browser of its own (its own session)."""
    browser = Client(HTTP_HOST=HOST_A)
    response = browser.post("/app/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert _signed_in(browser)
    return browser


def _signed_in(browser: Client) -> bool:
    response = browser.get(PAGE)
    return response.status_code == 200


def _refresh(refresh: str):
    return Client(HTTP_HOST=HOST_A).post(
        "/api/v1/auth/token/refresh", {"refresh": refresh}, content_type="application/json"
    )


def _code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_turning_2fa_on_ends_the_users_other_sessions_and_refresh_tokens():
    cache.clear()
    user = make_user(User.Role.PLANNER)
    here, elsewhere = _browser(user), _browser(user)
    _, refresh = tokens_for(user, HOST_A)
    other = make_user(User.Role.PLANNER)
    others_browser = _browser(other)
    _, others_refresh = tokens_for(other, HOST_A)

    assert here.post(PAGE, {"action": "start"}).status_code == 200
    confirmed = here.post(PAGE, {"action": "confirm", "code": _code(user)})
    assert confirmed.status_code == 200 and b"recovery" in confirmed.content.lower()

    assert _signed_in(here)  # the browser that turned it on goes on
    assert not _signed_in(elsewhere)
    assert_error(_refresh(refresh), 401)
    # Nobody else is touched.
    assert _signed_in(others_browser)
    assert _refresh(others_refresh).status_code == 200


def test_a_password_reset_ends_every_session_and_refresh_token():
    cache.clear()
    user = make_user(User.Role.VIEWER)
    browser = _browser(user)
    _, refresh = tokens_for(user, HOST_A)

    user.refresh_from_db()  # the login moved last_login, which the reset token signs
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    stranger = Client(HTTP_HOST=HOST_A)
    link = f"/app/password-reset/{uid}/{password_reset_tokens.make_token(user)}/"
    form = stranger.get(link, follow=True)  # Django swaps the token for a session marker
    assert form.status_code == 200
    form_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = stranger.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert done["Location"] == "/app/password-reset/done/"

    assert not _signed_in(browser)
    assert_error(_refresh(refresh), 401)


def test_requiring_2fa_of_admins_ends_the_sessions_of_admins_without_it():
    cache.clear()
    acting = make_user(User.Role.ADMIN)
    without = make_user(User.Role.ADMIN)
    with_2fa = make_user(User.Role.ADMIN)
    planner = make_user(User.Role.PLANNER)
    browsers = {user.pk: _browser(user) for user in (without, with_2fa, planner)}
    refresh = {user.pk: tokens_for(user, HOST_A)[1] for user in (without, with_2fa, planner)}
    otp_enrol_start(user=with_2fa)
    recovery = otp_enrol_confirm(request=None, user=with_2fa, code=_code(with_2fa))
    # Turning 2FA on ended with_2fa's sessions and tokens itself: open new ones after it
    # (with recovery codes: a TOTP code is accepted once).
    browsers[with_2fa.pk] = _browser_with_code(with_2fa, recovery[0])
    refresh[with_2fa.pk] = tokens_for(with_2fa, HOST_A)[1]

    response = client_for(HOST_A, acting).put(
        "/api/v1/security-settings", {"require_2fa_for_admins": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["require_2fa_for_admins"] is True

    assert not _signed_in(browsers[without.pk])
    assert_error(_refresh(refresh[without.pk]), 401)
    # Who already has 2FA, and who is not an administrator, goes on.
    assert _signed_in(browsers[with_2fa.pk])
    assert _refresh(refresh[with_2fa.pk]).status_code == 200
    assert _signed_in(browsers[planner.pk])
    assert _refresh(refresh[planner.pk]).status_code == 200

    # Saving the setting again (already on) ends nothing more.
    again = _browser_with_code(with_2fa, recovery[1])
    response = client_for(HOST_A, acting).put(
        "/api/v1/security-settings", {"require_2fa_for_admins": True}, format="json"
    )
    assert response.status_code == 200 and _signed_in(again)


def _browser_with_code(user: User, code: str) -> Client:
    browser = Client(HTTP_HOST=HOST_A)
    step = browser.post("/app/login/", {"username": user.email, "password": PASSWORD})
    assert step.status_code == 302, step.content
    finished = browser.post(step["Location"], {"code": code})
    assert finished.status_code == 302, finished.content
    assert _signed_in(browser)
    return browser
