"""The cheaper products page (issue 17) answers exactly what it answered before: the page total
without a converter (right on the last page, with filters, at a location), UTC datetimes
written without the conversion, and timestamps read by psycopg's C loader directly in a UTC
session. Each is compared with DRF's own list or with the reference algorithm it replaces."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from psycopg.types.datetime import TimestamptzLoader
from rest_framework import serializers

from catalog.models import Location, Product
from core.lists import ValuesListMixin
from core.pagination import _PAGE_TOTAL
from core.serializers import _writer
from tests.conftest import HOST_A, client_for
from tests.core.test_query_counts import _sellers, _stock_levels
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _drf_list(self, request, *args, **kwargs):
    return super(ValuesListMixin, self).list(request, *args, **kwargs)


ROWS = 9  # the test's products
SIZES = (2, 4, 7, 50)


def _pages(size: int) -> range:
    return range(1, -(-ROWS // size) + 2)  # every page, and one past the end


def _products_urls(location: str) -> list[str]:
    urls = [
        f"/api/v1/products/?page_size={size}&page={page}" for size in SIZES for page in _pages(size)
    ]
    urls += [
        "/api/v1/products/?page_size=3&page=last",
        "/api/v1/products/?page_size=4&page=3",  # the last page, two rows
        "/api/v1/products/?page_size=4&page=4",  # past the end: DRF's 404
        f"/api/v1/products/?location={location}",
        f"/api/v1/products/?location={location}&page_size=2&page=2",
        f"/api/v1/products/?location={location}&ordering=-stockout_risk&page_size=2&page=2",
        f"/api/v1/products/?location={location}&ordering=on_hand,name&page_size=3",
        f"/api/v1/products/?location={location.lower()}&page_size=1&page=last",
        "/api/v1/products/?excluded=true",
        "/api/v1/products/?excluded=false&page_size=2&page=2",
        "/api/v1/products/?ordering=-name&page_size=2&page=last",
        "/api/v1/products/?ordering=days_of_cover&page_size=3&page=2",
        "/api/v1/products/?ordering=-unit_price,sku&page_size=5",
        "/api/v1/products/?search=zzz-none",
        "/api/v1/inventory/metrics/?page_size=2&page=2",
        f"/api/v1/inventory/metrics/?location={location}&page_size=2&page=last",
        "/api/v1/stock-levels/?page_size=2&page=last",
        "/api/v1/stock-levels/?on_hand_min=21&page_size=1&page=2",
    ]
    return urls


def test_products_pages_equal_drf_across_sizes_orderings_filters_and_locations(
    tenant_admin, monkeypatch
):
    _sellers(5)
    ProductFactory(category=None)  # no category, no metrics
    _stock_levels(3)
    location = Location.objects.filter(stock_levels__on_hand__gte=20).first().code
    client = client_for(HOST_A, tenant_admin)
    urls = _products_urls(location)
    fast = {url: client.get(url) for url in urls}
    monkeypatch.setattr(ValuesListMixin, "list", _drf_list)
    for url in urls:
        plain = client.get(url)
        assert (fast[url].status_code, fast[url].content) == (plain.status_code, plain.content), url
    # The window's total is the filtered count on every page, the last one included.
    total = Product.objects.count()
    assert total == ROWS
    for size in SIZES:
        pages = [fast[f"/api/v1/products/?page_size={size}&page={page}"] for page in _pages(size)]
        assert [page.status_code for page in pages] == [200] * (len(pages) - 1) + [404], size
        answered = [page.json() for page in pages[:-1]]
        assert {body["count"] for body in answered} == {total}, size
        assert sum(len(body["results"]) for body in answered) == total, size
        assert answered[-1]["next"] is None
    last = fast["/api/v1/products/?page_size=4&page=3"].json()
    assert (last["count"], len(last["results"])) == (9, 1)
    assert fast["/api/v1/products/?page_size=4&page=4"].status_code == 404
    excluded = fast["/api/v1/products/?excluded=true"].json()
    assert excluded["count"] == 1 == len(excluded["results"])
    at_location = fast[f"/api/v1/products/?location={location}"].json()
    assert at_location["count"] == total
    assert {row["inventory"] is None for row in at_location["results"]} == {True, False}
    assert type(fast["/api/v1/products/?excluded=false&page_size=2&page=2"].json()["count"]) is int


def test_the_page_total_has_no_converter_and_is_an_int(tenant_admin):
    from core.pagination import _TOTAL

    _sellers(2)
    queryset = Product.objects.order_by("sku").values("id").annotate(**{_TOTAL: _PAGE_TOTAL})
    resolved = queryset.query.annotations[_TOTAL]
    assert queryset.query.get_compiler(connection=connection).get_converters([resolved]) == {}
    assert "identity" in vars(resolved)  # computed once, for the expression annotate copies
    rows = list(queryset[1:2])
    assert rows == [{"id": rows[0]["id"], _TOTAL: 2}] and type(rows[0][_TOTAL]) is int


def test_datetime_writer_writes_what_drf_writes_in_and_out_of_utc():
    class Subclass(dt.datetime):
        pass

    instants = [
        dt.datetime(2026, 12, 7, 4, 57, 20, 257084, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 4, 57, 20, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=zoneinfo.ZoneInfo("UTC")),
        Subclass(2026, 3, 29, 1, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 30),  # naive
    ]
    for zone in ("UTC", "Etc/UTC", "Asia/Kolkata", "America/New_York"):
        with timezone.override(zone):
            field = serializers.DateTimeField()
            write = _writer(field)
            for value in instants:
                try:
                    expected = field.to_representation(value)
                except serializers.ValidationError:
                    with pytest.raises(serializers.ValidationError):
                        write(value)
                    continue
                assert write(value) == expected, (zone, value)
    with timezone.override(dt.UTC):
        field = serializers.DateTimeField()
        assert _writer(field)(instants[0]) == field.to_representation(instants[0])
        assert _writer(field)(instants[0]) == "2026-12-07T04:57:20.257084Z"


def _timestamptz_loader(cursor):
    oid = psycopg.postgres.types["timestamptz"].oid
    return cursor.cursor._tx.get_loader(oid, psycopg.pq.Format.TEXT)


def test_a_utc_session_reads_with_the_compiled_loader_directly(tenant_admin):
    """In UTC (Django's session) the loader's ``load`` is the C loader's own; in another
    session time zone it keeps Django's ``replace``; the values are Django's either way."""
    oid = psycopg.postgres.types["timestamptz"].oid
    texts = [
        "2026-12-07 04:57:20.257084+00",
        "2026-03-29 01:30:00.000001+02",
        "0001-01-01 00:00+00",
    ]
    for zone, direct in (("UTC", True), ("Asia/Kolkata", False), ("Etc/UTC", False)):
        with connection.cursor() as cursor:
            cursor.execute(f"SET TIME ZONE '{zone}'")
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT "
                    + ", ".join("%s::timestamptz, (%s::timestamptz)::text" for _ in texts),
                    [text for text in texts for _ in (0, 1)],
                )
                row = cursor.fetchone()
                loader = _timestamptz_loader(cursor)
            assert ("load" in vars(loader)) is direct, zone
            for value, as_text in zip(row[0::2], row[1::2], strict=True):
                reference = (
                    TimestamptzLoader(oid, connection.connection)
                    .load(as_text.encode())
                    .replace(tzinfo=connection.timezone)
                )
                assert value == reference, (zone, as_text)
                assert value.tzinfo is reference.tzinfo is connection.timezone
                assert (value.isoformat(), value.fold) == (reference.isoformat(), reference.fold)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
