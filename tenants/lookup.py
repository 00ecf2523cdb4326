"""The host → tenant lookup, cached per process and invalidated across processes (ADR 37).

Each web process keeps the tenants it served in memory (``TENANT_LOOKUP_CACHE_SECONDS``, 30)
so a request does not pay a domain query. A change of a tenant, its domains or its plan, in
any process, increments a *generation* number in Redis (one key for the whole platform, not
per schema). Each process reads that number at most once every
``TENANT_LOOKUP_CHECK_SECONDS`` (1) and drops its whole map when it moved, so another
process serves the change within that interval (plus its request in flight), not 30 s.

The generation is bumped at once and again when the transaction commits: a process that read
the old row between the two bumps drops it at the second. When Redis does not answer, the map
is not trusted (every request reads the database) until Redis answers again; never a 500.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from core.logging import get_logger

log = get_logger("tenants.lookup")

GENERATION_KEY = "tenant-lookup-generation"


def _redis_client() -> Any:
    from django.core.cache import cache

    return cache.client.get_client(write=True)  # type: ignore[attr-defined]


def _generation_key() -> str:
    # Raw Redis key, outside django-tenants' per-schema key function: one for the platform.
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{GENERATION_KEY}"


class TenantLookupCache:
    """A process's host → tenant map, trusted while the shared generation has not moved."""

    def __init__(self, client: Callable[[], Any] = _redis_client) -> None:
        self._client = client
        self._entries: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._generation: bytes | None = None
        self._checked_until = 0.0
        self._trusted = False

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _is_trusted(self, now: float) -> bool:
        if now < self._checked_until:
            return self._trusted
        try:
            generation = self._client().get(_generation_key())
        except Exception as exc:  # Redis down or slow: read the database until it answers
            if self._trusted:
                log.warning("tenant_lookup_generation_unavailable", error=f"{type(exc).__name__}")
            with self._lock:
                self._entries.clear()
                self._trusted = False
                self._checked_until = now + settings.TENANT_LOOKUP_CHECK_SECONDS
            return False
        with self._lock:
            if generation != self._generation or not self._trusted:
                self._entries.clear()
                self._generation = generation
            self._trusted = True
            self._checked_until = now + settings.TENANT_LOOKUP_CHECK_SECONDS
        return True

    def get(self, hostname: str, load: Callable[[str], Any]) -> Any:
        """The tenant served at ``hostname``: from the map when trusted and fresh, else
        ``load(hostname)`` (which may raise; nothing is kept then)."""
        ttl = settings.TENANT_LOOKUP_CACHE_SECONDS
        if not ttl:
            return load(hostname)
        now = time.monotonic()
        if not self._is_trusted(now):
            return load(hostname)
        hit = self._entries.get(hostname)
        if hit is not None and hit[0] > now:
            return hit[1]
        tenant = load(hostname)
        with self._lock:
            self._entries[hostname] = (now + ttl, tenant)
        return tenant


def bump_generation(client: Callable[[], Any] = _redis_client) -> None:
    """Tell every process that tenants, domains or plans changed. Redis down: logged; the
    other processes do not trust their maps while they cannot read the generation either."""
    try:
        client().incr(_generation_key())
    except Exception as exc:
        log.warning("tenant_lookup_bump_failed", error=f"{type(exc).__name__}: {exc}")


def tenant_lookups_changed() -> None:
    """Drop this process's map and bump the generation now and when the transaction commits."""
    lookups.clear()
    bump_generation()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_after_commit)


def _after_commit() -> None:
    lookups.clear()
    bump_generation()


def on_tenant_model_change(sender: Any, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` receiver for Tenant, Domain and Plan."""
    tenant_lookups_changed()


lookups = TenantLookupCache()
