import django_filters

from catalog.models import Product
from core.filters import FilterSet
from inventory.models import InventoryMetrics

PROBABILITY = {"min_value": 0, "max_value": 1}
NON_NEGATIVE = {"min_value": 0}


class ProductFilter(FilterSet):
    """Products, filtered server-side on their inventory metrics (the queryset comes annotated
    from ``selectors.product_inventory_list``)."""

    sku = django_filters.CharFilter(lookup_expr="iexact")
    search = django_filters.CharFilter(method="filter_search")
    location = django_filters.CharFilter(
        method="filter_nothing",
        help_text=(
            "Location code: the inventory values and filters are those at this location. "
            "Without it they are summed over all locations (stock, demand, value, order "
            "quantity), the worst (status, stockout risk, XYZ) or the best (ABC) of them."
        ),
    )
    # distinct=False: the joins are one-to-one, and SELECT DISTINCT over every column would
    # cost more than the whole rest of the query.
    status = django_filters.MultipleChoiceFilter(
        choices=InventoryMetrics.Status.choices,
        distinct=False,
        help_text="Inventory status (repeatable).",
    )
    stockout_risk_min = django_filters.NumberFilter(
        field_name="stockout_risk", lookup_expr="gte", **PROBABILITY
    )
    stockout_risk_max = django_filters.NumberFilter(
        field_name="stockout_risk", lookup_expr="lte", **PROBABILITY
    )
    on_hand_min = django_filters.NumberFilter(field_name="on_hand", lookup_expr="gte")
    on_hand_max = django_filters.NumberFilter(field_name="on_hand", lookup_expr="lte")
    days_of_cover_min = django_filters.NumberFilter(
        field_name="days_of_cover", lookup_expr="gte", **NON_NEGATIVE
    )
    days_of_cover_max = django_filters.NumberFilter(
        field_name="days_of_cover", lookup_expr="lte", **NON_NEGATIVE
    )
    abc_class = django_filters.MultipleChoiceFilter(
        choices=[(c, c) for c in "ABC"], distinct=False, help_text="ABC class (repeatable)."
    )
    xyz_class = django_filters.MultipleChoiceFilter(
        choices=[(c, c) for c in "XYZ"], distinct=False, help_text="XYZ class (repeatable)."
    )
    # A strict true/false: a NullBooleanField would read "maybe" as "no filter".
    excluded = django_filters.TypedChoiceFilter(
        choices=(("true", "true"), ("false", "false")),
        coerce=lambda value: value == "true",
        help_text="Whether the product has an exclusion (any scope).",
    )

    class Meta:
        model = Product
        fields = ("category", "product_type", "is_active", "supplier_code")

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))

    def filter_nothing(self, queryset, name, value):
        return queryset  # applied by the selector, before the other filters


class InventoryMetricsFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=InventoryMetrics.Status.choices)
    abc_class = django_filters.ChoiceFilter(choices=[(c, c) for c in "ABC"])
    xyz_class = django_filters.ChoiceFilter(choices=[(c, c) for c in "XYZ"])
    stockout_risk_min = django_filters.NumberFilter(field_name="stockout_risk", lookup_expr="gte")
    stockout_risk_max = django_filters.NumberFilter(field_name="stockout_risk", lookup_expr="lte")
    days_of_cover_min = django_filters.NumberFilter(field_name="days_of_cover", lookup_expr="gte")
    days_of_cover_max = django_filters.NumberFilter(field_name="days_of_cover", lookup_expr="lte")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    location = django_filters.CharFilter(field_name="location__code", lookup_expr="iexact")

    class Meta:
        model = InventoryMetrics
        fields = ("product",)
