"""Job tasks of the inventory app: ids in, call the service."""

from __future__ import annotations

from core.jobs import job_task
from inventory.metrics import inventory_refresh


@job_task("inventory_refresh")
def inventory_refresh_job(job, progress) -> dict:
    progress(5, "Loading inputs")
    return inventory_refresh().as_dict()


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
