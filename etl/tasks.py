from core.jobs import job_task
from etl import services


@job_task("import")
def import_job(job, progress) -> dict:
    batch = services.import_batch_run(batch_id=job.params["batch_id"], progress=progress)
    return {
        "batch_id": str(batch.id),
        "batch_url": f"/api/v1/imports/{batch.id}/",
        "status": batch.status,
        "rows": batch.rows,
        "error_count": batch.error_count,
    }
