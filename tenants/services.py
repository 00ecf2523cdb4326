"""Provisioning and lifecycle of tenants. Runs in the public schema; the only code (with the
fan-out dispatcher and commands) that moves between schemas."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.exceptions import Conflict, ValidationFailed
from tenants.exceptions import DomainTaken, InvalidSlug, TenantNotFound
from tenants.middleware import forget_tenant_lookups
from tenants.models import RESERVED_SLUGS, SLUG_RE, Domain, Plan, PlatformAuditEntry, Tenant

TEMPLATE_SLUG = "tenant-template"


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    created: bool
    domain: str
    admin_email: str | None
    # Set only when the password was generated here: show it once.
    generated_password: str | None


def schema_name_for(slug: str) -> str:
    return "t_" + slug.replace("-", "_")


def validate_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not re.match(SLUG_RE, slug) or slug in RESERVED_SLUGS:
        raise InvalidSlug(
            "A slug is 2–40 lowercase letters, digits or '-', starting with a letter, and not "
            "a reserved word.",
            details={"slug": slug},
        )
    return slug


def platform_ensure(*, domain: str | None = None) -> Tenant:
    """The public tenant (the platform's own host) and the migrated template schema."""
    domain = domain or settings.PUBLIC_DOMAIN
    with schema_context("public"):
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Platform", "slug": "public"}
        )
        Domain.objects.get_or_create(domain=domain, defaults={"tenant": public, "is_primary": True})
        template_ensure()
    return public


def template_ensure() -> Tenant:
    """Create the template schema (migrated from scratch, once). ``migrate_schemas`` keeps it
    migrated afterwards, because it is an ordinary row of the tenant table."""
    with schema_context("public"):
        template = Tenant.objects.filter(schema_name=settings.TENANT_BASE_SCHEMA).first()
        if template is None:
            template = Tenant(
                schema_name=settings.TENANT_BASE_SCHEMA,
                slug=TEMPLATE_SLUG,
                name="Template (not served)",
                is_template=True,
                is_active=False,
            )
            template.save(verbosity=0)
    return template


def tenant_provision(
    *,
    slug: str,
    name: str,
    domain: str | None = None,
    plan: str | None = None,
    admin_email: str | None = None,
    admin_password: str | None = None,
) -> ProvisionResult:
    """Create a tenant: schema (cloned from the template), domain and first admin user.

    Idempotent: provisioning an existing slug again ensures its domain and admin and changes
    nothing else. ``admin_password`` None generates one, returned once in the result.
    """
    from accounts.models import User
    from accounts.services import user_create

    slug = validate_slug(slug)
    domain = (domain or f"{slug}.{settings.TENANT_DOMAIN_SUFFIX}").strip().lower()
    plan = plan or Plan.UNLIMITED
    with schema_context("public"):
        if not Plan.objects.filter(name=plan).exists():
            names = list(Plan.objects.values_list("name", flat=True))
            raise ValidationFailed("Unknown plan.", details={"plan": [f"one of {names}"]})
    with schema_context("public"):
        template_ensure()
        with transaction.atomic():
            tenant = Tenant.objects.filter(slug=slug).first()
            created = tenant is None
            owner = Domain.objects.filter(domain=domain).select_related("tenant").first()
            if owner is not None and owner.tenant.slug != slug:
                raise DomainTaken(details={"domain": domain})
            if created:
                tenant = Tenant.objects.create(
                    schema_name=schema_name_for(slug), slug=slug, name=name, plan_id=plan
                )
            if owner is None:
                Domain.objects.create(
                    domain=domain,
                    tenant=tenant,
                    is_primary=not tenant.domains.filter(is_primary=True).exists(),
                )
            generated = None
            if admin_email:
                with schema_context(tenant.schema_name):
                    if not User.objects.filter(username=admin_email.lower()).exists():
                        if not admin_password:
                            generated = admin_password = secrets.token_urlsafe(12)
                        user_create(
                            email=admin_email,
                            password=admin_password,
                            role=User.Role.ADMIN,
                        )
    forget_tenant_lookups()
    return ProvisionResult(
        tenant=tenant,
        created=created,
        domain=domain,
        admin_email=admin_email.lower() if admin_email else None,
        generated_password=generated,
    )


