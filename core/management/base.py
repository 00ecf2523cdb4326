"""Base class for tenant-scoped commands: ``--schema NAME`` (django-tenants' convention, so
``all_tenants_command`` can run them too, by setting the connection's tenant first). NAME is an
existing tenant's schema name (``t_acme``) or its slug (``acme``, as given to
``provision_tenant``); the schema name wins when both could match."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_tenant_model


class TenantCommand(BaseCommand):
    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "-s", "--schema", dest="schema_name", help="Tenant schema name or slug."
        )

    def handle(self, *args, **options):
        schema = options.get("schema_name") or (
            connection.schema_name if connection.schema_name != "public" else None
        )
        if not schema:
            raise CommandError("--schema NAME is required (a tenant's schema name or slug).")
        tenants = get_tenant_model().objects.exclude(schema_name="public")
        tenant = (
            tenants.filter(schema_name=schema).first() or tenants.filter(slug=schema).first()
            if schema != "public"
            else None
        )
        if tenant is None:
            raise CommandError(f"No tenant with schema or slug {schema!r}.")
        previous = connection.tenant
        connection.set_tenant(tenant)
        try:
            return self.handle_tenant(tenant, *args, **options)
        finally:
            connection.set_tenant(previous)

    def handle_tenant(self, tenant, *args, **options):
        raise NotImplementedError
