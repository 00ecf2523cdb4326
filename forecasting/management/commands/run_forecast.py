from __future__ import annotations

import json

from django.core.management.base import CommandError

from core.management.base import TenantCommand
from core.progress_bar import progress_bar
from forecasting import services
from forecasting.engine.methods import METHODS
from forecasting.exceptions import ForecastInputError


class Command(TenantCommand):
    help = (
        "Run the forecast Test Bed for one tenant (--schema NAME) here and now: backtest every "
        "method per SKU × location, store the selected forecast, scores and classes."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--horizon", type=int, default=None, help="Days ahead (1..365).")
        parser.add_argument(
            "--methods", nargs="+", default=None, choices=sorted(METHODS), metavar="METHOD"
        )
        parser.add_argument("--folds", type=int, default=None)
        parser.add_argument("--history-days", type=int, default=None)
        parser.add_argument(
            "--all-methods", action="store_true", help="Store every method's forecast too."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes to run the chunks on (default 1: in this process).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        try:
            run = services.forecast_run_start(
                horizon=options["horizon"],
                methods=options["methods"],
                folds=options["folds"],
                history_days=options["history_days"],
                store_all_methods=options["all_methods"],
                enqueue=False,
            )
        except ForecastInputError as exc:
            raise CommandError(f"{exc.message} {json.dumps(exc.details)}") from exc
        with progress_bar(disable=options["no_progress"]) as progress:
            try:
                if options["workers"] > 1:
                    run = services.forecast_run_execute_parallel(
                        run_id=run.pk, workers=options["workers"], progress=progress
                    )
                else:
                    run = services.forecast_run_execute(run_id=run.pk, progress=progress)
            except Exception as exc:
                services.forecast_run_fail(run_id=run.pk, error=f"{type(exc).__name__}: {exc}")
                raise
            progress(100)
        summary = run.summary
        self.stdout.write(
            f"{tenant.schema_name}: run {run.pk} forecast {run.series_count} series "
            f"{run.horizon} days ahead in {run.duration_seconds or 0:.2f}s; "
            f"methods {json.dumps(summary.get('selected_methods', {}))}"
        )
