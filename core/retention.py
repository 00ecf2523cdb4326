"""Per-tenant retention (ADR 34): how long audit entries, events, finished jobs, forecast runs,
simulation results and uploaded files are kept (``core.models.RetentionSettings``), and the
daily prune that beat runs in every tenant.

Each kind of data is pruned by the app that owns it: it registers a pruner for one of the
settings' fields (``core`` its own here; forecasting and inventory from their ``ready``), so
this low layer never imports the higher ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.logging import get_logger
from core.models import AuditLog, Event, Job, RetentionSettings, Upload

log = get_logger("retention")
Pruner = Callable[[datetime], int]
PRUNERS: dict[str, Pruner] = {}


def pruner(field: str) -> Callable[[Pruner], Pruner]:
    """Register ``prune(cutoff) -> rows deleted`` for the RetentionSettings field ``field``."""
    RetentionSettings._meta.get_field(field)  # a typo fails at start

    def register(prune: Pruner) -> Pruner:
        PRUNERS[field] = prune
        return prune

    return register


def retention_settings_get() -> RetentionSettings:
    settings_row, _ = RetentionSettings.objects.get_or_create(pk=1)
    return settings_row


def retention_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than the tenant's retention, kind by kind (each in its own
    transaction, so one failure does not keep the others). Returns rows deleted per field."""
    now = now or timezone.now()
    limits = retention_settings_get()
    deleted: dict[str, int] = {}
    for field, prune in PRUNERS.items():
        cutoff = now - timedelta(days=getattr(limits, field))
        try:
            with transaction.atomic():
                deleted[field] = prune(cutoff)
        except Exception as exc:  # logged and reported; the next kind still runs
            log.error("retention_prune_failed", field=field, error=f"{type(exc).__name__}: {exc}")
            deleted[field] = -1
    log.info("retention_pruned", **deleted)
    return deleted


@pruner("audit_log_days")
def _audit(cutoff: datetime) -> int:
    return AuditLog.objects.filter(created_at__lt=cutoff).delete()[0]


@pruner("events_days")
def _events(cutoff: datetime) -> int:
    return Event.objects.filter(created_at__lt=cutoff).delete()[0]


@pruner("jobs_days")
def _jobs(cutoff: datetime) -> int:
    return Job.objects.filter(status__in=Job.FINISHED, created_at__lt=cutoff).delete()[0]


@pruner("uploaded_files_days")
def _uploads(cutoff: datetime) -> int:
    old = list(Upload.objects.filter(created_at__lt=cutoff))
    for upload in old:
        upload.file.delete(save=False)  # the file first: a row without a file is harmless
    return Upload.objects.filter(pk__in=[u.pk for u in old]).delete()[0]
