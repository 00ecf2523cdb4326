from __future__ import annotations

import os

from accounts.services import demo_users_ensure
from core.management.base import TenantCommand

DEFAULT_DEMO_PASSWORD = "demo-planner-2026"  # noqa: S105 (demo data, documented)


class Command(TenantCommand):
    help = "Fill a tenant with realistic demo data (now: one user of each role). Idempotent."

    def handle_tenant(self, tenant, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        domain = f"{tenant.slug}.example.com"
        users = demo_users_ensure(domain=domain, password=password)
        for user in users:
            self.stdout.write(f"  {user['role']:<8} {user['email']}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {tenant.schema_name}."))
