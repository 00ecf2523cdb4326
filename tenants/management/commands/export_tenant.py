from __future__ import annotations

import time

from django.core.management.base import CommandError

from core.management.base import TenantCommand
from tenants.backup import export_tenant


class Command(TenantCommand):
    help = (
        "Write one tenant's archive (zip: manifest.json with migrations, row counts and "
        "checksums; every table as binary COPY; uploaded files). --schema takes the schema "
        "name or the slug."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("-o", "--output", required=True, help="Archive path to write.")

    def handle_tenant(self, tenant, *args, **options):
        started = time.perf_counter()
        verbose = options.get("verbosity", 1) > 1
        try:
            result = export_tenant(
                tenant,
                options["output"],
                progress=(lambda line: self.stdout.write(line)) if verbose else None,
            )
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {tenant.slug}: {result.tables} tables, {result.rows} rows, "
                f"{result.files} files, {result.bytes / 1e6:.1f} MB to {result.path} in "
                f"{time.perf_counter() - started:.2f}s"
            )
        )
