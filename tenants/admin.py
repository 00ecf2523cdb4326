"""The platform staff admin (public schema): tenants, domains and staff users only.

Tenant data never appears here: this site registers no tenant model, and the public schema
holds no tenant tables.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User
from tenants.models import Domain, Tenant


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


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "schema_name", "plan", "is_active", "created_at")
    list_filter = ("plan", "is_active")
    search_fields = ("slug", "name", "schema_name", "domains__domain")
    readonly_fields = ("schema_name", "created_at", "is_template")
    inlines = [DomainInline]
    actions = ["export_backup"]

    @admin.action(description="Export a backup (into TENANT_BACKUP_DIR)")
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
