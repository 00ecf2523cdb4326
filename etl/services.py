"""Imports: start one from an upload (API, asynchronous) or run one from a file (command)."""

from __future__ import annotations

import os
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from core import services as core_services
from core.audit import audit_status_change
from core.cache import bump_namespace
from core.events import emit_event
from core.exceptions import NotFound, ValidationFailed
from core.jobs import ProgressFn
from core.metrics import ETL_ROWS, ETL_SYNCS
from etl.connectors import (
    SourceUnavailable,
    drop_file,
    read_csv_drop,
    read_mysql,
    read_postgresql,
    validate_url,
)
from etl.crypto import decrypt, encrypt
from etl.importing import ImportReport, run_import
from etl.models import DataSource, ImportBatch, SyncRun
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
        "revertible",
    ):
        setattr(batch, name, getattr(report, name))
    batch.status = report.status
    batch.finished_at = timezone.now()
    batch.save()
    ETL_ROWS.labels(dataset=batch.kind).inc(report.rows)
    if report.status == ImportBatch.Status.IMPORTED:
        bump_namespace("inventory")  # cached summaries and the data-quality report
    if report.status in _IMPORT_EVENTS:
        emit_event(_IMPORT_EVENTS[report.status], _batch_event(batch), actor=batch.created_by_id)
    return batch


# A dry run (validated) changes nothing and announces nothing.
_IMPORT_EVENTS = {
    ImportBatch.Status.IMPORTED: "import.completed",
    ImportBatch.Status.REJECTED: "import.rejected",
}


def _batch_event(batch: ImportBatch) -> dict[str, Any]:
    return {
        "batch_id": batch.pk,
        "kind": batch.kind,
        "source_name": batch.source_name,
        "rows": batch.rows,
        "inserted": batch.inserted,
        "updated": batch.updated,
        "error_count": batch.error_count,
    }


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
            batch_id=str(batch.id),
        )
    return import_batch_record(batch=batch, report=report)


def import_batch_fail(*, batch_id: str, error: str) -> None:
    """A batch whose job failed outside the import's own checks (worker error, retries
    exhausted, lost worker): failed with the error as its report, never pending forever."""
    failed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.FAILED,
        error_count=1,
        errors=[{"row": None, "column": "", "value": "", "why": error[:500]}],
        finished_at=timezone.now(),
    )
    if failed:
        started_by = ImportBatch.objects.filter(pk=batch_id).values_list("created_by_id", flat=True)
        audit_status_change(
            ImportBatch,
            batch_id,
            status=ImportBatch.Status.FAILED,
            previous=ImportBatch.Status.PENDING,
            error=error,
            started_by=started_by[0],
        )


def import_file(
    *,
    kind: str,
    stream: IO[bytes],
    name: str,
    dry_run: bool = False,
    create_missing: bool = False,
    user: Any = None,
    progress: ProgressFn | None = None,
    max_rows: int | None = None,
) -> ImportBatch:
    """Import a local file now (the ``import_data`` command). The batch records the outcome.
    ``max_rows`` raises the ``IMPORT_MAX_ROWS`` cap (an operator's choice)."""
    _check_kind(kind)
    size = os.fstat(stream.fileno()).st_size if hasattr(stream, "fileno") else 0
    # Recorded first (pending), so the rows the import writes can name it (ADR 28).
    batch = ImportBatch.objects.create(
        kind=kind,
        source_name=os.path.basename(name)[:255],
        dry_run=dry_run,
        create_missing=create_missing,
        created_by=user if getattr(user, "pk", None) else None,
    )
    try:
        report = run_import(
            kind=kind,
            stream=stream,
            size=size,
            dry_run=dry_run,
            create_missing=create_missing,
            progress=progress,
            max_rows=max_rows,
            batch_id=str(batch.id),
        )
    except BaseException as exc:
        import_batch_fail(batch_id=str(batch.id), error=f"{type(exc).__name__}: {exc}")
        raise
    return import_batch_record(batch=batch, report=report)


def import_batch_revert(*, batch_id: Any, user: Any = None) -> ImportBatch:
    """Undo an imported batch in one transaction (ADR 28): overwritten rows get their old
    values back, inserted rows (sales, products, locations, stock levels and movements it
    created) are deleted; the batch becomes ``reverted``. Raises ``NotFound``, or a
    ``Conflict`` (409, nothing written) when the batch is not revertible, already reverted,
    or later work touched the same rows (the message names the later batch)."""
    from core.audit import audit_record
    from etl.revert import batch_revert

    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise NotFound("No such import.")
        counts = batch_revert(batch)
        batch.status = ImportBatch.Status.REVERTED
        batch.reverted_at = timezone.now()
        batch.reverted_by = user if getattr(user, "pk", None) else None
        batch.save(update_fields=["status", "reverted_at", "reverted_by"])
        audit_record(
            action="action",
            object_type="etl.importbatch",
            object_id=batch.pk,
            object_repr=str(batch)[:255],
            changes={"action": "revert", "tables": counts},
            actor=user if getattr(user, "pk", None) else None,
        )
    bump_namespace("inventory")  # cached summaries and the data-quality report
    return batch


