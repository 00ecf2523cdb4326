"""The platform staff admin (public schema): tenants, domains and staff users only.

Tenant data never appears here: this site registers no tenant model, and the public schema
holds no tenant tables.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User
from tenants.models import Domain, Plan, PlatformAuditEntry, Tenant


class PlatformAdminSite(admin.AdminSite):
    site_header = "Demand planning — platform staff"
    site_title = "Platform"
    index_title = "Tenants"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


platform_admin_site = PlatformAdminSite(name="platform_admin")


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Plan, site=platform_admin_site)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "products",
        "locations",
        "users",
        "storage_mb",
        "api_calls_per_day",
        "forecast_runs_per_day",
        "simulations_per_day",
    )

    def save_model(self, request, obj, form, change):
        from tenants.middleware import forget_tenant_lookups

        super().save_model(request, obj, form, change)
        forget_tenant_lookups()


@admin.register(PlatformAuditEntry, site=platform_admin_site)
class PlatformAuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "tenant_slug", "schema_name", "actor_label")
    list_filter = ("action",)
    search_fields = ("tenant_slug", "schema_name", "actor_label")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "schema_name", "plan", "is_active", "created_at")
    list_filter = ("plan", "is_active")
    search_fields = ("slug", "name", "schema_name", "domains__domain")
    readonly_fields = ("schema_name", "created_at", "is_template", "usage", "deletion_requested_at")

    @admin.display(description="Usage (used / allowed)")
    def usage(self, obj) -> str:
        from tenants.selectors import tenant_usage

        report = tenant_usage(tenant=obj)
        return "; ".join(
            f"{name}: {row['used']} / {row['allowed'] if row['allowed'] is not None else '∞'}"
            for name, row in report["limits"].items()
        )

    def save_model(self, request, obj, form, change):
        from tenants.middleware import forget_tenant_lookups

        super().save_model(request, obj, form, change)
        forget_tenant_lookups()

    inlines = [DomainInline]
    actions = ["export_backup", "request_deletion", "restore"]

    @admin.action(description="Delete (deactivate now, drop after the grace period)")
    def request_deletion(self, request, queryset):
        from tenants.services import tenant_deletion_request

        for tenant in queryset:
            tenant_deletion_request(slug=tenant.slug, actor=request.user)
        self.message_user(request, f"Deletion requested for {queryset.count()} tenant(s).")

    @admin.action(description="Restore (cancel a deletion request)")
    def restore(self, request, queryset):
        from tenants.services import tenant_restore

        for tenant in queryset.filter(deletion_requested_at__isnull=False):
            tenant_restore(slug=tenant.slug, actor=request.user)
        self.message_user(request, "Restored.")

    @admin.action(description="Export a backup (into the backup store)")
    def export_backup(self, request, queryset):
        from tenants.backup import backup_name
        from tenants.tasks import backup_tenant

        names = []
        for tenant in queryset:
            name = backup_name(tenant)
            backup_tenant.delay(tenant.slug, name)
            names.append(name)
        self.message_user(request, f"Backups queued: {', '.join(names)}.")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_template=False).exclude(schema_name="public")

    def has_add_permission(self, request) -> bool:
        # Provisioning goes through the service (API or command), which clones the template.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Domain, site=platform_admin_site)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    search_fields = ("domain", "tenant__slug")
    list_filter = ("is_primary",)


@admin.register(User, site=platform_admin_site)
class StaffUserAdmin(UserAdmin):
    list_display = ("email", "is_superuser", "is_active", "last_login")
    list_filter = ("is_superuser", "is_active")
    search_fields = ("email",)
    ordering = ("email",)
