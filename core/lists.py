"""List views that read their page with ``.values()`` instead of model instances (ADR 37).

:class:`ValuesListMixin` goes before ``ListModelMixin`` (or a viewset that has it). ``list``
filters, orders and paginates the view's queryset exactly as before, then reads the page's
columns with ``.values()`` and writes each row with the serializer's values plan
(``core.serializers.values_plan``): the same columns, converters and writers as the instance
path, so the JSON is byte-identical, without constructing a model (and its select_related
objects) per row. A nested ``many=True`` serializer over a reverse foreign key (an order's
lines) is read for the whole page in one more query. A keyset page (``cursor=``) is read the
same way when its key is among the plan's columns. A serializer whose fields do not all map
to columns keeps DRF's own ``list``. The plan is built once per serializer class and time
zone. ``values_list_response`` serves hand-written list actions the same way.
"""

from __future__ import annotations

from types import MethodType
from typing import Any

from django.db.models.query import ValuesIterable
from django.utils import timezone
from rest_framework.response import Response

from core.counts import versioned_count
from core.serializers import values_plan, write_values_rows

_PLANS: dict[tuple[type, str], Any] = {}


def _plan_for(serializer_class: type) -> Any:
    key = (serializer_class, timezone.get_current_timezone_name())
    try:
        return _PLANS[key]
    except KeyError:
        planned = _PLANS[key] = values_plan(serializer_class())
        return planned


def values_list_response(
    view: Any, request: Any, queryset: Any, serializer_class: type | None = None
) -> Response | None:
    """The paginated answer of ``queryset`` (filtered and ordered; or a callable giving it
    from the plan's columns, called only when the fast path applies) read with ``.values()``
    (unless it is already a ``.values()`` of exactly those columns) and written with
    ``serializer_class``'s values plan (default: the view's), or None when the serializer
    does not qualify, or for a keyset page whose key is not among the plan's columns: the
    caller then takes DRF's path. For hand-written list actions as well as
    ``ValuesListMixin``. The view's ``values_total_with_page = False`` keeps the separate
    ``COUNT(*)`` (for a table so large that a window over every matching row costs more)."""
    planned = _plan_for(serializer_class or view.get_serializer_class())
    if planned is None:
        return None
    plan, columns = planned
    paginator = view.paginator
    cursor = getattr(paginator, "cursor_query_param", None)
    keyset = bool(cursor and cursor in request.query_params)
    if keyset:
        keys = [name.lstrip("-") for name in getattr(view, "cursor_ordering", ())]
        if not keys or not all(key in columns for key in keys):
            return None
    if callable(queryset):
        queryset = queryset(tuple(columns))
    if not keyset:
        queryset = stable_ordering(queryset)
    # ``prefetch_related(None)`` is a clone of the whole query: only when there is a prefetch.
    unprefetched = (
        queryset.prefetch_related(None) if queryset._prefetch_related_lookups else queryset
    )
    values = unprefetched if _is_values_of(unprefetched, columns) else unprefetched.values(*columns)
    # A separate COUNT(*) counts the queryset as it was (as DRF's path does): ``.values()``
    # joins the tables of ``a__b`` columns, which the count does not need (on the sales
    # history, twice the count's time in PostgreSQL).
    # A view naming ``count_versioned_by`` (a table with core.TableVersion's trigger) counts
    # once per change of that table (core.counts, ADR 50).
    versioned_by = getattr(view, "count_versioned_by", None)
    # A bound method: Django's Paginator calls ``count`` only when it looks like one (else it
    # takes ``len()`` of the whole queryset).
    values.count = (  # type: ignore[method-assign]
        MethodType(lambda _values: versioned_count(unprefetched, versioned_by), values)
        if versioned_by
        else unprefetched.count
    )
    if keyset or paginator is None:
        page = view.paginate_queryset(values)
    elif hasattr(paginator, "paginate_with_total") and getattr(
        view, "values_total_with_page", True
    ):
        page = paginator.paginate_with_total(values, request, view)
    else:
        page = view.paginate_queryset(values)
    serializer = (serializer_class or view.get_serializer_class())(
        context=view.get_serializer_context()
    )
    rows = write_values_rows(plan, serializer, list(values if page is None else page), queryset)
    if page is None:
        return Response(rows)
    return view.get_paginated_response(rows)