# --- Data sources and scheduled sync ------------------------------------------------------------


def data_source_save(
    *, source: DataSource | None = None, url: str | None = None, **fields: Any
) -> DataSource:
    """Create or update a data source; a given ``url`` is validated and stored encrypted."""
    source = source or DataSource()
    for name, value in fields.items():
        setattr(source, name, value)
    _check_kind(source.dataset)
    if source.kind == DataSource.Kind.CSV_DROP:
        drop_file(source.path)
    else:
        if url is not None:
            validate_url(source.kind, url)
            source.url_encrypted = encrypt(url)
        if not source.url_encrypted:
            raise ValidationFailed("A SQL source needs a URL.", details={"url": "required"})
        if not source.query.strip().lower().startswith(("select", "with")):
            raise ValidationFailed("The query must be one SELECT.", details={"query": "select"})
    if source.pk:
        # Only what the caller changed: the sync's own fields (watermark, last sync) stay as
        # the database has them, even when ``source`` was loaded before a sync ran.
        source.save(update_fields=[*fields, "url_encrypted"])
    else:
        source.save()
    return source


def sync_run_execute(*, source_id: int) -> SyncRun:
    """Read a source and import what it returns. A failing source marks the run failed with
    the reason and changes nothing else (the import is all-or-nothing, the watermark moves
    only on success). ``SourceUnavailable`` is re-raised so the task retries with backoff."""
    source = DataSource.objects.get(pk=source_id)
    run = SyncRun.objects.create(source=source, watermark_before=source.watermark)
    try:
        if source.kind == DataSource.Kind.CSV_DROP:
            extract = read_csv_drop(source.path)
        else:
            reader = read_postgresql if source.kind == DataSource.Kind.POSTGRESQL else read_mysql
            extract = reader(
                decrypt(source.url_encrypted),
                source.query,
                source.watermark_column,
                source.watermark,
            )
    except (SourceUnavailable, ValidationFailed) as exc:
        _finish(run, status=SyncRun.Status.FAILED, error=str(exc))
        raise
    with extract.stream:
        if extract.rows == 0:
            _finish(run, status=SyncRun.Status.SUCCEEDED)
            DataSource.objects.filter(pk=source.pk).update(last_sync_at=timezone.now())
            return run
        pending = ImportBatch.objects.create(
            kind=source.dataset,
            source_name=f"sync:{source.name}",
            create_missing=source.create_missing,
        )
        try:
            report = run_import(
                kind=source.dataset,
                stream=extract.stream,
                size=extract.size,
                create_missing=source.create_missing,
                batch_id=str(pending.id),
            )
        except BaseException as exc:  # never a batch pending forever (ADR 25)
            import_batch_fail(batch_id=str(pending.id), error=f"{type(exc).__name__}: {exc}")
            raise
    batch = import_batch_record(batch=pending, report=report)
    run.batch = batch
    run.rows_read = report.rows
    run.inserted, run.updated, run.rejected = report.inserted, report.updated, report.error_count
    if report.error_count:
        first = report.errors[0]
        _finish(
            run,
            status=SyncRun.Status.FAILED,
            error=f"{report.error_count} invalid rows; first: row {first['row']} "
            f"{first['column']}: {first['why']}",
        )
        return run
    source.watermark = extract.watermark or source.watermark
    source.last_sync_at = timezone.now()
    source.save(update_fields=["watermark", "last_sync_at"])
    run.watermark_after = source.watermark
    _finish(run, status=SyncRun.Status.SUCCEEDED)
    if source.dataset == "sales":
        _after_sales_sync()
    return run


def _after_sales_sync() -> None:
    """New actuals arrived: check the forecasts for drift (and queue retraining) once the
    import has committed."""
    from forecasting.tasks import drift_check

    transaction.on_commit(drift_check.delay)


def _finish(run: SyncRun, *, status: str, error: str = "") -> None:
    run.status = status
    run.error = error[:5000]
    run.finished_at = timezone.now()
    run.save()
    ETL_SYNCS.labels(status=status).inc()
    if status == SyncRun.Status.FAILED:
        data = {"sync_run_id": run.pk, "source_id": run.source_id, "error": run.error[:500]}
        emit_event("etl.sync_failed", data)


def sync_trigger(*, user: Any = None, source_id: int | None = None) -> list:
    """Queue a sync job per active source (or for one source)."""
    sources = DataSource.objects.filter(is_active=True)
    if source_id is not None:
        sources = sources.filter(pk=source_id)
        if not sources.exists():
            raise NotFound("No such active data source.")
    return [
        core_services.job_create(kind="sync", params={"source_id": source.pk}, user=user)
        for source in sources
    ]
