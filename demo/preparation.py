"""Make the demo tenant complete after seeding: the work a planner would start from the pages,
done once on the worker so every page has something to show.

``demo_prepare`` runs, in order (each step needs the one before it only where noted):

1. a forecast run with the tenant's settings (Test Bed, forecasts),
2. an inventory refresh (policy, metrics, ABC/XYZ; uses the forecast),
3. a 365-day simulation of the policy (needs the refresh's classes),
4. a route plan for tomorrow's deliveries (the fleet ``seed_demo`` loaded),
5. the cart, filled from the what-to-order suggestions (needs the refresh).

It is the body of the ``demo_prepare`` job (``demo.tasks``): ``progress`` hears each step in
its own slice of 0–100, so the dashboard's progress bar moves through the five. A failing step
does not stop the others that do not depend on it; the job fails at the end naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from core.jobs import ProgressFn
from core.logging import get_logger

log = get_logger("demo")

JOB_KIND = "demo_prepare"
ROUTE_SECONDS = 5.0  # the solver's time limit for the demo's 24 deliveries
# (name, share of the bar): the forecast and the simulation take most of the time.
STEPS: tuple[tuple[str, int], ...] = (
    ("forecast", 40),
    ("inventory", 15),
    ("simulation", 25),
    ("routes", 15),
    ("cart", 5),
)
LABELS = {
    "forecast": "Forecast run",
    "inventory": "Inventory refresh",
    "simulation": "365-day simulation",
    "routes": "Route plan for tomorrow",
    "cart": "Cart from the what-to-order suggestions",
}


class DemoPreparationFailed(DomainError):
    code = "demo_preparation_failed"

    def __init__(self, message: str, *, result: dict[str, Any]):
        super().__init__(message, details={"steps": result})
        self.result = result  # the job keeps what the steps that worked produced


def _forecast(progress: ProgressFn) -> dict[str, Any]:
    from forecasting import services

    run = services.forecast_run_start(enqueue=False)
    run = services.forecast_run_execute(run_id=run.pk, progress=progress)
    return {"forecast_run": run.pk, "series": run.series_count}


def _inventory(progress: ProgressFn) -> dict[str, Any]:
    from inventory.metrics import inventory_refresh

    result = inventory_refresh(reclassify=True, progress=progress)
    return {"metrics_rows": result.rows, "by_status": result.by_status}


def _simulation(progress: ProgressFn) -> dict[str, Any]:
    from inventory import simulation_service

    run = simulation_service.simulation_run_start(window_days=365, enqueue=False)
    run = simulation_service.simulation_run_execute(run_id=run.pk, progress=progress)
    return {"simulation": run.pk}


def _routes(progress: ProgressFn, *, day: date) -> dict[str, Any]:
    from routing import services

    with transaction.atomic():
        plan = services.route_plan_start(date=day, time_limit_seconds=ROUTE_SECONDS, enqueue=False)
    plan = services.route_plan_solve(plan_id=plan.pk, progress=progress)
    return {"route_plan": plan.pk, "route_plan_date": day.isoformat(), "status": plan.status}


def _cart(progress: ProgressFn) -> dict[str, Any]:
    from purchasing.cart_service import cart_build

    progress(10, "Building the cart")
    cart = cart_build()
    return {"cart_lines": cart.lines, "cart_value": round(cart.kept_value, 2)}


NEEDS = {"simulation": "inventory", "cart": "inventory"}


def demo_prepare(*, progress: ProgressFn, today: date | None = None) -> dict[str, Any]:
    """Run the five steps in the active (demo) schema; returns what each produced, keyed by
    step. Raises ``DemoPreparationFailed`` (with the same result) when a step failed."""
    today = today or timezone.localdate()
    work: dict[str, Callable[[ProgressFn], dict[str, Any]]] = {
        "forecast": _forecast,
        "inventory": _inventory,
        "simulation": _simulation,
        "routes": lambda report: _routes(report, day=today + timedelta(days=1)),
        "cart": _cart,
    }
    result: dict[str, Any] = {}
    failed: list[str] = []
    start = 0
    for name, share in STEPS:
        label = LABELS[name]

        def report(percent: int, message: str = "", *, _start=start, _share=share, _label=label):
            percent = max(0, min(100, int(percent)))
            words = f"{_label}: {message}" if message else _label
            progress(_start + _share * percent // 100, words)

        report(0)
        if NEEDS.get(name) in failed:
            result[name] = {"skipped": f"{NEEDS[name]} failed"}
            failed.append(name)
        else:
            try:
                result[name] = work[name](report)
            except DomainError as exc:  # e.g. no sales history: the step's own answer
                log.warning("demo_step_failed", step=name, error=exc.message)
                result[name] = {"error": f"{type(exc).__name__}: {exc.message}"[:500]}
                failed.append(name)
            except Exception as exc:  # one step's failure must not hide the others' results
                log.exception("demo_step_failed", step=name)
                message = str(exc)
                result[name] = {"error": f"{type(exc).__name__}: {message}"[:500]}
                failed.append(name)
        start += share
    progress(100, "Demo ready" if not failed else f"Failed: {', '.join(failed)}")
    if failed:
        raise DemoPreparationFailed(f"Demo steps failed: {', '.join(failed)}.", result=result)
    return result


def demo_prepare_start(
    *, force: bool = False, supersede_unfinished: bool = False
) -> tuple[Any, bool]:
    """Queue the ``demo_prepare`` job in the active schema unless one is queued or running,
    or (without ``force``) one already succeeded today. Returns (job, queued now).

    ``supersede_unfinished``: a queued or running one is left over from a worker that is gone
    (``make run`` starts its worker after this call): mark it failed and queue a new one. Its
    message, should the broker deliver it again, then finds the job finished and is skipped.
    """
    from core.models import Job
    from core.services import job_create

    jobs = Job.objects.filter(kind=JOB_KIND).order_by("-created_at")
    unfinished = jobs.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING))
    if supersede_unfinished:
        unfinished.update(
            status=Job.Status.FAILED,
            error="Interrupted: make run was stopped before it finished.",
            finished_at=timezone.now(),
        )
    active = unfinished.first()
    if active is not None:
        return active, False
    if not force:
        midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
        done = jobs.filter(status=Job.Status.SUCCEEDED, created_at__gte=midnight).first()
        if done is not None:
            return done, False
    with transaction.atomic():
        job = job_create(kind=JOB_KIND)
    return job, True
