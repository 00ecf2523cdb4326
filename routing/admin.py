from django.contrib import admin

from routing.models import DeliveryOrder, Route, RoutePlan, RouteStop, Vehicle


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "capacity",
        "volume_capacity",
        "start_depot",
        "end_depot",
        "shift_start",
        "shift_end",
        "is_active",
    )
    list_filter = ("is_active", "start_depot")
    search_fields = ("code", "name")
    list_select_related = ("start_depot", "end_depot")


@admin.register(DeliveryOrder)
class DeliveryOrderAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "date",
        "customer",
        "demand",
        "volume",
        "window_start",
        "window_end",
        "window2_start",
        "window2_end",
        "priority",
    )
    list_filter = ("date", "priority")
    search_fields = ("reference", "customer")
    date_hierarchy = "date"


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    fields = ("sequence", "vehicle", "start_time", "end_time", "distance_km", "duration_minutes")
    readonly_fields = fields
    can_delete = False


@admin.register(RoutePlan)
class RoutePlanAdmin(admin.ModelAdmin):
    list_display = ("id", "date", "status", "time_limit_seconds", "created_at")
    list_filter = ("status", "date")
    search_fields = ("input_hash",)
    readonly_fields = ("job", "created_by", "objective", "statistics", "input_hash")
    inlines = [RouteInline]


@admin.register(RouteStop)
class RouteStopAdmin(admin.ModelAdmin):
    list_display = ("route", "sequence", "order", "arrival", "departure", "load_after")
    list_filter = ("route__plan__date",)
    search_fields = ("order__reference", "route__vehicle__code")
    list_select_related = ("route__vehicle", "order")
