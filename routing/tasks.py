from core.jobs import job_task
from routing import services


@job_task("route_plan")
def route_plan_job(job, progress) -> dict:
    plan = services.route_plan_solve(plan_id=job.params["plan_id"], progress=progress)
    return {
        "plan_id": plan.pk,
        "plan_url": f"/api/v1/route-plans/{plan.pk}/",
        "status": plan.status,
        "objective": plan.objective,
    }
