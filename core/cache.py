"""Per-tenant, versioned cache entries (ARCHITECTURE.md §7).

Keys go through django-tenants' ``make_key``, so every entry already lives under the active
tenant's schema name. On top of that each *namespace* (``forecasts``, ``inventory`` …) has a
version number in the cache; a write bumps the version and every older entry becomes
unreachable at once, then expires by its TTL. No key scans, no cross-tenant invalidation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from core.logging import get_logger
from core.metrics import CACHE_REQUESTS

T = TypeVar("T")
log = get_logger("cache")

# A cache that does not answer (Redis down, timed out) must cost speed, never a 500: reads
# compute the answer, writes are skipped, and each failure is logged and counted.
try:
    from prometheus_client import Counter

    CACHE_FAILURES = Counter(
        "dp_cache_failures_total", "Cache operations that failed and were degraded", ["operation"]
    )
except ValueError:  # registered already (module reloaded in a test)
    from prometheus_client import REGISTRY

    CACHE_FAILURES = REGISTRY._names_to_collectors["dp_cache_failures_total"]  # type: ignore[assignment]


def _failed(operation: str, exc: Exception) -> None:
    CACHE_FAILURES.labels(operation=operation).inc()
    log.warning("cache_unavailable", operation=operation, error=f"{type(exc).__name__}: {exc}")


# Time to live per namespace, in seconds.
TTL_SECONDS = {
    "forecasts": 60 * 60,
    "route_plans": 30 * 60,
    "inventory": 5 * 60,
    "default": 5 * 60,
}
_VERSION_TTL = 30 * 24 * 3600


def _version_key(namespace: str) -> str:
    return f"cachever:{namespace}"


def namespace_version(namespace: str) -> int:
    version = cache.get(_version_key(namespace))
    if version is None:
        cache.add(_version_key(namespace), 1, _VERSION_TTL)
        version = cache.get(_version_key(namespace)) or 1
    return int(version)


def bump_namespace(namespace: str) -> int:
    """Invalidate every entry of ``namespace`` for the active tenant."""
    key = _version_key(namespace)
    try:
        try:
            return int(cache.incr(key))
        except ValueError:  # no version yet: the first bump starts at 2
            cache.add(key, 2, _VERSION_TTL)
            return 2
    except Exception as exc:  # the cache is down: entries expire by their TTL
        _failed("bump", exc)
        return 0


def entry_key(namespace: str, *parts: Any) -> str:
    """The cache key of ``(namespace, *parts)`` for the active tenant. It carries no version:
    the entry stores the namespace version it was computed under (see ``cached``)."""
    raw = json.dumps(parts, sort_keys=True, default=str)
    digest = hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    return f"c2:{namespace}:{digest}"


def cached(
    namespace: str,
    *parts: Any,
    compute: Callable[[], T],
    ttl: int | None = None,
    version: int | None = None,
) -> T:
    """Return the cached value for ``(namespace, *parts)`` or compute, store and return it.
    When the cache does not answer, the value is computed (and not stored). ``version``, when
    given, replaces the namespace's: a version kept elsewhere (``core.counts``: a table's, in
    PostgreSQL), and the read is one ``GET``.

    One round trip per read (ADR 47): the namespace's version and the entry come back from one
    ``MGET``; the entry is ``(version it was computed under, value)`` and counts as a hit only
    when that version is the namespace's current one. A bump makes every older entry a miss at
    once, as a version inside the key did; the recomputed entry overwrites the stale one. A value
    computed while a bump happened stores the version read before it, so it is never served
    after the bump."""
    key = entry_key(namespace, *parts)
    try:
        if version is None:
            version_key = _version_key(namespace)
            found = cache.get_many([version_key, key])
            version = found.get(version_key)
            if version is None:
                version = namespace_version(namespace)
            entry = found.get(key)
        else:
            entry = cache.get(key)
    except Exception as exc:
        _failed("get", exc)
        return compute()
    version = int(version)
    if type(entry) is tuple and len(entry) == 2 and entry[0] == version:
        CACHE_REQUESTS.labels(namespace=namespace, result="hit").inc()
        return entry[1]  # type: ignore[no-any-return]
    CACHE_REQUESTS.labels(namespace=namespace, result="miss").inc()
    value = compute()
    try:
        lifetime = ttl if ttl is not None else TTL_SECONDS.get(namespace, 300)
        cache.set(key, (version, value), lifetime)
    except Exception as exc:
        _failed("set", exc)
    return value
