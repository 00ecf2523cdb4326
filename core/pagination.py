"""Page-number pagination, and keyset (cursor) pagination for the large, growing tables.

``?page=N&page_size=M`` answers ``count``, ``next``, ``previous`` and ``results``; its
``COUNT(*)`` grows with the table while the page query does not. Lists of tables that grow
without bound (sales history, the stock ledger) also take ``?cursor=`` (ADR 37): an empty
cursor starts at the beginning, ``next`` carries the cursor of the following page, and the
answer is ``next`` and ``results`` only: one query whatever the table's size, the page is
read from the unique index by a row comparison (``(a, b, c) > (x, y, z)``) on the view's
``cursor_ordering``, which must end in a unique key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F, Window
from django.db.models.fields.tuple_lookups import TupleGreaterThan, TupleLessThan
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination as _PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class PageNumberPagination(_PageNumberPagination):
    """``?page=N&page_size=M`` (M at most 1000); ``count``, ``next``, ``previous``, ``results``."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_with_total(self, queryset, request, view=None):
        """``paginate_queryset`` in one query: the page's rows carry the total
        (``COUNT(*) OVER ()``, computed before the ``LIMIT``), so the separate ``COUNT(*)`` goes
        (ADR 37). For the bounded lists read with ``.values()`` (``core.lists``); the window
        counts every matching row, so a ``DISTINCT`` or grouped query, ``page=last``, a page
        number that is not a plain positive integer and an empty page after the first take
        ``paginate_queryset`` (its answer, its errors). Returns the page's rows (dicts)."""
        query = queryset.query
        raw = request.query_params.get(self.page_query_param) or "1"
        size = self.get_page_size(request)
        if (
            not size
            or query.distinct
            or query.group_by is not None
            or query.combinator
            or query.is_sliced
            or not isinstance(raw, str)
            or not raw.isascii()
            or not raw.isdigit()
            or int(raw) < 1
        ):
            return self.paginate_queryset(queryset, request, view)
        self.request = request
        number = int(raw)
        offset = (number - 1) * size
        paged = queryset.annotate(**{_TOTAL: _PAGE_TOTAL})
        # What ``[offset : offset + size]`` does, on annotate's clone instead of one more.
        paged.query.set_limits(offset, offset + size)
        rows = list(paged)
        if not rows and number > 1:
            return self.paginate_queryset(queryset, request, view)  # DRF's own 404
        paginator = self.django_paginator_class(queryset, size)
        paginator.__dict__["count"] = rows[0].pop(_TOTAL) if rows else 0
        for row in rows[1:]:
            del row[_TOTAL]
        self.page = paginator._get_page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows


class _PageTotal(Window):
    """``COUNT(*) OVER ()`` read as PostgreSQL returns it: a ``bigint``, already a Python int.
    Django's ``Window(Count("*"))`` converts its integer output with ``int()`` per row, the only
    converter of the products page (and so the only reason the page's rows go through
    ``apply_converters``)."""

    convert_value = staticmethod(Window._convert_value_noop)


_TOTAL = "page_total_rows"
# One expression for every page: ``annotate`` resolves a copy of it, and the copy keeps the
# ``identity`` (hash) computed here from the constructor's arguments, which the compiler asks
# for (through ``inspect.Signature.bind``) when the page has an ORDER BY.
_PAGE_TOTAL = _PageTotal(Count("*"))
hash(_PAGE_TOTAL)


class PageOrCursorPagination(PageNumberPagination):
    """Page numbers as before, or a keyset cursor when the request has ``cursor``.

    The view names its keyset in ``cursor_ordering`` (model field names, all ascending or all
    descending, ending in a unique key). ``ordering=`` cannot be combined with a cursor (400).
    """

    cursor_query_param = "cursor"
    cursor_mode = False

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        fields: Sequence[str] = view.cursor_ordering
        if request.query_params.get("ordering"):
            raise serializers.ValidationError(
                {"ordering": ["A cursor pages in the list's fixed order; leave out ordering."]}
            )
        self.request = request
        size = self.get_page_size(request)
        descending = fields[0].startswith("-")
        names = [name.lstrip("-") for name in fields]
        queryset = queryset.order_by(*fields)
        position = self._decode(request.query_params[self.cursor_query_param], queryset, names)
        if position is not None:
            columns = tuple(F(name) for name in names)
            lookup = TupleLessThan if descending else TupleGreaterThan
            queryset = queryset.filter(lookup(columns, position))
        rows = list(queryset[: size + 1])
        self.next_position = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            if isinstance(last, dict):  # a page read with .values() (core.lists)
                self.next_position = [last[name] for name in names]
            else:
                self.next_position = [getattr(last, name) for name in names]
        return rows

    # --- cursor text: base64url of a JSON list of the last row's key values --------------------

    @staticmethod
    def _encode(values: list[Any]) -> str:
        text = json.dumps(
            [value.isoformat() if hasattr(value, "isoformat") else value for value in values],
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _decode(self, text: str, queryset, names: list[str]) -> tuple[Any, ...] | None:
        if not text:
            return None
        invalid = serializers.ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            values = json.loads(raw)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise invalid from None
        if not isinstance(values, list) or len(values) != len(names):
            raise invalid
        model = queryset.model
        position = []
        for name, value in zip(names, values, strict=True):
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            if value is None or isinstance(value, (dict, list, bool)):
                raise invalid
            try:
                python = field.to_python(value)
            except (DjangoValidationError, TypeError, ValueError, OverflowError):
                raise invalid from None
            if isinstance(python, int) and not -(2**63) <= python < 2**63:
                raise invalid
            if isinstance(python, dt.datetime) and python.tzinfo is None:
                raise invalid  # cursors carry aware times
            position.append(python)
        return tuple(position)

    # --- answer and schema -----------------------------------------------------------------------

    def get_next_link(self):
        if not self.cursor_mode:
            return super().get_next_link()
        if self.next_position is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return replace_query_param(url, self.cursor_query_param, self._encode(self.next_position))

    def get_paginated_response(self, data):
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["required"] = ["next", "results"]
        answer["description"] = (
            "With `page`: `count`, `next`, `previous` and `results`. With `cursor`: "
            "`next` (the following page's link, null on the last page) and `results` only."
        )
        return answer

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Keyset pagination: empty for the first page, then the cursor in `next`. "
                    "No `count`; `page` is ignored and `ordering` refused."
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters
