from __future__ import annotations

from core.management.base import TenantCommand
from inventory.metrics import inventory_refresh


class Command(TenantCommand):
    help = "Recompute the inventory metrics of one tenant (--schema NAME)."

    def handle_tenant(self, tenant, *args, **options):
        result = inventory_refresh()
        statuses = ", ".join(f"{name}={count}" for name, count in sorted(result.by_status.items()))
        self.stdout.write(
            f"{tenant.schema_name}: {result.rows} metrics rows written, {result.deleted} stale "
            f"deleted in {result.seconds:.2f}s ({statuses or 'no rows'})"
        )
