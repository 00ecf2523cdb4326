"""Rate limits on django-ratelimit's counters (kept in Redis, so every web process shares them).

Anonymous calls count per client IP, authenticated calls per user or per API key. The cache's
key function prefixes every key with the tenant schema, so counters are per tenant too.
When Redis cannot be reached the limiter fails open (logs a warning): the readiness probe
reports Redis, and refusing every call would turn a cache outage into a full outage.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from core.logging import get_logger

log = get_logger("ratelimit")


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def consume(request: HttpRequest, *, group: str, key: str, rate: str) -> dict[str, Any] | None:
    """Count one call against ``key`` in ``group``. Returns django-ratelimit's usage (``count``,
    ``limit``, ``should_limit``, ``time_left`` in seconds), or None when limiting is off or the
    counter store is unreachable."""
    try:
        usage = get_usage(
            request, group=group, key=lambda _group, _request: key, rate=rate, increment=True
        )
    except Exception as exc:  # the cache backend's connection errors vary by client version
        log.warning("ratelimit_unavailable", error=str(exc))
        return None
    if usage is not None and usage["limit"] == 0:  # get_usage's "store failed" answer
        log.warning("ratelimit_unavailable", error="counter store failed")
        return None
    return usage


def principal_key(request: Any) -> tuple[str, str]:
    """The (key, rate) pair for a DRF request: API key, then user, then IP."""
    auth = getattr(request, "auth", None)
    prefix = getattr(auth, "prefix", None)
    if prefix:
        return f"key:{prefix}", settings.RATE_LIMIT_USER
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", settings.RATE_LIMIT_USER
    return f"ip:{client_ip(request._request)}", settings.RATE_LIMIT_ANON


class RateLimitThrottle(BaseThrottle):
    """DRF throttle on top of django-ratelimit; DRF turns a refusal into 429 + Retry-After."""

    group = "api"

    def allow_request(self, request, view) -> bool:
        key, rate = principal_key(request)
        usage = consume(request._request, group=self.group, key=key, rate=rate)
        self._wait = max(int(usage["time_left"]), 1) if usage else None
        return not (usage and usage["should_limit"])

    def wait(self) -> float | None:
        return self._wait
