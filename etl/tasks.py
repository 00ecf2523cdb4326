from celery import shared_task

from core.exceptions import JobFailed
from core.jobs import job_task
from etl import services
from etl.connectors import SourceUnavailable
from etl.models import ImportBatch


def _import_job_failed(job, error: str) -> None:
    """Whatever stopped the job, its batch does not stay pending."""
    services.import_batch_fail(batch_id=job.params["batch_id"], error=error)


@job_task("import", on_failure=_import_job_failed)
def import_job(job, progress) -> dict:
    batch = services.import_batch_run(batch_id=job.params["batch_id"], progress=progress)
    result = {
        "batch_id": str(batch.id),
        "batch_url": f"/api/v1/imports/{batch.id}/",
        "status": batch.status,
        "rows": batch.rows,
        "error_count": batch.error_count,
    }
    if batch.status == ImportBatch.Status.REJECTED:
        raise JobFailed(
            f"The file was rejected with {batch.error_count} error(s); the batch lists them.",
            result=result,
        )
    return result


@job_task("sync", retry_on=(SourceUnavailable,))
def sync_job(job, progress) -> dict:
    run = services.sync_run_execute(source_id=job.params["source_id"])
    return {
        "sync_run_id": run.pk,
        "status": run.status,
        "rows_read": run.rows_read,
        "inserted": run.inserted,
        "updated": run.updated,
        "error": run.error,
    }


@shared_task(name="etl.tasks.sync_all_sources", acks_late=True)
def sync_all_sources() -> int:
    """Daily (beat, per tenant): queue a sync of every active source."""
    return len(services.sync_trigger())
