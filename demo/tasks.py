"""Tasks of the demo app: the ``demo_prepare`` job (ids in, call the preparation)."""

from __future__ import annotations

from core.jobs import job_task
from demo.preparation import JOB_KIND, demo_prepare


@job_task(JOB_KIND, max_retries=0, announce="The demo is being prepared")
def demo_prepare_job(job, progress) -> dict:
    return demo_prepare(progress=progress)
