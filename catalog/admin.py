from django.contrib import admin

from catalog.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    ProductUnit,
    StockLevel,
    StockMovement,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)
    list_filter = ("parent",)


class ProductUnitInline(admin.TabularInline):
    model = ProductUnit
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    inlines = (ProductUnitInline,)
    raw_id_fields = ("parent",)
    list_display = (
        "sku",
        "name",
        "category",
        "product_type",
        "unit_cost",
        "unit_price",
        "lead_time_days",
        "is_active",
    )
    list_filter = ("product_type", "is_active", "category")
    search_fields = ("sku", "name", "supplier_code")
    list_select_related = ("category",)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "latitude", "longitude", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")

    def delete_model(self, request, obj):
        from catalog.services import location_delete

        location_delete(location=obj)


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Read only: stock changes go through the ledger (movements)."""

    list_display = ("product", "location", "on_hand", "reserved", "on_order", "updated_at")
    list_filter = ("location",)
    search_fields = ("product__sku", "location__code")
    list_select_related = ("product", "location")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockMovement)
class StockMovementAdmin(StockLevelAdmin):
    list_display = ("occurred_at", "product", "location", "kind", "quantity", "reference", "actor")
    list_filter = ("kind", "location")
    search_fields = ("product__sku", "reference")
    list_select_related = ("product", "location", "actor")
    date_hierarchy = "occurred_at"


@admin.register(DemandHistory)
class DemandHistoryAdmin(admin.ModelAdmin):
    list_display = ("date", "product", "location", "quantity", "revenue", "stockout")
    list_filter = ("stockout", "on_promotion")
    search_fields = ("product__sku", "location__code")
    list_select_related = ("product", "location")
    date_hierarchy = "date"
    show_full_result_count = False  # counting millions of rows on every page is slow


@admin.register(ProductExclusion)
class ProductExclusionAdmin(admin.ModelAdmin):
    list_display = ("product", "reason", "scopes", "created_by", "created_at")
    search_fields = ("product__sku", "reason")
    list_select_related = ("product", "created_by")
    raw_id_fields = ("product",)
    readonly_fields = ("created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        from core.cache import bump_namespace

        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        bump_namespace("inventory")
