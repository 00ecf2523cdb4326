import django_filters

from inventory.models import (
    DemandHistory,
    InventoryMetrics,
    Product,
    StockLevel,
    StockMovement,
)


class ProductFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(lookup_expr="iexact")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Product
        fields = ("category", "product_type", "is_active", "supplier_code")

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))


class StockLevelFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    location_code = django_filters.CharFilter(field_name="location__code")
    on_hand_min = django_filters.NumberFilter(field_name="on_hand", lookup_expr="gte")
    on_hand_max = django_filters.NumberFilter(field_name="on_hand", lookup_expr="lte")

    class Meta:
        model = StockLevel
        fields = ("product", "location")


class StockMovementFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = ("product", "location", "kind")


class DemandHistoryFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    location_code = django_filters.CharFilter(field_name="location__code")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DemandHistory
        fields = ("product", "location")


class InventoryMetricsFilter(django_filters.FilterSet):
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
