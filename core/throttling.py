"""Rate limits on django-ratelimit's counters (kept in Redis, so every web process shares them).

Anonymous calls count per client IP, authenticated calls per user or per API key. The cache's
key function prefixes every key with the tenant schema, so counters are per tenant too.
When Redis cannot be reached the limiter fails open (logs a warning): the readiness probe
reports Redis, and refusing every call would turn a cache outage into a full outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate
from rest_framework.throttling import BaseThrottle

from core.logging import get_logger

log = get_logger("ratelimit")


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def count_in_redis(key: str, seconds: int) -> int:
    """Add one to the counter ``key`` (through the cache's key function, so per tenant) and
    give it ``seconds`` to live if it has none: one round trip (``INCR`` + ``EXPIRE NX`` in a
    pipeline) where the cache's ``add`` + ``incr`` took two (ADR 37). Raises when Redis does
    not answer."""
    from django.core.cache import cache

    full_key = cache.make_key(key)
    client = cache.client.get_client(write=True)  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    pipe.incr(full_key)
    pipe.expire(full_key, seconds, nx=True)
    count, _ = pipe.execute()
    return int(count)


def read_in_redis(key: str) -> int:
    """The counter ``key`` (0 when absent); raises when Redis does not answer."""
    from django.core.cache import cache

    client = cache.client.get_client(write=False)  # type: ignore[attr-defined]
    value = client.get(cache.make_key(key))
    return int(value) if value is not None else 0


# Cache entries read in the same round trip as the anonymous limit's look (ADR 37): a higher
# app registers a function giving the key its authentication will read for this request
# (accounts: the JWT user's entry), or None. The look's ``MGET`` leaves the decoded values in
# ``request.cache_read_along`` ({key: value or None}); a reader that finds no entry there (no
# look, limits off, Redis did not answer) reads the cache itself, as before.
_READ_ALONG: list[Callable[[HttpRequest], str | None]] = []


def read_along(function: Callable[[HttpRequest], str | None]) -> None:
    if function not in _READ_ALONG:
        _READ_ALONG.append(function)


# Counters added to in the same round trip (ADR 47): a higher app registers a function giving,
# for this request, the ``(group, key, rate)`` its limit will count once the request is
# authenticated (accounts: the user of a JWT this process has verified already), or None. The
# look adds one to each in its pipeline and leaves the counts in ``request.counted_along``
# ({(group, key, rate): (count, window)}); ``RateLimitThrottle`` then uses the count instead
# of counting again. Anything not counted along (no look, an API key, a token not yet verified
# here) is counted by the throttle as before. A call the look refuses (429) was counted.
_COUNT_ALONG: list[Callable[[HttpRequest], tuple[str, str, str] | None]] = []


def count_along(function: Callable[[HttpRequest], tuple[str, str, str] | None]) -> None:
    if function not in _COUNT_ALONG:
        _COUNT_ALONG.append(function)


def _look(request: HttpRequest, cache_key: str) -> int:
    """The counter ``cache_key`` and, in the same round trip, the entries registered with
    ``read_along`` for this request (left in ``request.cache_read_along``) and the counters
    registered with ``count_along``, each added to (left in ``request.counted_along``)."""
    along = [key for function in _READ_ALONG if (key := function(request)) is not None]
    counts = [spec for function in _COUNT_ALONG if (spec := function(request)) is not None]
    if not along and not counts:
        return read_in_redis(cache_key)
    from django.core.cache import cache

    client = cache.client.get_client(write=True)  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    pipe.mget([cache.make_key(key) for key in (cache_key, *along)])
    windows = []
    for group, key, rate in counts:
        _limit, period = _split_rate(rate)
        windows.append(_get_window(key, period))
        counter = cache.make_key(_make_cache_key(group, windows[-1], rate, key, ALL))
        pipe.incr(counter)
        pipe.expire(counter, period + EXPIRATION_FUDGE, nx=True)
    answers = pipe.execute()
    count, *values = answers[0]
    decode = cache.client.decode  # type: ignore[attr-defined]
    request.cache_read_along = {  # type: ignore[attr-defined]
        key: None if value is None else decode(value)
        for key, value in zip(along, values, strict=True)
    }
    request.counted_along = {  # type: ignore[attr-defined]
        spec: (int(answers[1 + 2 * index]), windows[index]) for index, spec in enumerate(counts)
    }
    return int(count) if count is not None else 0


def consume(
    request: HttpRequest, *, group: str, key: str, rate: str, increment: bool = True
) -> dict[str, Any] | None:
    """Count one call against ``key`` in ``group`` (or only look, ``increment=False``). Returns
    django-ratelimit's usage (``count``, ``limit``, ``should_limit``, ``time_left`` in
    seconds), or None when limiting is off or the counter store is unreachable.

    The windows and keys are django-ratelimit's own (``_get_window``, ``_make_cache_key``), the
    counting is one Redis round trip (``count_in_redis``) instead of its ``add`` + ``incr``."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limit, period = _split_rate(rate)
    window = _get_window(key, period)
    cache_key = _make_cache_key(group, window, rate, key, ALL)
    try:
        if increment:
            count = count_in_redis(cache_key, period + EXPIRATION_FUDGE)
        else:
            count = _look(request, cache_key)
    except Exception as exc:  # the cache backend's connection errors vary by client version
        log.warning("ratelimit_unavailable", error=str(exc))
        return None
    return _usage(count, limit, window)


