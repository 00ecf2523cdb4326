"""A FilterSet that builds its form class once per FilterSet class instead of once per request
(ADR 27).

django-filter deep-copies the declared filters for every request and then builds a new form
class from them: on the products list, whose filter has seventeen fields, that was a tenth of
the request. The form class depends only on the declared filters, so it is made on the first
request and reused; Django still deep-copies the form's fields for every form, and model
choice fields get a fresh queryset then (evaluated in the request's schema). A FilterSet with
a request-dependent queryset (``queryset=callable``) keeps django-filter's per-request build.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
import django_filters.rest_framework
import rest_framework.filters
from django import forms
from django_filters.filters import QuerySetRequestMixin


class FilterSet(django_filters.FilterSet):
    def get_form_class(self) -> Any:
        cls = type(self)
        cached = cls.__dict__.get("_form_class_cache")
        if cached is not None:
            return cached
        form_class = super().get_form_class()
        if not any(
            isinstance(declared, QuerySetRequestMixin) and callable(declared.queryset)
            for declared in self.base_filters.values()
        ):
            cls._form_class_cache = form_class  # type: ignore[attr-defined]
        return form_class


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, compared in UTC.

    Any offset ISO 8601 allows is accepted (``-22:55`` included) and turned into UTC before it
    reaches PostgreSQL, which refuses offsets beyond ±15:59; an instant outside the years
    1–9999 once in UTC is invalid input, not a server error.
    """

    def to_python(self, value: object) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError("Date-time out of range.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


# Query parameters that are never a filter's (pagination, ordering, format).
_NOT_FILTERS = frozenset({"page", "page_size", "ordering", "cursor", "format"})


class DjangoFilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """django-filter's backend, skipped when the request names no filter (ADR 37).

    A filterset bound to no filter parameter validates and returns the queryset unchanged, but
    builds its form (a deep copy of every field) on the way: a tenth of a 50-row list. The
    backend returns the queryset as is when every query parameter is one of ``_NOT_FILTERS``
    (and no filter has that name), no filter is required and the filterset does not override
    ``filter_queryset``; otherwise, or for any other parameter, django-filter runs as before.
    """

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and _nothing_to_filter(filterset_class, request):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _nothing_to_filter(filterset_class: Any, request: Any) -> bool:
    if filterset_class.filter_queryset is not django_filters.FilterSet.filter_queryset:
        return False
    filters = filterset_class.base_filters
    if any(declared.extra.get("required") for declared in filters.values()):
        return False
    allowed = _NOT_FILTERS.difference(filters)
    return all(name in allowed for name in request.query_params)


class OrderingFilter(rest_framework.filters.OrderingFilter):
    """DRF's ``?ordering=``, with the primary key appended as a tie-breaker: ordering by a
    column with repeated values (``on_hand``, ``quantity``) otherwise leaves the order of ties
    to the query plan, so a row could appear on two pages, or on none, as a client pages."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(str(f).lstrip("-") in ("pk", "id") for f in ordering):
            ordering = [*ordering, "pk"]
        return ordering
