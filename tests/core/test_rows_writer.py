"""The values plan's compiled row writer and the UTC datetime writer (issue 17, ADR 49):
exactly what DRF writes, for any value and any name."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from core.serializers import (
    Children,
    StepList,
    _datetime_writer,
    _identity,
    _writer,
    rows_writer,
    write_values_rows,
)


@settings(max_examples=3000, deadline=None)
@given(st.datetimes(timezones=st.just(datetime.UTC)))
def test_utc_datetimes_are_written_as_drf_writes_them(value):
    field = serializers.DateTimeField()
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert _datetime_writer(field)(value) == field.to_representation(value)


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 1),
        max_value=datetime.datetime(2200, 1, 1),
        timezones=st.sampled_from(
            [datetime.UTC, zoneinfo.ZoneInfo("Europe/Berlin"), zoneinfo.ZoneInfo("UTC")]
        ),
    ),
    st.sampled_from(["UTC", "Europe/Berlin", "America/Sao_Paulo"]),
)
def test_other_zones_and_tzinfos_are_written_as_drf_writes_them(value, zone):
    field = serializers.DateTimeField()
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        assert _datetime_writer(field)(value) == field.to_representation(value)


class _Serializer:
    def get_twice(self, row):
        return row.amount * 2


NAMES = st.text(min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(NAMES, min_size=1, max_size=6, unique=True),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), min_size=6, max_size=6),
)
def test_any_names_and_values_are_written_by_the_generic_rules(names, values):
    """Names with quotes, backslashes or newlines are literals, never code; None is null,
    an identity step passes the value, any other writer is called with it."""
    plan = StepList()
    row = {}
    for position, name in enumerate(names):
        write = _identity if position % 2 else repr
        plan.append((name, f"column {name}", None, write, None))
        row[f"column {name}"] = values[position]
    written = write_values_rows(plan, _Serializer(), [row, row])
    expected = {
        name: None if values[i] is None else (values[i] if i % 2 else repr(values[i]))
        for i, name in enumerate(names)
    }
    assert written == [expected, expected]
    assert list(written[0]) == names  # the plan's order


def test_method_fields_and_children_in_the_plan_order_and_the_writer_is_kept():
    class _Fetch(Children):
        def fetch(self, queryset, ids):
            return {parent: [{"line": parent}] for parent in ids}

    children = _Fetch("lines", None, "order_id", None, [], [])
    plan = StepList(
        [
            ("id", "id", None, _identity, None),
            ("twice", None, "get_twice", None, None),
            ("lines", "id", None, children, None),
            ("amount", "amount", None, str, None),
        ]
    )
    rows = [{"id": 1, "amount": 3}, {"id": 2, "amount": None}]
    assert write_values_rows(plan, _Serializer(), []) == []
    compiled = plan.rows_writer
    assert compiled is not None and rows_writer(plan) is compiled
    assert write_values_rows(plan, _Serializer(), [rows[0]]) == [
        {"id": 1, "twice": 6, "lines": [{"line": 1}], "amount": "3"}
    ]
    with pytest.raises(TypeError):  # a method's error is the caller's, as before
        write_values_rows(plan, _Serializer(), rows)
    # A plain list is written the same, compiled for the call.
    assert write_values_rows(list(plan), _Serializer(), [rows[0]]) == write_values_rows(
        plan, _Serializer(), [rows[0]]
    )


def test_a_field_writer_is_what_drf_writes_through_the_plan():
    field = serializers.DateTimeField()
    value = datetime.datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=datetime.UTC)
    plan = StepList([("at", "at", None, _writer(field), field)])
    assert write_values_rows(plan, _Serializer(), [{"at": value}, {"at": None}]) == [
        {"at": field.to_representation(value)},
        {"at": None},
    ]
