"""Plan limits, enforced where the writes happen (ADR 34).

A tenant's plan (``tenants.Plan``, in ``public``) holds one number per limit, ``None`` meaning
unlimited. This module reads the active tenant's plan from the connection (django-tenants sets
``connection.tenant``), so the services of every app can call it without importing
``tenants``. Hard limits (products, locations, users, storage) answer 403 ``quota_exceeded``
naming the limit, what the plan allows and what is used; daily limits (API calls, forecast
runs, simulations) answer 429 with ``Retry-After`` until the next UTC midnight.

Usage is counted by the app that owns the data: each registers a counter in ``USAGE`` (from
its ``AppConfig.ready``), and ``usage_report`` asks them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection

from core.exceptions import DomainError
from core.throttling import count_in_redis

HARD_LIMITS = ("products", "locations", "users", "storage_mb")
DAILY_LIMITS = ("api_calls_per_day", "forecast_runs_per_day", "simulations_per_day")
LIMITS = HARD_LIMITS + DAILY_LIMITS
USAGE: dict[str, Callable[[], int]] = {}


class QuotaExceeded(DomainError):
    status_code = 403
    code = "quota_exceeded"
    default_message = "Your plan's limit is reached."


class DailyQuotaExceeded(QuotaExceeded):
    status_code = 429

    def __init__(self, message: str, *, details: dict[str, Any], retry_after: int):
        super().__init__(message, details=details)
        self.retry_after = retry_after


def usage_counter(limit: str):
    """Register the function that counts ``limit``'s usage in the active tenant."""
    if limit not in LIMITS:
        raise ValueError(f"unknown limit {limit!r}")

    def register(count: Callable[[], int]) -> Callable[[], int]:
        USAGE[limit] = count
        return count

    return register


def active_plan() -> Any:
    """The active tenant's plan, or None (public schema, template, no tenant)."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return None
    return getattr(tenant, "plan", None)


def allowed(limit: str) -> int | None:
    plan = active_plan()
    return None if plan is None else getattr(plan, limit)


def _plan_name() -> str:
    plan = active_plan()
    return getattr(plan, "name", "unlimited")


def _refuse(limit: str) -> None:
    from core.metrics import QUOTA_REJECTIONS

    QUOTA_REJECTIONS.labels(limit=limit).inc()


def quota_enforce(limit: str, *, used: int, adding: int = 0) -> None:
    """Raise ``QuotaExceeded`` when ``used + adding`` is over the plan's ``limit``. A bulk
    writer calls it after writing, inside its transaction (``adding=0``): the refusal rolls
    the whole write back."""
    cap = allowed(limit)
    if cap is None or used + adding <= cap:
        return
    _refuse(limit)
    raise QuotaExceeded(
        f"The {_plan_name()} plan allows {cap} {limit.replace('_', ' ')}; "
        f"this would make {used + adding}.",
        details={"limit": limit, "allowed": cap, "usage": used, "adding": adding},
    )


def seconds_to_midnight(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(int((midnight - now).total_seconds()), 1)


def day_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def quota_enforce_daily(limit: str, *, used_today: int) -> None:
    """Raise ``DailyQuotaExceeded`` (429 + Retry-After) when today's count has reached the
    plan's daily ``limit``."""
    cap = allowed(limit)
    if cap is None or used_today < cap:
        return
    _refuse(limit)
    wait = seconds_to_midnight()
    raise DailyQuotaExceeded(
        f"The {_plan_name()} plan allows {cap} {limit.replace('_', ' ')}; "
        f"{used_today} used today. Try again after midnight UTC.",
        details={"limit": limit, "allowed": cap, "usage": used_today},
        retry_after=wait,
    )


# --- API calls per day: a per-tenant Redis counter per UTC day ---------------------------------


def _api_calls_key() -> str:
    # The cache's key function (django_tenants.cache.make_key) adds the tenant's schema.
    return f"quota:api_calls:{datetime.now(UTC).date().isoformat()}"


def api_calls_today() -> int:
    try:
        return int(cache.get(_api_calls_key()) or 0)
    except Exception:  # the counter store is down: usage unknown, shown as 0
        return 0


def api_call_count() -> None:
    """Count one API call of the active tenant and refuse it once today's calls have reached
    the plan's limit. Fails open when Redis does not answer (as the rate limits do)."""
    if allowed("api_calls_per_day") is None:
        return
    try:
        count = count_in_redis(_api_calls_key(), 2 * 24 * 3600)  # one round trip (ADR 37)
    except Exception:
        return
    quota_enforce_daily("api_calls_per_day", used_today=count - 1)


# --- storage: the schema's tables plus the tenant's files ---------------------------------------
# Each app that keeps files for a tenant registers a counter of their bytes (core: uploads;
# integrations: report files; tenants: backups); the plan's ``storage_mb`` is their sum.
STORAGE: dict[str, Callable[[], int]] = {}
MB = 1024 * 1024


def storage_part(name: str):
    """Register the function that counts one kind of the active tenant's stored bytes."""

    def register(count: Callable[[], int]) -> Callable[[], int]:
        STORAGE[name] = count
        return count

    return register


@storage_part("database")
def database_bytes() -> int:
    """The active tenant schema's tables, indexes and TOAST."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
        )
        return int(cursor.fetchone()[0])


@storage_part("uploads")
def uploads_bytes() -> int:
    """Files users uploaded (imports read from them), as recorded when stored."""
    from django.db.models import Sum

    from core.models import Upload

    return int(Upload.objects.aggregate(total=Sum("size"))["total"] or 0)


def storage_bytes() -> dict[str, int]:
    """Bytes stored by the active tenant, per kind (database, uploads, reports, backups)."""
    return {name: int(count()) for name, count in STORAGE.items()}


def _mb(size: int) -> int:
    return -(-size // MB)


def storage_used_mb() -> int:
    """Everything the active tenant stores, in MB (rounded up)."""
    return _mb(sum(storage_bytes().values()))


def storage_enforce(*, adding_bytes: int = 0) -> None:
    """Refuse (403 ``quota_exceeded``) storing ``adding_bytes`` more when that would take the
    tenant over its plan's ``storage_mb``. Called by the services before they write a file
    (and by the importer before it writes rows)."""
    if allowed("storage_mb") is None:
        return
    used = sum(storage_bytes().values())
    used_mb = _mb(used)
    quota_enforce("storage_mb", used=used_mb, adding=_mb(used + adding_bytes) - used_mb)


USAGE["api_calls_per_day"] = api_calls_today
USAGE["storage_mb"] = storage_used_mb


def usage_report() -> dict[str, Any]:
    """The active tenant's plan, and per limit what it allows and what is used."""
    limits = {}
    for limit in LIMITS:
        count = USAGE.get(limit)
        limits[limit] = {
            "allowed": allowed(limit),
            "used": count() if count else 0,
            "per": "day" if limit in DAILY_LIMITS else None,
        }
    return {"plan": _plan_name(), "limits": limits, "storage_bytes": storage_bytes()}


class PlanApiCallsThrottle:
    """DRF throttle: counts the call against the tenant's daily API calls (see
    ``api_call_count``); a refusal is the 429 ``quota_exceeded`` envelope with Retry-After."""

    def allow_request(self, request, view) -> bool:
        api_call_count()
        return True

    def wait(self) -> float | None:
        return None