def _is_values_of(queryset: Any, columns: list[str]) -> bool:
    """Whether ``queryset`` is already ``.values(*columns)``: dict rows of exactly those
    columns and nothing else (a filter that annotated more after it fails this, and the
    page takes ``.values(*columns)`` again). A view's per-process template (issue 17)."""
    query = queryset.query
    return (
        queryset._iterable_class is ValuesIterable
        and queryset._fields == tuple(columns)
        and not query.extra_select
        and len(query.values_select) + len(query.annotation_select) == len(columns)
        and {*query.values_select, *query.annotation_select} == set(columns)
    )


def stable_ordering(queryset: Any) -> Any:
    """``queryset`` ordered so that no two rows tie: its ordering (explicit, else the model's
    ``Meta.ordering``) with ``pk`` appended unless it already names the primary key or every
    field of a unique constraint. Ties otherwise come in whatever order PostgreSQL's plan
    gives, so a row could appear on two pages, or on none. An ordering by expressions, and
    grouped, ``extra()`` or ``DISTINCT ON`` queries, are left alone."""
    query = queryset.query
    meta = query.get_meta()
    if query.extra_order_by or query.distinct_fields or query.combinator:
        return queryset
    if query.group_by is not None:
        return queryset  # the pk would join the GROUP BY and change the rows
    if query.order_by:
        ordering = list(query.order_by)
    elif query.default_ordering and meta.ordering:
        ordering = list(meta.ordering)
    else:
        ordering = []
    if not all(isinstance(item, str) for item in ordering):
        return queryset
    names = {item.lstrip("-?") for item in ordering}
    if names & {"pk", meta.pk.name, meta.pk.attname} or _unique_within(meta, names):
        return queryset
    return queryset.order_by(*ordering, "pk")


def _unique_within(meta: Any, names: set[str]) -> bool:
    """Whether ``names`` (field names or attnames) cover a unique field or constraint."""

    def named(field_name: str) -> bool:
        field = meta.get_field(field_name)
        return field.name in names or getattr(field, "attname", None) in names

    for field in meta.concrete_fields:
        if field.unique and named(field.name):
            return True
    sets = [tuple(fields) for fields in meta.unique_together]
    sets += [
        constraint.fields
        for constraint in meta.total_unique_constraints  # no condition, no expressions
    ]
    return any(fields and all(named(name) for name in fields) for fields in sets)


_VALUES_TEMPLATES: dict[tuple[type, tuple[str, ...]], Any] = {}


class ValuesListMixin:
    # True when ``get_queryset()`` is the same for every request (it reads neither the user
    # nor the request; the tenant is the connection's search path when a clone runs): its
    # ``.values(*columns)`` is then resolved once per process and cloned per page.
    values_template = False

    def get_values_queryset(self, columns: tuple[str, ...]) -> Any:
        """The list's queryset, before its filters, for a page read as ``.values(*columns)``:
        with ``values_template``, a clone of that queryset resolved once per process (issue
        17: resolving ``.values()`` of twenty columns was 7 % of a products page's CPU, and
        its SQL is the same every time). A view whose queryset depends on the request may
        override this with its own templates (the products list)."""
        if not self.values_template or not getattr(self, "values_total_with_page", True):
            # (A separate COUNT(*) must count the queryset before ``.values()``: its joins.)
            return self.get_queryset()  # type: ignore[attr-defined]
        key = (type(self), columns)
        template = _VALUES_TEMPLATES.get(key)
        if template is None:
            template = _VALUES_TEMPLATES[key] = self.get_queryset().values(*columns)  # type: ignore[attr-defined]
        return template.all()

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = values_list_response(
            self,
            request,
            lambda columns: self.filter_queryset(  # type: ignore[attr-defined]
                self.get_values_queryset(columns)
            ),
        )
        if response is None:
            return super().list(request, *args, **kwargs)  # type: ignore[misc]
        return response
