"""TOTP two-factor authentication (ADR 31): once on, every login needs the code — the app's
second step, the token endpoint's ``otp`` field and the back office — so the API cannot
bypass it; API keys are unaffected; attempts are limited; tenants stay apart."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import api_key_create
from accounts.two_factor import otp_enabled, otp_enrol_confirm, otp_enrol_start
from tests.conftest import (
    HOST_A,
    HOST_B,
    PASSWORD,
    assert_error,
    client_for,
    make_user,
    tokens_for,
)

pytestmark = pytest.mark.django_db


def _code(user: User, steps_ahead: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _with_2fa(role: str = User.Role.PLANNER) -> tuple[User, list[str]]:
    cache.clear()
    user = make_user(role)
    otp_enrol_start(user=user)
    codes = otp_enrol_confirm(request=None, user=user, code=_code(user))
    return user, codes


def _token(user: User, host: str = HOST_A, **extra):
    body = {"username": user.username, "password": PASSWORD, **extra}
    return Client(HTTP_HOST=host).post("/api/v1/auth/token", body, content_type="application/json")


def test_enrolment_through_the_api_turns_it_on_with_recovery_codes():
    cache.clear()
    user = make_user()
    client = client_for(HOST_A, user)
    assert client.get("/api/v1/me/two-factor").json() == {"enabled": False}
    started = client.post("/api/v1/me/two-factor/enrol")
    assert started.status_code == 201
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and "secret=" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    assert not otp_enabled(user=user)  # not before a first code
    assert_error(client.post("/api/v1/me/two-factor/confirm", {"code": "000000"}), 400)
    time.sleep(1.1)  # django-otp's delay after a failure
    confirmed = client.post("/api/v1/me/two-factor/confirm", {"code": _code(user)})
    assert confirmed.status_code == 200, confirmed.content
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/api/v1/me/two-factor").json() == {"enabled": True}


def test_the_token_endpoint_cannot_be_used_without_the_code():
    user, codes = _with_2fa()
    assert_error(_token(user), 401, "otp_required")
    assert_error(_token(user, otp="12345"), 401, "otp_invalid")
    time.sleep(2.1)
    good = _token(user, otp=_code(user, steps_ahead=1))
    assert good.status_code == 200 and {"access", "refresh"} <= set(good.json())
    # A recovery code works once.
    assert _token(user, otp=codes[0]).status_code == 200
    assert_error(_token(user, otp=codes[0]), 401, "otp_invalid")
    # Without 2FA nothing changes.
    plain = make_user()
    assert _token(plain).status_code == 200


def test_a_wrong_password_with_a_good_code_is_still_refused():
    user, _ = _with_2fa()
    body = {"username": user.username, "password": "wrong", "otp": _code(user, 1)}
    response = Client(HTTP_HOST=HOST_A).post(
        "/api/v1/auth/token", body, content_type="application/json"
    )
    assert_error(response, 401)


def test_otp_attempts_are_rate_limited():
    user, _ = _with_2fa()
    statuses = [_token(user, otp="000000").status_code for _ in range(12)]
    assert statuses[:3] == [401, 401, 401]
    assert 429 in statuses
    limited = _token(user, otp="000000")
    assert limited.status_code == 429 and "Retry-After" in limited


def test_api_keys_of_a_user_with_2fa_still_work():
    user, _ = _with_2fa(User.Role.ADMIN)
    _, raw = api_key_create(user=user, name="partner", scopes=["catalog:read"])
    response = Client(HTTP_HOST=HOST_A).get(
        "/api/v1/categories/", HTTP_AUTHORIZATION=f"Api-Key {raw}"
    )
    assert response.status_code == 200
    # …but a key cannot see or change anyone's 2FA.
    refused = Client(HTTP_HOST=HOST_A).post(
        "/api/v1/me/two-factor/enrol", HTTP_AUTHORIZATION=f"Api-Key {raw}"
    )
    assert_error(refused, 403, "api_key_not_allowed")


def test_the_app_login_asks_for_the_code_before_any_session():
    user, codes = _with_2fa()
    browser = Client(HTTP_HOST=HOST_A)
    step_one = browser.post("/app/login/", {"username": user.username, "password": PASSWORD})
    assert step_one.status_code == 302 and step_one["Location"] == "/app/login/code/"
    assert browser.get("/app/dashboard/").status_code == 302  # not signed in yet
    assert browser.post("/app/login/code/", {"code": "000000"}).status_code == 400
    assert browser.get("/app/dashboard/").status_code == 302
    time.sleep(1.1)  # django-otp's delay after a failure
    done = browser.post("/app/login/code/", {"code": codes[1]})
    assert done.status_code == 302 and done["Location"] == "/app/dashboard/"
    assert browser.get("/app/dashboard/").status_code == 200
    # Without a password first, the code page sends back to the login.
    assert Client(HTTP_HOST=HOST_A).get("/app/login/code/")["Location"] == "/app/login/"


def test_the_back_office_login_needs_the_code():
    user, codes = _with_2fa(User.Role.ADMIN)
    browser = Client(HTTP_HOST=HOST_A)
    form = {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    without = browser.post("/admin/login/", form)
    assert without.status_code == 200 and b"two-factor" in without.content
    assert browser.get("/admin/").status_code == 302
    with_code = browser.post("/admin/login/", {**form, "otp": codes[2]})
    assert with_code.status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_turning_it_off_needs_password_and_code():
    user, codes = _with_2fa()
    client = client_for(HOST_A, user)
    wrong_password = client.post(
        "/api/v1/me/two-factor/disable", {"password": "nope", "code": codes[0]}
    )
    assert_error(wrong_password, 400)
    assert_error(client.post("/api/v1/me/two-factor/disable", {"password": PASSWORD}), 400)
    assert otp_enabled(user=user)
    off = client.post("/api/v1/me/two-factor/disable", {"password": PASSWORD, "code": codes[3]})
    assert off.status_code == 204
    assert not otp_enabled(user=user)
    assert _token(user).status_code == 200


def test_the_enrolment_page_shows_a_qr_code_and_recovery_codes():
    cache.clear()
    user = make_user()
    browser = Client(HTTP_HOST=HOST_A)
    browser.force_login(user)
    assert b"is <strong>off" in browser.get("/app/account/two-factor/").content
    started = browser.post("/app/account/two-factor/", {"action": "start"})
    assert b"data:image/svg+xml" in started.content and b"otpauth://totp/" in started.content
    confirmed = browser.post("/app/account/two-factor/", {"action": "confirm", "code": _code(user)})
    assert confirmed.content.count(b"<li><code>") == 10
    assert otp_enabled(user=user)


def test_two_factor_is_per_tenant(tenant_b):
    user, _ = _with_2fa()
    with schema_context(tenant_b.schema_name):
        twin = make_user(email=user.email)
        assert not otp_enabled(user=twin)
        assert not TOTPDevice.objects.exists()
    # A's token cannot reach B's enrolment.
    access, _ = tokens_for(user, HOST_A)
    on_b = Client(HTTP_HOST=HOST_B).post(
        "/api/v1/me/two-factor/enrol", HTTP_AUTHORIZATION=f"Bearer {access}"
    )
    assert_error(on_b, 401)


# The tenant's requirement for administrators --------------------------------------------------


def _require_for_admins(on: bool = True) -> None:
    from accounts.services import security_settings_update

    security_settings_update(require_2fa_for_admins=on)


def test_the_requirement_is_off_by_default_and_only_admins_in_person_set_it():
    from accounts.services import security_settings_get

    assert security_settings_get().require_2fa_for_admins is False
    admin = make_user(User.Role.ADMIN)
    client = client_for(HOST_A, admin)
    assert client.get("/api/v1/security-settings").json()["require_2fa_for_admins"] is False
    assert_error(
        client_for(HOST_A, make_user(User.Role.PLANNER)).put(
            "/api/v1/security-settings", {"require_2fa_for_admins": True}, format="json"
        ),
        403,
    )
    _, raw = api_key_create(user=admin, name="k", scopes=["write"])
    keyed = Client(HTTP_HOST=HOST_A).put(
        "/api/v1/security-settings",
        {"require_2fa_for_admins": True},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert_error(keyed, 403, "api_key_not_allowed")
    assert security_settings_get().require_2fa_for_admins is False
    on = client.put("/api/v1/security-settings", {"require_2fa_for_admins": True}, format="json")
    assert on.status_code == 200 and on.json()["require_2fa_for_admins"] is True


def test_required_admins_must_enrol_before_tokens_pages_or_the_back_office():
    cache.clear()
    _require_for_admins()
    admin, planner = make_user(User.Role.ADMIN), make_user(User.Role.PLANNER)
    assert_error(_token(admin), 401, "otp_enrolment_required")
    assert _token(planner).status_code == 200  # only administrators
    # The back office refuses and says where to enrol.
    back_office = Client(HTTP_HOST=HOST_A).post(
        "/admin/login/", {"username": admin.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert back_office.status_code == 200 and b"/app/account/two-factor/" in back_office.content
    # The app signs in but every page sends to enrolment until it is done.
    browser = Client(HTTP_HOST=HOST_A)
    login = browser.post("/app/login/", {"username": admin.username, "password": PASSWORD})
    assert login["Location"] == "/app/account/two-factor/"
    assert browser.get("/app/dashboard/")["Location"] == "/app/account/two-factor/"
    assert browser.get("/admin/")["Location"] == "/app/account/two-factor/"
    browser.post("/app/account/two-factor/", {"action": "start"})
    browser.post("/app/account/two-factor/", {"action": "confirm", "code": _code(admin)})
    assert otp_enabled(user=admin)
    assert browser.get("/app/dashboard/").status_code == 200
    assert _token(admin, otp=_code(admin, steps_ahead=1)).status_code == 200


def test_the_requirement_leaves_api_keys_and_other_tenants_alone(tenant_b):
    _require_for_admins()
    admin = make_user(User.Role.ADMIN)
    _, raw = api_key_create(user=admin, name="k", scopes=["catalog:read"])
    keyed = Client(HTTP_HOST=HOST_A).get("/api/v1/categories/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert keyed.status_code == 200
    with schema_context(tenant_b.schema_name):
        admin_b = make_user(User.Role.ADMIN)
    assert _token(admin_b, host=HOST_B).status_code == 200