def tenant_set_active(*, slug: str, active: bool) -> Tenant:
    with schema_context("public"):
        tenant = (
            Tenant.objects.filter(slug=slug, is_template=False)
            .exclude(schema_name="public")
            .first()
        )
        if tenant is None:
            raise TenantNotFound(details={"slug": slug})
        if tenant.is_active != active:
            tenant.is_active = active
            tenant.save(update_fields=["is_active"])
    forget_tenant_lookups()
    return tenant


# --- deletion with a grace period --------------------------------------------------------------


def platform_audit(*, action: str, tenant: Tenant, actor: Any = None, **details: Any) -> None:
    PlatformAuditEntry.objects.create(
        action=action,
        tenant_slug=tenant.slug,
        schema_name=tenant.schema_name,
        actor_label=str(getattr(actor, "email", "") or getattr(actor, "username", "") or ""),
        details=details,
    )


def tenant_deletion_request(*, slug: str, actor: Any = None) -> Tenant:
    """Deactivate the tenant now (its hosts answer 404, beat skips it) and drop its schema after
    ``TENANT_DELETION_GRACE_DAYS`` unless restored. Asking again changes nothing."""
    with schema_context("public"), transaction.atomic():
        tenant = _customer_tenant_for_update(slug)
        if tenant.deletion_requested_at is None:
            tenant.deletion_requested_at = timezone.now()
            tenant.is_active = False
            tenant.save(update_fields=["deletion_requested_at", "is_active"])
            platform_audit(
                action="deletion_requested",
                tenant=tenant,
                actor=actor,
                purge_after=deletion_due(tenant).isoformat(),
            )
    forget_tenant_lookups()
    return tenant


def deletion_due(tenant: Tenant) -> datetime:
    assert tenant.deletion_requested_at is not None
    return tenant.deletion_requested_at + timedelta(days=settings.TENANT_DELETION_GRACE_DAYS)


def tenant_restore(*, slug: str, actor: Any = None) -> Tenant:
    """Undo a deletion request within the grace period: the tenant is active again, whole."""
    with schema_context("public"), transaction.atomic():
        tenant = _customer_tenant_for_update(slug)
        if tenant.deletion_requested_at is None:
            raise Conflict("This tenant is not scheduled for deletion.", details={"slug": slug})
        tenant.deletion_requested_at = None
        tenant.is_active = True
        tenant.save(update_fields=["deletion_requested_at", "is_active"])
        platform_audit(action="restored", tenant=tenant, actor=actor)
    forget_tenant_lookups()
    return tenant


def tenants_purge_due(*, now: datetime | None = None) -> list[str]:
    """Drop the schema (and rows in ``public``) of every tenant whose grace period has ended;
    each purge leaves an entry in the platform audit log. Returns the purged slugs."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.TENANT_DELETION_GRACE_DAYS)
    purged = []
    with schema_context("public"):
        due = list(
            Tenant.objects.filter(deletion_requested_at__lte=cutoff, is_template=False)
            .exclude(schema_name="public")
            .values_list("slug", flat=True)
        )
        for slug in due:
            with transaction.atomic():
                tenant = Tenant.objects.select_for_update().filter(slug=slug).first()
                if tenant is None or tenant.deletion_requested_at is None:
                    continue  # restored meanwhile
                requested = tenant.deletion_requested_at.isoformat()
                platform_audit(action="purged", tenant=tenant, requested_at=requested)
                tenant.delete(force_drop=True)  # django-tenants: DROP SCHEMA … CASCADE
            purged.append(slug)
    forget_tenant_lookups()
    return purged


def _customer_tenant_for_update(slug: str) -> Tenant:
    tenant = (
        Tenant.objects.select_for_update()
        .filter(slug=slug, is_template=False)
        .exclude(schema_name="public")
        .first()
    )
    if tenant is None:
        raise TenantNotFound(details={"slug": slug})
    return tenant
