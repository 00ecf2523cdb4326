from django.contrib import admin

from forecasting.models import (
    Campaign,
    ForecastRun,
    ForecastSettings,
    MethodOverride,
    ModelRegistryEntry,
    ModelVersion,
    Scenario,
)


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "trigger",
        "horizon",
        "series_count",
        "chunk_count",
        "data_start",
        "data_end",
        "duration_seconds",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "trigger")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ForecastRun._meta.fields] + ["done_chunks"]

    def has_add_permission(self, request) -> bool:
        return False  # runs start through the API, the command or the schedule


@admin.register(ModelRegistryEntry)
class ModelRegistryAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "location",
        "method",
        "challenger",
        "reason",
        "rmsse",
        "wape",
        "trained_at",
        "drift_flagged",
        "drift_ratio",
    )
    list_filter = ("method", "reason", "drift_flagged")
    search_fields = ("product__sku", "location__code")
    list_select_related = ("product", "location")
    readonly_fields = [f.name for f in ModelRegistryEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Read-only: versions change through runs and promotions (ADR 38)."""

    list_display = (
        "product",
        "location",
        "method",
        "status",
        "created_at",
        "promoted_at",
        "promotion",
        "retired_at",
        "retired_reason",
    )
    list_filter = ("status", "promotion", "method")
    search_fields = ("product__sku", "location__code")
    list_select_related = ("product", "location")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(MethodOverride)
class MethodOverrideAdmin(admin.ModelAdmin):
    list_display = ("product", "location", "method", "note", "created_by", "updated_at")
    list_filter = ("method",)
    search_fields = ("product__sku", "location__code", "note")
    list_select_related = ("product", "location", "created_by")
    raw_id_fields = ("product", "location")
    readonly_fields = ("created_by", "created_at", "updated_at")


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("name", "base_run", "created_by", "created_at")
    search_fields = ("name",)
    list_select_related = ("base_run", "created_by")
    raw_id_fields = ("base_run",)


@admin.register(ForecastSettings)
class ForecastSettingsAdmin(admin.ModelAdmin):
    list_display = ("horizon_days", "history_days", "folds", "retrain_interval_days", "updated_at")

    def has_add_permission(self, request) -> bool:
        return not ForecastSettings.objects.exists()


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "start", "end", "expected_uplift", "created_by", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name", "note", "products__sku")
    date_hierarchy = "start"
    list_select_related = ("created_by",)
    autocomplete_fields = ("categories",)
    raw_id_fields = ("products",)
    filter_horizontal = ("locations",)
    readonly_fields = ("created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
