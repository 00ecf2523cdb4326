"""List views that read their page with ``.values()`` instead of model instances (ADR 37).

:class:`ValuesListMixin` goes before ``ListModelMixin`` (or a viewset that has it). ``list``
filters, orders and paginates the view's queryset exactly as before, then reads the page's
columns with ``.values()`` and writes each row with the serializer's values plan
(``core.serializers.values_plan``): the same columns, converters and writers as the instance
path, so the JSON is byte-identical, without constructing a model (and its select_related
objects) per row. A serializer whose fields do not all map to columns, and a keyset page,
keep DRF's own ``list``. The plan is built once per serializer class and time zone.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.response import Response

from core.serializers import values_plan, write_values_rows

_PLANS: dict[tuple[type, str], Any] = {}


def _plan_for(serializer_class: type) -> Any:
    key = (serializer_class, timezone.get_current_timezone_name())
    try:
        return _PLANS[key]
    except KeyError:
        planned = _PLANS[key] = values_plan(serializer_class())
        return planned


class ValuesListMixin:
    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer()  # type: ignore[attr-defined]
        planned = _plan_for(type(serializer))
        paginator = self.paginator  # type: ignore[attr-defined]
        cursor = getattr(paginator, "cursor_query_param", None)
        if planned is None or (cursor and cursor in request.query_params):
            return super().list(request, *args, **kwargs)  # type: ignore[misc]
        plan, columns = planned
        queryset = self.filter_queryset(self.get_queryset()).values(*columns)  # type: ignore[attr-defined]
        if paginator is not None and hasattr(paginator, "paginate_with_total"):
            page = paginator.paginate_with_total(queryset, request, self)
        else:
            page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        rows = write_values_rows(plan, serializer, list(queryset if page is None else page))
        if page is None:
            return Response(rows)
        return self.get_paginated_response(rows)  # type: ignore[attr-defined]
