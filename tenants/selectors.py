from __future__ import annotations

from typing import Any

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


def tenant_usage(*, tenant: Tenant) -> dict[str, Any]:
    """``core.quotas.usage_report`` run in ``tenant``'s schema (for staff, any tenant)."""
    from django_tenants.utils import tenant_context

    from core.quotas import usage_report

    with tenant_context(tenant):
        return usage_report()
