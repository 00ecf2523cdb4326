"""Replay the last months of one tenant, synchronously: ``simulate --schema S [--days 365]``."""

from __future__ import annotations

from django.core.management.base import CommandError

from core.exceptions import DomainError
from core.management.base import TenantCommand
from core.progress_bar import progress_bar
from inventory import simulation_service as service
from inventory.models import SimulationRun


class Command(TenantCommand):
    help = (
        "Replay the proposed inventory policy and the min/max baseline over the last --days "
        "days of one tenant's sales, store the run and print the comparison."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--backorders", action="store_true", help="default: lost sales")
        parser.add_argument(
            "--lead-time-mode", choices=SimulationRun.LeadTimeMode.values, default="fixed"
        )
        parser.add_argument("--refit-every", type=int, default=7, help="days between re-fits")
        parser.add_argument("--method", default="ses", help="forecasting-engine method")
        parser.add_argument(
            "--max-cover-days",
            type=int,
            default=None,
            help="lot cap in days of demand (0: no cap; default: the tenant's setting)",
        )
        parser.add_argument(
            "--allocation",
            choices=SimulationRun.Allocation.values,
            default=None,
            help="default: the tenant's inventory settings",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        with progress_bar(disable=options["no_progress"]) as progress:
            try:
                run = service.simulation_run_start(
                    window_days=options["days"],
                    demand_mode=SimulationRun.DemandMode.BACKORDERS
                    if options["backorders"]
                    else SimulationRun.DemandMode.LOST_SALES,
                    lead_time_mode=options["lead_time_mode"],
                    refit_every_days=options["refit_every"],
                    forecast_method=options["method"],
                    max_cover_days=options["max_cover_days"],
                    service_level_allocation=options["allocation"],
                    enqueue=False,
                )
                run = service.simulation_run_execute(run_id=run.pk, progress=progress)
                progress(100, "Done")
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        summary = run.summary
        proposed, baseline = summary["proposed"]["all"], summary["baseline"]["all"]
        self.stdout.write(
            f"simulation {run.pk} {run.window_start}..{run.window_end}: {summary['items']} items"
        )
        for name, figures in (("policy", proposed), ("baseline", baseline)):
            self.stdout.write(
                f"  {name:<8} fill rate {figures['fill_rate']:.2%}, cycle service level "
                f"{figures['cycle_service_level']:.2%}, stockout days {figures['stockout_days']}, "
                f"average inventory {figures['average_inventory_value']:.2f}, "
                f"total cost {figures['total_cost']:.2f}"
            )
        actual = (summary.get("actual") or {}).get("all")
        if actual:
            self.stdout.write(
                f"  actual   stockout days {actual['stockout_days']}, "
                f"average inventory {actual['average_inventory_value']:.2f}"
            )
