from __future__ import annotations

import io
import os
from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from accounts.services import demo_users_ensure
from core.management.base import TenantCommand
from demo.catalogue import DemoDataRejected, demo_data_seed
from demo.fleet import delivery_orders_csv, vehicles_csv
from etl.importing import run_import
from manufacturing.demo import manufacturing_demo_seed
from purchasing.demo import purchasing_demo_seed

DEFAULT_DEMO_PASSWORD = "demo-planner-2026"  # noqa: S105 (demo data, documented)


class Command(TenantCommand):
    help = (
        "Fill a tenant with realistic demo data: one user of each role, a coffee roaster's "
        "catalogue, its DC, stores and plant, daily sales ending yesterday and current stock, "
        "loaded through the import path, and a delivery fleet with tomorrow's orders. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--days", type=int, default=730, help="Days of sales history (default 730)."
        )
        parser.add_argument("--skip-sales", action="store_true", help="Load no sales history.")

    def handle_tenant(self, tenant, *args, **options):
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        domain = f"{tenant.slug}.example.com"
        users = demo_users_ensure(domain=domain, password=password)
        for user in users:
            self.stdout.write(f"  {user['role']:<8} {user['email']}")
        try:
            result = demo_data_seed(days=options["days"], include_sales=not options["skip_sales"])
        except DemoDataRejected as exc:
            raise CommandError(str(exc)) from exc
        for kind, report in result.reports.items():
            self.stdout.write(
                f"  {kind:<10} {report.rows:>8} rows: {report.inserted} inserted, "
                f"{report.updated} updated, {report.unchanged} unchanged "
                f"({report.seconds:.2f} s)"
            )
        if "sales" in result.reports:
            self.stdout.write(
                f"  sales flags (promotion / stockout) changed: {result.flagged_rows}"
            )
        # Purchasing: suppliers, terms, a year of purchase history, a few open orders.
        purchasing = purchasing_demo_seed(
            today=timezone.localdate(),
            run_import=lambda kind, data: run_import(
                kind=kind, stream=io.BytesIO(data), size=len(data)
            ),
        )
        for kind, report in purchasing["reports"].items():
            self.stdout.write(
                f"  {kind:<17} {report.rows:>6} rows: {report.inserted} inserted, "
                f"{report.updated} updated"
            )
        self.stdout.write(f"  open purchase orders created: {purchasing['open_orders']}")
        made = manufacturing_demo_seed(today=timezone.localdate())
        self.stdout.write(
            f"  manufacturing: {made['boms']} BOMs, {made['work_centres']} work centres, "
            f"{made['mps_rows']} MPS rows"
        )
        # Routing: three vans at the DC and tomorrow's deliveries (the demo plans them).
        tomorrow = timezone.localdate() + timedelta(days=1)
        for kind, data in (
            ("vehicles", vehicles_csv()),
            ("delivery-orders", delivery_orders_csv(tomorrow)),
        ):
            report = run_import(kind=kind, stream=io.BytesIO(data), size=len(data))
            if report.status != "imported":
                raise CommandError(f"demo {kind} rejected: {report.errors[:5]}")
            self.stdout.write(
                f"  {kind:<17} {report.rows:>6} rows: {report.inserted} inserted, "
                f"{report.updated} updated"
            )
        self.stdout.write(f"  demo data loaded in {result.seconds:.2f} s")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {tenant.schema_name}."))
