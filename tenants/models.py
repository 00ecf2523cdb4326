from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import connection, models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.postgresql_backend.base import _check_schema_name
from django_tenants.utils import get_tenant_base_schema

SLUG_RE = r"^[a-z][a-z0-9-]{1,39}$"
RESERVED_SLUGS = {"public", "www", "admin", "api", "static", "media", "template", "tenant-template"}


class Plan(models.Model):
    """What a tenant may use (``core.quotas``). Empty means unlimited. Daily limits reset at
    midnight UTC."""

    UNLIMITED = "unlimited"

    name = models.SlugField(max_length=32, primary_key=True)
    description = models.CharField(max_length=200, blank=True)
    products = models.PositiveIntegerField(null=True, blank=True)
    locations = models.PositiveIntegerField(null=True, blank=True)
    users = models.PositiveIntegerField(null=True, blank=True)
    storage_mb = models.PositiveIntegerField(null=True, blank=True)
    api_calls_per_day = models.PositiveIntegerField(null=True, blank=True)
    forecast_runs_per_day = models.PositiveIntegerField(null=True, blank=True)
    simulations_per_day = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Tenant(TenantMixin):
    """A company on the platform, with its own PostgreSQL schema."""

    name = models.CharField(max_length=200)
    slug = models.CharField(
        max_length=40,
        unique=True,
        validators=[RegexValidator(SLUG_RE, "Lowercase letters, digits and -.")],
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        db_column="plan",
        default=Plan.UNLIMITED,
        related_name="tenants",
    )
    is_active = models.BooleanField(default=True)
    # IANA zone the tenant plans in: scheduled reports run at their local hour (ADR 33).
    time_zone = models.CharField(max_length=64, default="UTC")
    # Set when deletion is requested: the tenant is deactivated at once and its schema dropped
    # TENANT_DELETION_GRACE_DAYS later by beat (tenants.services.tenants_purge_due), unless
    # restored before.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    # The migrated template new tenants are cloned from; never served, never fanned out to.
    is_template = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the migrated template when it exists (``tenants.cloning``). The clone copies
        ``django_migrations`` with the tables, so the migration state is already right: no
        ``migrate --fake`` run (it costs more than the clone itself). Without a template,
        migrate from scratch."""
        from django_tenants.utils import schema_exists

        from tenants.cloning import clone_schema

        base = get_tenant_base_schema()
        if self.is_template or not sync_schema or not schema_exists(base):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        _check_schema_name(self.schema_name)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        connection.set_schema_to_public()
        clone_schema(base, self.schema_name)
        return True


class Domain(DomainMixin):
    """A host name that routes to a tenant (``acme.example.com``)."""

    def __str__(self) -> str:
        return self.domain


class PlatformAuditEntry(models.Model):
    """What platform staff (or beat) did to a tenant as a whole. Kept in ``public``, so it
    outlives the tenant's schema (a purged tenant's own audit log is gone with it)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32)
    tenant_slug = models.CharField(max_length=40, db_index=True)
    schema_name = models.CharField(max_length=63)
    actor_label = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "platform audit entries"

    def __str__(self) -> str:
        return f"{self.actor_label or 'system'} {self.action} {self.tenant_slug}"
