"""Reads for jobs, audit entries and uploads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.exceptions import NotFound
from core.models import AuditLog, Job, Upload


def job_list(*, user: Any) -> QuerySet[Job]:
    """Jobs visible to ``user``: every job of the tenant (jobs are tenant-wide work)."""
    return Job.objects.select_related("created_by").all()


def access_job(*, user: Any, job_id: Any) -> Job:
    try:
        return job_list(user=user).get(pk=job_id)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such job.") from None


def audit_log_list(*, user: Any) -> QuerySet[AuditLog]:
    return AuditLog.objects.select_related("actor").all()


def upload_list(*, user: Any) -> QuerySet[Upload]:
    return Upload.objects.select_related("uploaded_by").all()


def access_upload(*, user: Any, upload_id: Any) -> Upload:
    try:
        return upload_list(user=user).get(pk=upload_id)
    except (Upload.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such upload.") from None
