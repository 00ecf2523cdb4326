from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from tenants.backup import archive_source, import_tenant


class Command(BaseCommand):
    help = (
        "Restore an archive written by export_tenant into a new tenant whose schema is exactly "
        "--schema (taken literally). Refuses an archive whose checksums fail or whose migrations "
        "are newer than the code; an older one is migrated forward. All or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file",
            help="A path, s3://bucket/key (BACKUP_S3_* settings) or backup:<slug>/<name> "
            "(a backup in BACKUP_TARGET).",
        )
        parser.add_argument("--schema", required=True, help="The new tenant's schema name.")
        parser.add_argument("--domain", help="Host name (default <slug>.TENANT_DOMAIN_SUFFIX).")
        parser.add_argument("--slug", help="The new tenant's slug (default from the schema).")
        parser.add_argument("--name", help="The new tenant's name (default the source's).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        verbose = options.get("verbosity", 1) > 1
        try:
            with (
                archive_source(options["file"]) as path,
                open(path, "rb") as source,
            ):
                result = import_tenant(
                    source,
                    schema=options["schema"],
                    domain=options.get("domain"),
                    slug=options.get("slug"),
                    name=options.get("name"),
                    progress=(lambda line: self.stdout.write(line)) if verbose else None,
                )
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        tenant = result.tenant
        forward = (
            f"; migrated forward: {', '.join(result.migrated_forward)}"
            if result.migrated_forward
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored tenant {tenant.slug} (schema {tenant.schema_name}) at "
                f"http://{tenant.domains.first()}: {result.tables} tables, {result.rows} rows, "
                f"{result.files} files in {time.perf_counter() - started:.2f}s{forward}"
            )
        )
