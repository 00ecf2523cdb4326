"""Plan one date's routes for a tenant, synchronously: ``plan_routes --schema S --date D``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from core.exceptions import DomainError
from core.management.base import TenantCommand
from core.progress_bar import progress_bar
from routing import services


class Command(TenantCommand):
    help = "Plan the delivery routes of one date in one tenant and print the totals."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--date", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--seconds", type=float, default=10.0, help="Solver time limit.")
        parser.add_argument("--engine", choices=services.ENGINE_CHOICES, default="auto")
        parser.add_argument(
            "--lateness-cost",
            type=float,
            default=None,
            help="Soft time windows: cost per hour of lateness (default: hard windows).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        with progress_bar(disable=options["no_progress"]) as progress:
            try:
                plan = services.route_plan_start(
                    date=options["date"],
                    time_limit_seconds=options["seconds"],
                    engine=options["engine"],
                    lateness_cost_per_hour=options["lateness_cost"],
                    enqueue=False,
                )
                plan = services.route_plan_solve(plan_id=plan.pk, progress=progress)
                progress(100, "done")
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        stats, objective = plan.statistics, plan.objective
        self.stdout.write(
            f"plan {plan.pk} {plan.date}: {stats['served']}/{stats['orders']} orders on "
            f"{stats['vehicles_used']} vehicles, {objective['distance_km']:.1f} km, "
            f"{objective['duration_minutes']:.0f} min, cost {objective['cost']:.2f} "
            f"({stats['engine']})"
        )
        for unserved in stats["unserved"]:
            self.stdout.write(f"  unserved {unserved['order']}: {unserved['reason']}")
