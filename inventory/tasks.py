"""Job tasks of the inventory app: ids in, call the service."""

from __future__ import annotations

from core.jobs import job_task
from inventory.metrics import inventory_refresh


@job_task("inventory_refresh")
def inventory_refresh_job(job, progress) -> dict:
    progress(5, "Loading inputs")
    return inventory_refresh().as_dict()
