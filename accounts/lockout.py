"""Login lockout (ADR 25): after ``LOGIN_LOCKOUT_FAILURES`` failed logins an account is locked
for ``LOGIN_LOCKOUT_SECONDS``, doubling with each further lockout up to
``LOGIN_LOCKOUT_MAX_SECONDS``; a successful login clears it. The state lives in the cache
(per tenant schema, like every cache key) and fails open when the cache is down, as the rate
limits do. The token endpoint and the admin login both use it; the account's tenant admins
are told by e-mail when it locks."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection
from django.http import HttpRequest

from core.logging import get_logger
from core.throttling import client_ip, consume

log = get_logger("lockout")
_STATE_SECONDS = 24 * 3600  # failures and the backoff level are forgotten after a quiet day


def _now() -> float:
    return time.time()


def _key(username: str) -> str:
    return f"login-lockout:{username.strip().lower()[:200]}"


def _state(username: str) -> dict[str, Any]:
    try:
        return cache.get(_key(username)) or {}
    except Exception as exc:  # the cache backend's connection errors vary
        log.warning("lockout_unavailable", error=str(exc))
        return {}


def _store(username: str, state: dict[str, Any]) -> None:
    try:
        cache.set(_key(username), state, _STATE_SECONDS)
    except Exception as exc:
        log.warning("lockout_unavailable", error=str(exc))


def login_guard(request: HttpRequest, *, group: str, username: str) -> int:
    """Count one login attempt; the seconds to wait when it must be refused (0: go on).
    Three limits: per address and username, per address across usernames (spraying), and
    the account's lockout."""
    ip = client_ip(request)
    name = username.strip().lower()[:200]
    for key, rate in (
        (f"{ip}|{name}", settings.RATE_LIMIT_LOGIN),
        (f"ip:{ip}", settings.RATE_LIMIT_LOGIN_IP),
    ):
        usage = consume(request, group=group, key=key, rate=rate)
        if usage and usage["should_limit"]:
            return max(int(usage["time_left"]), 1)
    return login_locked_seconds(username=name)


def login_locked_seconds(*, username: str) -> int:
    """Seconds the account named ``username`` stays locked (0 when it is not)."""
    if not username:
        return 0
    left = _state(username).get("until", 0) - _now()
    return max(int(left + 0.999), 0)


def login_failure_record(*, username: str) -> int:
    """Count a failed login for ``username``; lock it when the failures reach the limit.
    Returns the seconds of a lockout that starts now (0 when none does)."""
    if not username:
        return 0
    state = _state(username)
    failures = state.get("failures", 0) + 1
    if failures < settings.LOGIN_LOCKOUT_FAILURES:
        _store(username, {**state, "failures": failures})
        return 0
    level = state.get("level", 0)
    seconds = min(settings.LOGIN_LOCKOUT_SECONDS * 2**level, settings.LOGIN_LOCKOUT_MAX_SECONDS)
    _store(username, {"failures": 0, "level": level + 1, "until": _now() + seconds})
    log.warning("login_locked", username=username[:200], seconds=seconds)
    _notify_admins(username=username, seconds=seconds, failures=failures)
    return seconds


def login_success_record(*, username: str) -> None:
    if username and _state(username):
        try:
            cache.delete(_key(username))
        except Exception as exc:
            log.warning("lockout_unavailable", error=str(exc))


def _notify_admins(*, username: str, seconds: int, failures: int) -> None:
    """E-mail the active admins of the tenant the account belongs to (none when no such
    account exists: the lockout still applies, so it says nothing about who exists)."""
    from accounts.models import User

    if not User.objects.filter(email__iexact=username.strip()).exists():
        return
    admins = list(
        User.objects.filter(role=User.Role.ADMIN, is_active=True).values_list("email", flat=True)
    )
    if not admins:
        return
    send_mail(
        subject=f"Account {username} locked after {failures} failed logins",
        message=(
            f"The account {username} of workspace {connection.schema_name} was locked for "
            f"{seconds} seconds after {failures} failed login attempts in a row. If this was "
            "not its owner, someone may be guessing its password."
        ),
        from_email=None,
        recipient_list=admins,
        fail_silently=True,
    )
