"""Reads for jobs, audit entries, events and uploads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from core.exceptions import NotFound
from core.models import AuditLog, Event, Job, Upload


def get_or_not_found(queryset: QuerySet, message: str, **lookup: Any) -> Model:
    """One object from ``queryset`` or NotFound (404), also for malformed ids."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(message) from None


def job_list(*, user: Any) -> QuerySet[Job]:
    """Jobs visible to ``user``: every job of the tenant (jobs are tenant-wide work)."""
    return Job.objects.select_related("created_by").all()


def access_job(*, user: Any, job_id: Any) -> Job:
    return get_or_not_found(job_list(user=user), "No such job.", pk=job_id)


def audit_log_list(*, user: Any) -> QuerySet[AuditLog]:
    """The tenant's trail, newest first (the label keeps the actor: no join needed)."""
    return AuditLog.objects.order_by("-created_at", "-id")


AUDIT_CSV_COLUMNS = [
    "created_at",
    "actor_id",
    "actor",
    "api_key",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "request_id",
    "ip",
]


def audit_log_rows(entries: QuerySet[AuditLog]) -> Iterator[tuple[Any, ...]]:
    """CSV rows of ``entries`` (``AUDIT_CSV_COLUMNS``), read in chunks, capped at
    ``AUDIT_EXPORT_MAX_ROWS``."""
    from django.conf import settings

    limit = settings.AUDIT_EXPORT_MAX_ROWS
    fields = (
        "created_at",
        "actor_id",
        "actor_label",
        "api_key",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
        "request_id",
        "ip",
    )
    for row in entries.values_list(*fields)[:limit].iterator(chunk_size=2000):
        yield (*row[:8], json.dumps(row[8], separators=(",", ":"), sort_keys=True), *row[9:])


def event_list(*, user: Any) -> QuerySet[Event]:
    """The tenant's events, newest first (the serializer shows ``actor_id``: no join)."""
    return Event.objects.order_by("-created_at", "-id")


def upload_list(*, user: Any) -> QuerySet[Upload]:
    return Upload.objects.select_related("uploaded_by").all()


def access_upload(*, user: Any, upload_id: Any) -> Upload:
    return get_or_not_found(upload_list(user=user), "No such upload.", pk=upload_id)


def active_run(queryset: QuerySet) -> Model | None:
    """The newest queued or running row of ``queryset`` (a run model with ``status`` and
    ``created_at``) younger than ``JOB_STALE_HOURS``: a lost worker must not block its tenant
    for ever (``jobs_reap_stale`` fails such jobs)."""
    from django.conf import settings
    from django.utils import timezone

    fresh = timezone.now() - timedelta(hours=settings.JOB_STALE_HOURS)
    return (
        queryset.filter(status__in=("queued", "running"), created_at__gte=fresh)
        .order_by("-created_at", "-id")
        .first()
    )


def announced_job() -> tuple[Any, str] | None:
    """The newest queued or running job of an announced kind (``core.jobs.ANNOUNCED_KINDS``)
    with its banner text, or None. One query, none when no kind is announced."""
    from core.jobs import ANNOUNCED_KINDS

    if not ANNOUNCED_KINDS:
        return None
    job = (
        Job.objects.filter(
            kind__in=list(ANNOUNCED_KINDS), status__in=(Job.Status.QUEUED, Job.Status.RUNNING)
        )
        .order_by("-created_at")
        .first()
    )
    return None if job is None else (job, ANNOUNCED_KINDS[job.kind])
