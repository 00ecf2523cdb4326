"""The values plan's compiled row writer and the UTC datetime writer (issue 17, ADR 49):
exactly what DRF writes, for any value and any name."""

from __future__ import annotations

import datetime
import decimal
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


# --- writers inlined in the compiled row writer (issue 17) ---------------------------------

DECIMAL_FIELDS = [
    serializers.DecimalField(max_digits=14, decimal_places=3),
    serializers.DecimalField(max_digits=16, decimal_places=4),
    serializers.DecimalField(max_digits=6, decimal_places=2),
    serializers.DecimalField(max_digits=None, decimal_places=2),
    serializers.DecimalField(max_digits=8, decimal_places=0),
    serializers.DecimalField(max_digits=5, decimal_places=1, coerce_to_string=False),
]
DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(
        lambda digits, places, negative: decimal.Decimal(
            f"{'-' if negative else ''}{digits // 10**places}.{digits % 10**places:0{places}d}"
            if places
            else f"{'-' if negative else ''}{digits}"
        ),
        st.integers(0, 10**17),
        st.integers(0, 5),
        st.booleans(),
    ),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def _through_plan(field, value):
    """``value`` written by a one-step plan's compiled writer (the inline expression; its
    ``repr`` in the comparisons tells a "1" from a 1)."""
    plan = StepList([("x", "x", None, _writer(field), field)])
    return write_values_rows(plan, _Serializer(), [{"x": value}])[0]["x"]


def _drf(field, value):
    try:
        written = field.to_representation(value)
    except Exception as error:  # (the same error type is the contract)
        return ("error", type(error))
    return ("ok", repr(written))  # (repr: a NaN is not equal to itself)


def _ours(field, value):
    try:
        written = _through_plan(field, value)
    except Exception as error:
        return ("error", type(error))
    return ("ok", repr(written))


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(range(len(DECIMAL_FIELDS))), DECIMALS)
def test_inlined_decimals_are_written_as_drf_writes_them(which, value):
    """At the field's scale (a numeric column's every value) the inline text; any other
    value (another scale, exponents, specials, too many digits, negatives at max_digits, an
    int or a float) goes through the writer: always DRF's answer or DRF's error."""
    field = DECIMAL_FIELDS[which]
    assert _ours(field, value) == _drf(field, value)


def test_inlined_decimals_at_the_edges_of_max_digits_and_scale():
    field = serializers.DecimalField(max_digits=6, decimal_places=2)
    for text in (
        "9999.99", "-9999.99", "10000.00", "-10000.00", "0.00", "-0.00", "1.2E+3",
        "1.20E+3", "12.3", "12.345", "NaN", "-Infinity", "0.001", "1234.5",
    ):  # fmt: skip
        value = decimal.Decimal(text)
        assert _ours(field, value) == _drf(field, value), text
    # No max_digits: the context's precision (28) bounds the quantize, here and in DRF.
    field = serializers.DecimalField(max_digits=None, decimal_places=2)
    for text in ("1" * 26 + ".00", "1" * 27 + ".00", "-" + "1" * 26 + ".00", "1" * 40 + ".00"):
        value = decimal.Decimal(text)
        assert _ours(field, value) == _drf(field, value), text
        if len(text) < 30:
            assert _writer(field)(value) == _through_plan(field, value)


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        st.dates(),
        st.datetimes(),
        st.datetimes(timezones=st.just(datetime.UTC)),
        st.datetimes(timezones=st.just(zoneinfo.ZoneInfo("Europe/Berlin"))),
        st.text(max_size=12),
    )
)
def test_inlined_dates_and_datetimes_are_written_as_drf_writes_them(value):
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        for field in (serializers.DateField(), serializers.DateTimeField()):
            if isinstance(value, datetime.datetime) and isinstance(field, serializers.DateField):
                continue  # (DRF's DateField refuses a datetime: an assertion, not output)
            assert _ours(field, value) == _drf(field, value), (field, value)


class _Text(str):
    pass


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.booleans()))
def test_inlined_casts_are_written_as_drf_writes_them(value):
    """A value of the field's own type is itself; a subclass (a bool for an integer, a str
    subclass) or another type is cast as DRF casts it."""
    for field in (serializers.CharField(), serializers.IntegerField(), serializers.FloatField()):
        for candidate in (value, _Text(str(value))):
            assert _ours(field, candidate) == _drf(field, candidate), (field, candidate)


def test_rows_read_by_position_are_written_as_rows_read_by_name():
    """A compiled children query's tuples (``positions``) are written as the same rows read
    as ``.values()`` dicts; that writer is not kept as the plan's own, and a plan with a
    method field or children cannot read by position."""
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    due = serializers.DateField()
    plan = StepList(
        [
            ("id", "id", None, _identity, None),
            ("sku", "product__sku", None, _writer(serializers.CharField()), None),
            ("quantity", "quantity", None, _writer(quantity), quantity),
            ("due", "due", None, _writer(due), due),
        ]
    )
    names = ["order_id", "due", "quantity", "id", "product__sku"]  # (the select's order)
    tuples = [
        (1, datetime.date(2026, 1, 2), decimal.Decimal("1.500"), 10, "A"),
        (1, None, decimal.Decimal("2.5"), 11, "B"),
        (2, datetime.date(2026, 3, 4), None, 12, None),
    ]
    by_position = rows_writer(plan, {name: at for at, name in enumerate(names)})
    by_name = write_values_rows(
        plan, _Serializer(), [dict(zip(names, t, strict=True)) for t in tuples]
    )
    assert by_position(tuples, (), ()) == by_name
    assert by_name[1] == {"id": 11, "sku": "B", "quantity": "2.500", "due": None}
    assert plan.rows_writer is not by_position
    with pytest.raises(ValueError):
        rows_writer(StepList([("twice", None, "get_twice", None, None)]), {"amount": 0})
