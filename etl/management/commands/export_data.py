from __future__ import annotations

from django.core.management.base import CommandError

from core.exceptions import DomainError
from core.management.base import TenantCommand
from etl.exports import EXPORTS, FORMATS, export_content


class Command(TenantCommand):
    help = (
        "Export products, stock levels or sales history as CSV, XLSX or JSON (the import "
        "contract's columns: the file imports back unchanged). Writes to -o FILE or stdout."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("--format", dest="file_format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument(
            "--all-methods",
            action="store_true",
            help="forecasts: every stored method, not only the selected one",
        )

    def handle_tenant(self, tenant, *args, **options):
        kind, file_format = options["kind"], options["file_format"]
        try:
            chunks = export_content(
                kind=kind, file_format=file_format, all_methods=options["all_methods"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        output = options.get("output")
        if output:
            try:
                with open(output, "wb") as target:
                    for chunk in chunks:
                        target.write(chunk)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}") from exc
            self.stderr.write(f"wrote {kind} as {file_format} to {output}")
            return
        if file_format == "xlsx":
            binary = getattr(self.stdout._out, "buffer", None)
            if binary is None or self.stdout.isatty():
                raise CommandError("XLSX is binary: give -o FILE or redirect standard output.")
            for chunk in chunks:
                binary.write(chunk)
            binary.flush()
            return
        for chunk in chunks:
            self.stdout.write(chunk.decode(), ending="")
        self.stdout.flush()
