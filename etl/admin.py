from django.contrib import admin

from etl.models import ImportBatch


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
