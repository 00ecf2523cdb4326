"""Imports: start one from an upload (API, asynchronous) or run one from a file (command)."""

from __future__ import annotations

import os
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from core import services as core_services
from core.cache import bump_namespace
from core.exceptions import ValidationFailed
from core.jobs import ProgressFn
from etl.importing import ImportReport, run_import
from etl.models import ImportBatch
from etl.specs import SPECS


def _check_kind(kind: str) -> None:
    if kind not in SPECS:
        raise ValidationFailed(
            f"Unknown import kind {kind!r}.", details={"kind": [f"one of {sorted(SPECS)}"]}
        )


def import_batch_start(
    *, kind: str, uploaded, user: Any, dry_run: bool = False, create_missing: bool = False
) -> ImportBatch:
    """Store the file (upload guard: size, sniffed type, name), record a pending batch and
    queue the import job. Returns at once; the job's result links the batch."""
    _check_kind(kind)
    with transaction.atomic():
        upload = core_services.upload_store(uploaded=uploaded, user=user, allowed={"csv", "xlsx"})
        batch = ImportBatch.objects.create(
            kind=kind,
            source_name=upload.original_name,
            upload=upload,
            dry_run=dry_run,
            create_missing=create_missing,
            created_by=user if getattr(user, "pk", None) else None,
        )
        batch.job = core_services.job_create(
            kind="import", params={"batch_id": str(batch.id)}, user=user
        )
        batch.save(update_fields=["job"])
    return batch


def import_batch_record(*, batch: ImportBatch, report: ImportReport) -> ImportBatch:
    for name in (
        "rows",
        "inserted",
        "updated",
        "unchanged",
        "created",
        "error_count",
        "errors",
        "warnings",
        "seconds",
    ):
        setattr(batch, name, getattr(report, name))
    batch.status = report.status
    batch.finished_at = timezone.now()
    batch.save()
    if report.status == ImportBatch.Status.IMPORTED:
        bump_namespace("inventory")  # cached summaries and the data-quality report
    return batch


def import_batch_run(*, batch_id: str, progress: ProgressFn | None = None) -> ImportBatch:
    """Run a pending batch from its stored upload (the job task calls this)."""
    batch = ImportBatch.objects.select_related("upload").get(pk=batch_id)
    if batch.status != ImportBatch.Status.PENDING:
        return batch  # already done: a redelivered message
    with batch.upload.file.open("rb") as stream:
        report = run_import(
            kind=batch.kind,
            stream=stream,
            size=batch.upload.size,
            dry_run=batch.dry_run,
            create_missing=batch.create_missing,
            progress=progress,
        )
    return import_batch_record(batch=batch, report=report)


def import_file(
    *,
    kind: str,
    stream: IO[bytes],
    name: str,
    dry_run: bool = False,
    create_missing: bool = False,
    user: Any = None,
    progress: ProgressFn | None = None,
) -> ImportBatch:
    """Import a local file now (the ``import_data`` command). The batch records the outcome."""
    _check_kind(kind)
    size = os.fstat(stream.fileno()).st_size if hasattr(stream, "fileno") else 0
    report = run_import(
        kind=kind,
        stream=stream,
        size=size,
        dry_run=dry_run,
        create_missing=create_missing,
        progress=progress,
    )
    batch = ImportBatch(
        kind=kind,
        source_name=os.path.basename(name)[:255],
        dry_run=dry_run,
        create_missing=create_missing,
        created_by=user if getattr(user, "pk", None) else None,
    )
    return import_batch_record(batch=batch, report=report)
