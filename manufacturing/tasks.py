"""Tasks of manufacturing: ids in, call the service."""

from __future__ import annotations

from core.jobs import job_task


@job_task("mrp_run")
def mrp_run_job(job, progress) -> dict:
    from manufacturing.planning import mrp_run_execute, mrp_run_fail

    run_id = job.params["mrp_run_id"]
    try:
        run = mrp_run_execute(run_id=run_id, progress=progress)
    except Exception as exc:
        mrp_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return {
        "mrp_run_id": run.pk,
        "mrp_run_url": f"/api/v1/mrp-runs/{run.pk}/",
        "status": run.status,
        "summary": run.summary,
    }
