from django.contrib import admin

from core.models import AuditLog, Event, Job, RetentionSettings, Upload


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "progress", "created_by", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("id", "kind", "message", "error")
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: entries are written by the platform and removed only by retention."""

    list_display = ("created_at", "actor_label", "api_key", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = (
        "actor_label",
        "api_key",
        "object_type",
        "object_id",
        "object_repr",
        "request_id",
    )
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox, read-only: events are written by services, delivered by integrations."""

    list_display = ("type", "created_at", "delivered_at")
    list_filter = ("type",)
    search_fields = ("type",)
    readonly_fields = [f.name for f in Event._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "size", "uploaded_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("original_name", "sha256")
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(admin.ModelAdmin):
    """One row per tenant: how long operational data is kept (pruned daily by beat)."""

    list_display = (
        "audit_log_days",
        "events_days",
        "jobs_days",
        "forecast_runs_days",
        "simulations_days",
        "uploaded_files_days",
    )

    def has_add_permission(self, request) -> bool:
        return not RetentionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
