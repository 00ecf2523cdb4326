from django.contrib import admin

from etl.models import DataSource, ImportBatch, SyncRun


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "source_name",
        "status",
        "rows",
        "inserted",
        "updated",
        "error_count",
        "created_by",
    )
    list_filter = ("kind", "status", "dry_run")
    search_fields = ("source_name",)
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "dataset", "is_active", "watermark", "last_sync_at")
    list_filter = ("kind", "dataset", "is_active")
    search_fields = ("name",)
    exclude = ("url_encrypted",)  # credentials are set through the API, never displayed
    readonly_fields = ("watermark", "last_sync_at", "created_at")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "source",
        "status",
        "rows_read",
        "inserted",
        "updated",
        "rejected",
        "finished_at",
    )
    list_filter = ("status", "source")
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
