"""Django's timestamptz loader parsing with psycopg's C loader (core.pgloaders, ADR 37) reads
every value exactly as Django's own loader (psycopg's Python parser, then Django's tzinfo)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import DataError, connection
from psycopg.types.datetime import TimestamptzLoader

from core import pgloaders
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "2026-12-07 04:57:20.257084+00",
    "2026-12-07 04:57:20+00",
    "2026-12-07 04:57:20.5+00",
    "2026-03-29 01:30:00.000001+02",
    "2026-10-25 23:59:59.999999-05:30",
    "1999-12-31 23:59:59+14",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00-00:25:21",
]


def _django_reference(oid: int, text: bytes) -> dt.datetime:
    """Django's own algorithm: psycopg's Python parser, then Django's time zone."""
    return (
        TimestamptzLoader(oid, connection.connection).load(text).replace(tzinfo=connection.timezone)
    )


def test_installed_with_the_compiled_implementation():
    expected = psycopg.pq.__impl__ in ("c", "binary")
    assert pgloaders.install() is expected
    if expected:
        assert pgloaders.compiled_timestamptz_loader() is not None


@pytest.mark.parametrize("text", TEXTS)
def test_values_as_djangos_loader(text):
    oid = psycopg.postgres.types["timestamptz"].oid
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, (%s::timestamptz)::text", [text, text])
        value, as_text = cursor.fetchone()
    reference = _django_reference(oid, as_text.encode())
    assert value == reference
    assert value.tzinfo is reference.tzinfo is connection.timezone
    assert (value.isoformat(), value.microsecond) == (reference.isoformat(), reference.microsecond)


def test_infinity_is_a_data_error_both_ways():
    with connection.cursor() as cursor, pytest.raises(DataError, match="after year 10K"):
        cursor.execute("SELECT 'infinity'::timestamptz")
        cursor.fetchone()
    oid = psycopg.postgres.types["timestamptz"].oid
    with pytest.raises(psycopg.DataError, match="after year 10K"):
        _django_reference(oid, b"infinity")


def test_models_read_the_same_instant(tenant_admin):
    product = ProductFactory()
    product.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at::text FROM inventory_product WHERE id = %s", [product.pk])
        (text,) = cursor.fetchone()
    oid = psycopg.postgres.types["timestamptz"].oid
    assert product.created_at == _django_reference(oid, text.encode())
    assert product.created_at.tzinfo is connection.timezone
