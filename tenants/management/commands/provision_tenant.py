from __future__ import annotations

import os
import time

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from tenants.services import tenant_provision


class Command(BaseCommand):
    help = (
        "Create a tenant (schema cloned from the template, domain, first admin). Idempotent. "
        "The admin password comes from TENANT_ADMIN_PASSWORD, or is generated and printed once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", help="Host name (default <slug>.TENANT_DOMAIN_SUFFIX).")
        parser.add_argument("--admin-email")
        parser.add_argument(
            "--plan", help="A plan's name (tenants.Plan); default: unlimited (no limits)."
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            result = tenant_provision(
                slug=options["slug"],
                name=options["name"],
                domain=options.get("domain"),
                plan=options["plan"],
                admin_email=options.get("admin_email"),
                admin_password=os.environ.get("TENANT_ADMIN_PASSWORD") or None,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        verb = "Created" if result.created else "Already present:"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} tenant {result.tenant.slug} (schema {result.tenant.schema_name}) at "
                f"http://{result.domain} in {time.perf_counter() - started:.2f}s"
            )
        )
        if result.admin_email:
            self.stdout.write(f"Admin: {result.admin_email}")
        if result.generated_password:
            self.stdout.write(f"Admin password (shown once): {result.generated_password}")
