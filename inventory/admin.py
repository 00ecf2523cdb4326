from django.contrib import admin

from inventory.models import InventorySettings, SimulationItemResult, SimulationRun


@admin.register(InventorySettings)
class InventorySettingsAdmin(admin.ModelAdmin):
    """The tenant's single settings row (the API validates the same fields)."""

    list_display = (
        "__str__",
        "service_level_kind",
        "service_level_allocation",
        "abc_measure",
        "lookback_days",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return not InventorySettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Simulation ---------------------------------------------------------------------------------


@admin.register(SimulationItemResult)
class SimulationItemResultAdmin(admin.ModelAdmin):
    list_display = (
        "run",
        "product",
        "location",
        "abc_class",
        "policy_fill_rate",
        "policy_cycle_service_level",
        "policy_average_inventory_value",
        "baseline_fill_rate",
        "baseline_average_inventory_value",
    )
    list_filter = ("abc_class",)
    search_fields = ("product__sku", "location__code")
    list_select_related = ("product", "location", "run")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SimulationRun)
class SimulationRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "window_start",
        "window_end",
        "forecast_method",
        "demand_mode",
        "lead_time_mode",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "demand_mode", "lead_time_mode")
    list_select_related = ("created_by",)
    readonly_fields = (
        "status",
        "window_start",
        "window_end",
        "summary",
        "error",
        "job",
        "created_by",
        "created_at",
        "finished_at",
    )
    exclude = ("daily",)

    def has_add_permission(self, request) -> bool:
        return False  # runs start from the API or the ``simulate`` command
