import django_filters
from django.db.models import F
from rest_framework.filters import OrderingFilter

from catalog.models import DemandHistory, StockLevel, StockMovement
from core.filters import FilterSet, UtcIsoDateTimeFilter


class StockLevelFilter(FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    location_code = django_filters.CharFilter(field_name="location__code")
    on_hand_min = django_filters.NumberFilter(field_name="on_hand", lookup_expr="gte")
    on_hand_max = django_filters.NumberFilter(field_name="on_hand", lookup_expr="lte")

    class Meta:
        model = StockLevel
        fields = ("product", "location")


class StockMovementFilter(FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    since = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = ("product", "location", "kind")


class DemandHistoryFilter(FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    location_code = django_filters.CharFilter(field_name="location__code")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DemandHistory
        fields = ("product", "location")


class NullsLastOrderingFilter(OrderingFilter):
    """``ordering=`` with NULLs (no metrics, no demand) last in both directions, so
    ``-stockout_risk`` starts with the riskiest product, not with the ones without data."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        expressions = [
            F(name[1:]).desc(nulls_last=True)
            if name.startswith("-")
            else F(name).asc(nulls_last=True)
            for name in ordering
        ]
        return queryset.order_by(*expressions, "pk")
