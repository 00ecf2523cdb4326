"""core.filters.FilterSet builds its form class once per FilterSet class (ADR 27), except when a
filter's queryset depends on the request."""

from __future__ import annotations

import django_filters
import pytest
from django.http import QueryDict

from catalog.models import Location, StockLevel
from core.filters import FilterSet
from inventory.filters import ProductFilter
from tests.core.test_query_counts import _stock_levels

pytestmark = pytest.mark.django_db


def test_form_class_is_built_once_and_filters_still_apply():
    first = ProductFilter(QueryDict("sku=A"), queryset=None).form.__class__
    second = ProductFilter(QueryDict("sku=B"), queryset=None).form.__class__
    assert first is second
    assert ProductFilter(QueryDict("sku=A")).form.data["sku"] == "A"


def test_request_dependent_querysets_are_built_per_request():
    def locations(request):
        return Location.objects.filter(is_active=True)

    class ByLocation(FilterSet):
        location = django_filters.ModelChoiceFilter(queryset=locations)

        class Meta:
            model = StockLevel
            fields = ("location",)

    class ByAnyLocation(FilterSet):
        location = django_filters.ModelChoiceFilter(queryset=Location.objects.all())

        class Meta:
            model = StockLevel
            fields = ("location",)

    assert ByLocation(QueryDict("")).form.__class__ is not ByLocation(QueryDict("")).form.__class__
    assert (
        ByAnyLocation(QueryDict("")).form.__class__ is ByAnyLocation(QueryDict("")).form.__class__
    )
    _stock_levels(2)
    level = StockLevel.objects.first()
    found = ByAnyLocation(QueryDict(f"location={level.location_id}"), StockLevel.objects.all())
    assert list(found.qs) == list(StockLevel.objects.filter(location_id=level.location_id))
