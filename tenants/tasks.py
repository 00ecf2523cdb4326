"""Beat dispatchers: one task per schedule fans the real task out to every active tenant."""

from __future__ import annotations

import random

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django_tenants.utils import schema_context

from tenants.selectors import active_tenants


@shared_task(name="tenants.tasks.fan_out", acks_late=True)
def fan_out(task_name: str, jitter_seconds: int | None = None) -> int:
    """Send ``task_name`` once per active tenant, in that tenant's schema, spread over
    ``jitter_seconds`` so a thousand tenants do not start the same work at one instant."""
    jitter = settings.FAN_OUT_JITTER_SECONDS if jitter_seconds is None else jitter_seconds
    schemas = list(active_tenants().values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            current_app.send_task(
                task_name, countdown=random.uniform(0, jitter) if jitter else None
            )
    return len(schemas)


@shared_task(name="tenants.tasks.backup_tenant", acks_late=True)
def backup_tenant(slug: str, name: str | None = None) -> str:
    """Export one tenant into the backup store (staff API and admin action)."""
    from tenants.backup import backup_write
    from tenants.selectors import access_tenant

    with schema_context("public"):
        tenant = access_tenant(slug=slug)
    return backup_write(tenant, name)


@shared_task(name="tenants.tasks.backup_all", acks_late=True)
def backup_all() -> dict[str, int]:
    """Nightly: export every active tenant, then keep its TENANT_BACKUP_KEEP newest backups.
    One tenant's failure does not stop the others."""
    from core.logging import get_logger
    from tenants.backup import backup_write, backups_prune

    log = get_logger("tenants.backup")
    done = failed = 0
    with schema_context("public"):
        tenants = list(active_tenants())
    for tenant in tenants:
        try:
            backup_write(tenant)
            done += 1
        except SoftTimeLimitExceeded:  # JOB_MAX_SECONDS: stop here, tomorrow's run goes on
            log.error("tenant_backup_time_limit", tenant=tenant.slug, skipped=len(tenants) - done)
            failed += len(tenants) - done - failed
            break
        except Exception as exc:  # reported; the next tenant still runs
            failed += 1
            log.error("tenant_backup_failed", tenant=tenant.slug, error=str(exc))
        try:
            backups_prune(tenant.slug, settings.TENANT_BACKUP_KEEP)
        except Exception as exc:  # the next night prunes again
            log.error("tenant_backup_prune_failed", tenant=tenant.slug, error=str(exc))
    return {"exported": done, "failed": failed}


@shared_task(name="tenants.tasks.purge_deleted_tenants", acks_late=True)
def purge_deleted_tenants() -> list[str]:
    """Daily: drop the schemas of tenants whose deletion grace period has ended."""
    from tenants.services import tenants_purge_due

    return tenants_purge_due()
