from __future__ import annotations

from core.management.base import TenantCommand
from core.progress_bar import progress_bar
from inventory.metrics import inventory_refresh


class Command(TenantCommand):
    help = (
        "Recompute the inventory metrics of one tenant (--schema NAME). ABC/XYZ are "
        "re-evaluated unless --keep-classes (what the hourly beat does)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--keep-classes", action="store_true", help="keep the current ABC/XYZ classes"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        with progress_bar(disable=options["no_progress"]) as progress:
            result = inventory_refresh(reclassify=not options["keep_classes"], progress=progress)
        statuses = ", ".join(f"{name}={count}" for name, count in sorted(result.by_status.items()))
        self.stdout.write(
            f"{tenant.schema_name}: {result.rows} metrics rows written, {result.deleted} stale "
            f"deleted in {result.seconds:.2f}s ({statuses or 'no rows'})"
        )