def _usage(count: int, limit: int, window: int) -> dict[str, Any]:
    """django-ratelimit's usage dict for ``count`` calls in the window ending at ``window``."""
    return {
        "count": count,
        "limit": limit,
        "should_limit": count > limit,
        "time_left": window - int(time.time()),
    }


def counted_usage(
    request: HttpRequest, *, group: str, key: str, rate: str
) -> dict[str, Any] | None:
    """The usage of ``key`` in ``group`` when the anonymous limit's look counted this call
    already (``count_along``), else None."""
    counted = getattr(request, "counted_along", None)
    if not counted or not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    counted_here = counted.get((group, key, rate))
    if counted_here is None:
        return None
    count, window = counted_here
    return _usage(count, _split_rate(rate)[0], window)


def anonymous_usage(request: HttpRequest, *, increment: bool = True) -> dict[str, Any] | None:
    """Count one anonymous call from the client's IP (or only look)."""
    return consume(
        request,
        group="anon",
        key=f"ip:{client_ip(request)}",
        rate=settings.RATE_LIMIT_ANON,
        increment=increment,
    )


class AnonymousRateLimitMiddleware:
    """Per-IP limit on API calls that carry no credentials.

    It runs before the view because DRF checks permissions before throttles: an anonymous
    call to a protected endpoint would get its 401 without ever being counted. A call that
    carries an ``Authorization`` header but does not authenticate with it (a 401, or a view
    that ignores the header, such as the login) counts as anonymous afterwards, and an
    address over its anonymous limit is refused before its credentials are tried again
    (ADR 25): any header no longer skips the limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if "HTTP_AUTHORIZATION" not in request.META:
            usage = anonymous_usage(request)
            if usage and usage["should_limit"]:
                return too_many_requests(usage)
            return self.get_response(request)
        usage = anonymous_usage(request, increment=False)
        if usage and usage["count"] >= usage["limit"]:  # a look: this call is not counted
            return too_many_requests(usage)
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets the user it authenticated here
        if response.status_code == 401 or not getattr(user, "is_authenticated", False):
            anonymous_usage(request)
        return response


def too_many_requests(usage: dict[str, Any]):
    from core.errors import json_error
    from core.metrics import RATE_LIMITED

    RATE_LIMITED.labels(scope="anon").inc()
    wait = max(int(usage["time_left"]), 1)
    response = json_error(429, "rate_limited", "Too many requests. Try again later.")
    response["Retry-After"] = str(wait)
    return response


class RateLimitThrottle(BaseThrottle):
    """Per user or per API key limit for authenticated calls (anonymous ones are counted by
    ``AnonymousRateLimitMiddleware``); DRF turns a refusal into 429 + Retry-After."""

    group = "api"

    def allow_request(self, request, view) -> bool:
        self._wait = None
        auth = getattr(request, "auth", None)
        user = getattr(request, "user", None)
        if getattr(auth, "prefix", None):
            key = f"key:{auth.prefix}"
        elif user is not None and user.is_authenticated:
            key = f"user:{user.pk}"
        else:
            return True
        rate = settings.RATE_LIMIT_USER
        usage = counted_usage(request._request, group=self.group, key=key, rate=rate)
        if usage is None:
            usage = consume(request._request, group=self.group, key=key, rate=rate)
        if usage and usage["should_limit"]:
            self._wait = max(int(usage["time_left"]), 1)
            return False
        return True

    def wait(self) -> float | None:
        return self._wait


class HeavyWorkThrottle(BaseThrottle):
    """Per-tenant limit on starting heavy work (forecast runs, simulations, imports, exports,
    route plans, MRP runs), on top of the per-user limit (ADR 31). A view names its kind in
    ``heavy_work`` and the actions that start it in ``heavy_actions`` (viewset actions, or
    HTTP methods for plain views); the rate per kind is ``RATE_LIMIT_HEAVY_WORK[kind]``. The
    counter key is the kind alone: the cache prefixes it with the tenant's schema, so every
    user and key of a tenant shares it and tenants never share one."""

    group = "heavy"

    def allow_request(self, request, view) -> bool:
        self._wait = None
        kind = getattr(view, "heavy_work", None)
        starts = getattr(view, "heavy_actions", ("create",))
        if kind is None or (getattr(view, "action", None) or request.method.lower()) not in starts:
            return True
        self._wait = heavy_work_wait(request._request, kind)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


def heavy_work_wait(request: HttpRequest, kind: str) -> int | None:
    """Count one start of heavy work of ``kind`` against the tenant's budget
    (``RATE_LIMIT_HEAVY_WORK[kind]``): None when it may start, else the seconds to wait. The
    API's throttle and the pages' start buttons (``core.pages.heavy_work``) share the counter,
    so a tenant cannot get round the limit by switching between them."""
    rate = settings.RATE_LIMIT_HEAVY_WORK.get(kind)
    if not rate:
        return None
    usage = consume(request, group=HeavyWorkThrottle.group, key=f"heavy:{kind}", rate=rate)
    if usage and usage["should_limit"]:
        return max(int(usage["time_left"]), 1)
    return None


HEAVY_THROTTLES = [RateLimitThrottle, HeavyWorkThrottle]
