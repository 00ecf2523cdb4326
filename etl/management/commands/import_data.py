from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from core.exceptions import DomainError
from core.management.base import TenantCommand
from core.progress_bar import progress_bar
from etl import services
from etl.specs import SPECS


class Command(TenantCommand):
    help = (
        "Import a CSV or XLSX file (products, locations, sales, stock). Validates everything "
        "first; a file with any error writes nothing and exits 1 with a row-level report. "
        "--revert BATCH_ID undoes an imported batch instead (exit 1 when it cannot)."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", nargs="?", choices=sorted(SPECS))
        parser.add_argument("file", nargs="?")
        parser.add_argument(
            "--revert",
            metavar="BATCH_ID",
            help="undo an imported batch (sales, products, locations, stock) in one transaction",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate only")
        parser.add_argument(
            "--create-missing", action="store_true", help="create unknown SKUs and locations"
        )
        parser.add_argument(
            "--max-rows",
            type=int,
            default=None,
            metavar="N",
            help="accept up to N data rows (default: the IMPORT_MAX_ROWS setting)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        if options["revert"]:
            return self._revert(options["revert"])
        if not options["kind"] or not options["file"]:
            raise CommandError("KIND and FILE are required (or --revert BATCH_ID).")
        try:
            stream = open(options["file"], "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise CommandError(f"Cannot open {options['file']}: {exc.strerror}") from exc
        with stream, progress_bar(disable=options["no_progress"]) as progress:
            batch = services.import_file(
                kind=options["kind"],
                stream=stream,
                name=options["file"],
                dry_run=options["dry_run"],
                create_missing=options["create_missing"],
                progress=progress,
                max_rows=options["max_rows"],
            )
        for warning in batch.warnings:
            self.stderr.write(f"warning: {warning}")
        if batch.error_count:
            self.stderr.write(f"{batch.error_count} error(s); nothing was written.")
            self.stderr.write("row,column,value,why")
            for error in batch.errors:
                self.stderr.write(
                    f"{error['row']},{error['column']},{error['value']},{error['why']}"
                )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"{batch.status}: {batch.rows} rows, {batch.inserted} inserted, "
                f"{batch.updated} updated, {batch.unchanged} unchanged"
                + (f", created {batch.created}" if batch.created else "")
                + f" in {batch.seconds:.2f}s (batch {batch.id})"
            )
        )

    def _revert(self, batch_id: str) -> None:
        try:
            batch_id = str(uuid.UUID(batch_id))
            batch = services.import_batch_revert(batch_id=batch_id)
        except ValueError:
            self.stderr.write(f"{batch_id!r} is not a batch id (a UUID).")
            raise SystemExit(1) from None
        except DomainError as exc:
            self.stderr.write(f"{exc.code}: {exc.message}")
            raise SystemExit(1) from None
        self.stdout.write(self.style.SUCCESS(f"reverted: batch {batch.id} ({batch.kind})"))
