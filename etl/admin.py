from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from core.exceptions import DomainError
from etl import quality, services
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
    actions = ["revert_batches"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revert the selected imports (ADR 28)", permissions=["change"])
    def revert_batches(self, request, queryset) -> None:
        """Each batch on its own transaction, newest first (a later batch blocks an earlier
        one until it is reverted); a refusal is shown and the others go on."""
        for batch in queryset.order_by("-created_at"):
            try:
                services.import_batch_revert(batch_id=batch.pk, user=request.user)
            except DomainError as exc:
                self.message_user(request, f"{batch}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{batch.kind} {batch.source_name}: reverted")

    def get_urls(self):
        view = self.admin_site.admin_view(self.data_quality_view)
        return [
            path("data-quality/", view, name="etl_data_quality"),
            *super().get_urls(),
        ]

    def data_quality_view(self, request):
        """The tenant's data-quality report (the same cached report as the API)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = quality.data_quality_report()
        checks = []
        for name, check in report["checks"].items():
            top = check.get("top", [])
            columns = [c for c in (top[0] if top else {}) if c not in {"product_id", "location_id"}]
            checks.append(
                {
                    "name": name,
                    "summary": [(k, v) for k, v in check.items() if k != "top"],
                    "columns": columns,
                    "top": [[row.get(c) for c in columns] for row in top],
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Data quality",
            "report": report,
            "checks": [(c["name"], c) for c in checks],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/etl/data_quality.html", context)


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
