from django.contrib import admin, messages

from purchasing import selectors, services
from purchasing.models import (
    ExchangeRate,
    LeadTimeStats,
    OrderSuggestion,
    PlannedPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
    Receipt,
    Supplier,
    SupplierProduct,
    TransferOrder,
    TransferOrderLine,
)


@admin.register(PurchasingSettings)
class PurchasingSettingsAdmin(admin.ModelAdmin):
    list_display = ("currency", "approval_threshold", "over_receipt_tolerance_pct", "updated_at")


class SupplierProductInline(admin.TabularInline):
    model = SupplierProduct
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "currency",
        "lead_time_days",
        "min_order_value",
        "is_active",
    )
    search_fields = ("code", "name")
    list_filter = ("kind", "is_active")
    inlines = [SupplierProductInline]
    readonly_fields = ("scorecard_90", "scorecard_365")

    @admin.display(description="Scorecard, last 90 days")
    def scorecard_90(self, obj):
        return selectors.scorecard(supplier=obj, days=90) if obj.pk else "-"

    @admin.display(description="Scorecard, last 365 days")
    def scorecard_365(self, obj):
        return selectors.scorecard(supplier=obj, days=365) if obj.pk else "-"


@admin.register(SupplierProduct)
class SupplierProductAdmin(admin.ModelAdmin):
    list_display = (
        "supplier",
        "product",
        "unit_price",
        "moq",
        "pack_size",
        "lead_time_days",
        "is_preferred",
    )
    list_select_related = ("supplier", "product")
    search_fields = ("supplier__code", "product__sku")
    raw_id_fields = ("product",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "rate", "updated_at")


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    raw_id_fields = ("product", "location")
    readonly_fields = ("received_quantity",)


def _run(modeladmin, request, queryset, action: str) -> None:
    done = 0
    for order in queryset:
        try:
            getattr(services, f"purchase_order_{action}")(order=order, user=request.user)
            done += 1
        except Exception as exc:  # a domain error on one order must not stop the others
            modeladmin.message_user(request, f"{order.reference}: {exc}", messages.ERROR)
    modeladmin.message_user(request, f"{done} order(s): {action} done.")


@admin.action(description="Approve the selected orders")
def approve_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, "approve")


@admin.action(description="Send the selected orders")
def send_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, "send")


@admin.action(description="Cancel the selected orders")
def cancel_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, "cancel")


@admin.action(description="Short-close the selected orders")
def close_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, "close")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ("reference", "supplier", "location", "status", "ordered_on", "source")
    list_filter = ("status", "source")
    list_select_related = ("supplier", "location")
    search_fields = ("reference", "supplier__code")
    inlines = [PurchaseOrderLineInline]
    actions = [approve_orders, send_orders, cancel_orders, close_orders]
    readonly_fields = ("status", "approved_at", "sent_at", "closed_at", "ordered_on")


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    list_display = (
        "line",
        "supplier",
        "product",
        "quantity",
        "received_on",
        "lead_time_days",
        "on_time",
        "source",
    )
    list_filter = ("source", "on_time")
    raw_id_fields = ("line", "supplier", "product")


@admin.register(LeadTimeStats)
class LeadTimeStatsAdmin(admin.ModelAdmin):
    list_display = (
        "supplier",
        "product",
        "mean_days",
        "std_days",
        "on_time_rate",
        "receipts_count",
    )
    list_select_related = ("supplier", "product")


@admin.register(OrderSuggestion)
class OrderSuggestionAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "location",
        "supplier",
        "quantity",
        "value",
        "reason",
        "source",
        "status",
    )
    list_filter = ("status", "reason", "source")
    list_select_related = ("product", "location", "supplier")


@admin.register(PlannedPurchase)
class PlannedPurchaseAdmin(admin.ModelAdmin):
    list_display = ("product", "location", "quantity", "needed_by", "release_date", "mrp_run_id")


class TransferOrderLineInline(admin.TabularInline):
    model = TransferOrderLine
    extra = 0
    raw_id_fields = ("product",)
    readonly_fields = ("shipped_quantity", "received_quantity")


@admin.register(TransferOrder)
class TransferOrderAdmin(admin.ModelAdmin):
    """Read the workflow here; ship / receive / cancel go through the API (the ledger)."""

    list_display = ("reference", "from_location", "to_location", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference",)
    readonly_fields = ("status", "shipped_at", "received_at", "created_by")
    raw_id_fields = ("from_location", "to_location")
    inlines = [TransferOrderLineInline]
