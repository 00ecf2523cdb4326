"""Base class for tenant-scoped commands: ``--schema NAME`` (django-tenants' convention, so
``all_tenants_command`` can run them too, by setting the connection's tenant first)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_tenant_model


class TenantCommand(BaseCommand):
    def add_arguments(self, parser) -> None:
        parser.add_argument("-s", "--schema", dest="schema_name", help="Tenant schema name.")

    def handle(self, *args, **options):
        schema = options.get("schema_name") or (
            connection.schema_name if connection.schema_name != "public" else None
        )
        if not schema:
            raise CommandError("--schema NAME is required (a tenant's schema name).")
        tenant = get_tenant_model().objects.filter(schema_name=schema).first()
        if tenant is None or schema == "public":
            raise CommandError(f"No tenant with schema {schema!r}.")
        previous = connection.tenant
        connection.set_tenant(tenant)
        try:
            return self.handle_tenant(tenant, *args, **options)
        finally:
            connection.set_tenant(previous)

    def handle_tenant(self, tenant, *args, **options):
        raise NotImplementedError
