"""Plan one date's routes for a tenant, synchronously: ``plan_routes --schema S --date D``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from core.exceptions import DomainError
from core.management.base import TenantCommand
from routing import services


class Command(TenantCommand):
    help = "Plan the delivery routes of one date in one tenant and print the totals."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--date", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--seconds", type=float, default=10.0, help="Solver time limit.")

    def handle_tenant(self, tenant, *args, **options):
        try:
            plan = services.route_plan_start(
                date=options["date"], time_limit_seconds=options["seconds"], enqueue=False
            )
            plan = services.route_plan_solve(plan_id=plan.pk)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        stats, objective = plan.statistics, plan.objective
        self.stdout.write(
            f"plan {plan.pk} {plan.date}: {stats['served']}/{stats['orders']} orders on "
            f"{stats['vehicles_used']} vehicles, {objective['distance_km']:.1f} km, "
            f"{objective['duration_minutes']:.0f} min, cost {objective['cost']:.2f}"
        )
        for unserved in stats["unserved"]:
            self.stdout.write(f"  unserved {unserved['order']}: {unserved['reason']}")
