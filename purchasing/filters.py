import django_filters

from core.filters import FilterSet
from purchasing.models import OrderSuggestion, PurchaseOrder, SupplierProduct


class SupplierProductFilter(FilterSet):
    supplier = django_filters.CharFilter(field_name="supplier__code")
    sku = django_filters.CharFilter(field_name="product__sku")

    class Meta:
        model = SupplierProduct
        fields = ("product", "is_preferred")


class PurchaseOrderFilter(FilterSet):
    supplier_code = django_filters.CharFilter(field_name="supplier__code")
    location_code = django_filters.CharFilter(field_name="location__code")

    class Meta:
        model = PurchaseOrder
        fields = ("status", "supplier", "location", "source")


class OrderSuggestionFilter(FilterSet):
    supplier = django_filters.CharFilter(field_name="supplier__code")
    location = django_filters.CharFilter(field_name="location__code")
    reason = django_filters.CharFilter(method="filter_reason")

    class Meta:
        model = OrderSuggestion
        fields = ("status", "source")

    def filter_reason(self, queryset, name, value):
        """``reason=none`` (or empty) lists the kept lines."""
        if value.lower() in {"none", "null"}:
            return queryset.filter(reason__isnull=True)
        return queryset.filter(reason=value)
