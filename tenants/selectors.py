from __future__ import annotations

from django.db.models import QuerySet

from tenants.exceptions import TenantNotFound
from tenants.models import Tenant


def customer_tenants() -> QuerySet[Tenant]:
    """Every real tenant: not the public schema, not the template."""
    return (
        Tenant.objects.exclude(schema_name="public")
        .filter(is_template=False)
        .prefetch_related("domains")
    )


def active_tenants() -> QuerySet[Tenant]:
    return customer_tenants().filter(is_active=True)


def access_tenant(*, slug: str) -> Tenant:
    try:
        return customer_tenants().get(slug=slug)
    except Tenant.DoesNotExist:
        raise TenantNotFound(details={"slug": slug}) from None
