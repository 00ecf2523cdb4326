"""Tasks of the inventory app: ids in, call the service.

``inventory_refresh_job`` runs the refresh behind ``POST /inventory/calculate`` (a Job). The two
scheduled tasks run in one tenant's schema each, sent there by ``tenants.tasks.fan_out`` from
the beat schedule (config/settings/base.py): the daily one re-evaluates ABC/XYZ, the hourly one
refreshes demand, stock and policy and keeps the day's classes.
"""

from __future__ import annotations

from celery import shared_task

from core.jobs import TRANSIENT_ERRORS, job_task
from inventory.metrics import inventory_refresh

SCHEDULED = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,  # 1, 2, 4 … seconds
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@job_task("inventory_refresh")
def inventory_refresh_job(job, progress) -> dict:
    reclassify = bool((job.params or {}).get("reclassify", True))
    return inventory_refresh(reclassify=reclassify, progress=progress).as_dict()


@shared_task(name="inventory.tasks.reclassify_daily", **SCHEDULED)
def inventory_reclassify_daily() -> dict:
    """Daily (beat, per tenant): re-evaluate ABC/XYZ with the tenant's settings and refresh."""
    return inventory_refresh(reclassify=True).as_dict()


@shared_task(name="inventory.tasks.refresh_hourly", **SCHEDULED)
def inventory_refresh_hourly() -> dict:
    """Hourly (beat, per tenant): refresh the metrics, keeping the day's ABC/XYZ classes."""
    return inventory_refresh(reclassify=False).as_dict()


# --- Simulation ---------------------------------------------------------------------------------


@job_task("inventory_simulation")
def inventory_simulation_job(job, progress) -> dict:
    from inventory.simulation_service import simulation_run_execute

    run = simulation_run_execute(run_id=job.params["simulation_id"], progress=progress)
    return {
        "simulation_id": run.pk,
        "simulation_url": f"/api/v1/inventory/simulations/{run.pk}/",
        "status": run.status,
    }
