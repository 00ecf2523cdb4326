"""Filters shared by the API's filter sets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms


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
