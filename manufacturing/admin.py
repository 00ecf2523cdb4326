from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from core.exceptions import DomainError
from manufacturing import services
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MasterProductionSchedule,
    MrpException,
    MrpRun,
    Operation,
    PlannedOrder,
    WorkCentre,
    WorkingOrder,
    WorkingOrderComponent,
)
from manufacturing.selectors import bom_cost_rollup
from manufacturing.services import bom_cycle_path


class BomLineFormSet(BaseInlineFormSet):
    """Refuses lines that would make the active BOMs cyclic, naming the cycle."""

    def clean(self):
        super().clean()
        bom = self.instance
        if not bom.is_active or bom.product_id is None:
            return
        components = [
            form.cleaned_data["component"].pk
            for form in self.forms
            if form.cleaned_data.get("component") and not form.cleaned_data.get("DELETE")
        ]
        cycle = bom_cycle_path(product_id=bom.product_id, component_ids=components)
        if cycle:
            raise ValidationError("The BOM would make a cycle: " + " → ".join(cycle))


class BomLineInline(admin.TabularInline):
    model = BomLine
    formset = BomLineFormSet
    extra = 0
    raw_id_fields = ("component",)


class OperationInline(admin.TabularInline):
    model = Operation
    extra = 0


@admin.register(BillOfMaterials)
class BillOfMaterialsAdmin(admin.ModelAdmin):
    list_display = ("product", "version", "is_active", "valid_from", "valid_to", "unit_cost")
    list_filter = ("is_active",)
    search_fields = ("product__sku", "product__name")
    raw_id_fields = ("product",)
    list_select_related = ("product",)
    inlines = (BomLineInline, OperationInline)

    @admin.display(description="cost per unit (roll-up)")
    def unit_cost(self, bom: BillOfMaterials):
        return bom_cost_rollup(bom)["total"]


@admin.register(WorkCentre)
class WorkCentreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "hours_per_day", "cost_per_hour", "working_days")
    search_fields = ("code", "name")


class WorkingOrderComponentInline(admin.TabularInline):
    model = WorkingOrderComponent
    extra = 0
    readonly_fields = (
        "component",
        "required_quantity",
        "reserved_quantity",
        "consumed_quantity",
    )
    can_delete = False


def _transition(label: str, call):
    def action(modeladmin, request, queryset):
        done = 0
        for order in queryset:
            try:
                call(order.pk)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(
                    request, f"{order.reference}: {exc.message}", messages.ERROR
                )
        if done:
            modeladmin.message_user(request, f"{label}: {done} working orders.")

    action.__name__ = f"working_order_{label.lower()}"
    action.short_description = f"{label} the selected working orders"
    return action


@admin.register(WorkingOrder)
class WorkingOrderAdmin(admin.ModelAdmin):
    list_display = ("reference", "product", "location", "quantity", "status", "due_date")
    list_filter = ("status", "firmed")
    search_fields = ("reference", "product__sku")
    raw_id_fields = ("product", "location", "mrp_run")
    list_select_related = ("product", "location")
    readonly_fields = ("status", "actual_quantity", "completed_at")
    inlines = (WorkingOrderComponentInline,)
    actions = (
        _transition("Release", lambda pk: services.working_order_release(order_id=pk)),
        _transition("Start", lambda pk: services.working_order_start(order_id=pk)),
        _transition("Complete", lambda pk: services.working_order_complete(order_id=pk)),
        _transition("Cancel", lambda pk: services.working_order_cancel(order_id=pk)),
    )


@admin.register(MasterProductionSchedule)
class MasterProductionScheduleAdmin(admin.ModelAdmin):
    list_display = ("date", "product", "location", "quantity")
    raw_id_fields = ("product", "location")
    list_select_related = ("product", "location")
    date_hierarchy = "date"


@admin.register(MrpRun)
class MrpRunAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "source", "horizon_days", "plan_date", "finished_at")
    list_filter = ("status", "source")
    readonly_fields = [f.name for f in MrpRun._meta.fields]


@admin.register(PlannedOrder)
class PlannedOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "run", "product", "location", "kind", "quantity", "due_date", "firmed")
    list_filter = ("kind", "firmed")
    search_fields = ("product__sku",)
    raw_id_fields = ("run", "product", "location", "working_order")
    list_select_related = ("product", "location")


@admin.register(MrpException)
class MrpExceptionAdmin(admin.ModelAdmin):
    list_display = ("run", "kind", "product", "date", "message")
    list_filter = ("kind",)
    raw_id_fields = ("run", "product")
