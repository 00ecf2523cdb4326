"""Two-factor authentication: TOTP (RFC 6238) with recovery codes, on django-otp (ADR 31).

A user who confirmed a TOTP device must give a code (or a one-time recovery code) at every
login: the app's second step, the token endpoint's ``otp`` field and the back office's form.
API keys are not people and are unaffected. Attempts are limited per user
(``RATE_LIMIT_OTP``) on top of django-otp's own growing delay after each failure, and a wrong
code counts towards the account's lockout like a wrong password."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.exceptions import RateLimited
from accounts.lockout import login_failure_record
from accounts.models import User
from core.exceptions import Conflict, CredentialRefused, ValidationFailed
from core.throttling import consume

RECOVERY_CODES = 10
ISSUER = "Demand planning"


def otp_enabled(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_enrol_start(*, user: User) -> str:
    """Start (or restart) enrolment: a new unconfirmed TOTP device. Returns its ``otpauth://``
    URI for an authenticator app. Refused while 2FA is on (disable it first)."""
    if otp_enabled(user=user):
        raise Conflict("Two-factor authentication is already on; turn it off first.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return otpauth_uri(device=device, user=user)


def otpauth_uri(*, device: TOTPDevice, user: User) -> str:
    from urllib.parse import quote

    from django.db import connection

    label = quote(f"{ISSUER} ({connection.schema_name}):{user.email}")
    secret = _base32(device.bin_key)
    return (
        f"otpauth://totp/{label}?secret={secret}&issuer={quote(ISSUER)}"
        f"&digits={device.digits}&period={device.step}&algorithm=SHA1"
    )


def qr_svg(uri: str) -> str:
    """The URI as an SVG QR code (segno), for a page's ``<img src="data:…">`` or the API."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=4)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


def otp_enrol_confirm(*, request: HttpRequest | None, user: User, code: str) -> list[str]:
    """Confirm enrolment with a first code from the app. Turns 2FA on and returns the
    recovery codes (shown once; each works once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise Conflict("Start enrolment first.")
    _limit(request, user)
    if not device.verify_token(_clean(code)):
        raise ValidationFailed("That code is not valid.", details={"code": "otp_invalid"})
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Sessions and refresh tokens opened without the second factor end here; the
        # request that turned it on keeps its own session.
        from accounts.services import user_sessions_end

        user_sessions_end(user=user, keep_session_key=_session_key(request))
        return _recovery_codes_replace(user=user)


def _session_key(request: HttpRequest | None) -> str | None:
    session = getattr(request, "session", None)
    return getattr(session, "session_key", None)


def _recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def otp_disable(*, request: HttpRequest | None, user: User, password: str, code: str) -> None:
    """Turn 2FA off: needs the password and a current code (or a recovery code)."""
    if not user.check_password(password):
        raise ValidationFailed("Wrong password.", details={"password": "invalid"})
    if not otp_verify(request=request, user=user, code=code):
        raise ValidationFailed("That code is not valid.", details={"code": "otp_invalid"})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def otp_verify(*, request: HttpRequest | None, user: User, code: str) -> bool:
    """True when ``code`` is a current TOTP code or an unused recovery code (then used up).
    Raises RateLimited past ``RATE_LIMIT_OTP``; a wrong code counts towards the lockout."""
    _limit(request, user)
    token = _clean(code)
    if token:
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(token):
                return True
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(str(code).strip().lower()):
                return True
    login_failure_record(username=user.username)
    return False


def otp_enrolment_required(*, user: User) -> bool:
    """True for an administrator without 2FA when the tenant requires it of administrators."""
    from accounts.services import security_settings_get

    return (
        user.role == User.Role.ADMIN
        and security_settings_get().require_2fa_for_admins
        and not otp_enabled(user=user)
    )


ENROL_PAGE = "/app/account/two-factor/"
ENROL_FIRST_SESSION_KEY = "otp_enrol_first"


def login_otp_check(*, request: HttpRequest | None, user: User, code: str | None) -> None:
    """For the token endpoint: nothing when the user has no 2FA; otherwise raise 401
    ``otp_required`` without a code and ``otp_invalid`` with a wrong one."""
    if not otp_enabled(user=user):
        if otp_enrolment_required(user=user):
            raise CredentialRefused(
                f"Administrators of this tenant must turn on two-factor authentication first: "
                f"log in to the app, which opens {ENROL_PAGE}.",
                code="otp_enrolment_required",
            )
        return
    if not code:
        raise CredentialRefused(
            "This account uses two-factor authentication: send the code in `otp`.",
            code="otp_required",
        )
    if not otp_verify(request=request, user=user, code=code):
        raise CredentialRefused("The two-factor code is not valid.", code="otp_invalid")


def _clean(code: str) -> str:
    return "".join(str(code or "").split())[:16]


def _limit(request: HttpRequest | None, user: User) -> None:
    if request is None:
        return
    usage = consume(request, group="otp", key=f"user:{user.pk}", rate=settings.RATE_LIMIT_OTP)
    if usage and usage["should_limit"]:
        wait = max(int(usage["time_left"]), 1)
        exc = RateLimited(
            "Too many two-factor attempts. Try again later.",
            details={"retry_after_seconds": wait},
        )
        exc.retry_after = wait  # type: ignore[attr-defined]
        raise exc
