from __future__ import annotations

import json

from django.core.management.base import CommandError

from core.exceptions import DomainError
from core.management.base import TenantCommand
from core.progress_bar import progress_bar
from manufacturing.planning import mrp_run_create, mrp_run_execute, mrp_run_fail


class Command(TenantCommand):
    help = (
        "Run MRP for one tenant (--schema NAME) here and now: net and explode the forecast "
        "(or the MPS) through the BOMs into planned make and buy orders with pegging."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--source", choices=("forecast", "mps"), default="forecast")
        parser.add_argument("--horizon", type=int, default=90, help="Days ahead (1..730).")
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        try:
            run = mrp_run_create(source=options["source"], horizon_days=options["horizon"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        with progress_bar(disable=options["no_progress"]) as progress:
            try:
                run = mrp_run_execute(run_id=run.pk, progress=progress)
            except Exception as exc:
                mrp_run_fail(run_id=run.pk, error=f"{type(exc).__name__}: {exc}")
                if isinstance(exc, DomainError):
                    raise CommandError(exc.message) from exc
                raise
        self.stdout.write(json.dumps({"mrp_run_id": run.pk, **run.summary}))
