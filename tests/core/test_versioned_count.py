"""Numbered sales-history pages count once per change of the table (core.counts, ADR 50).

Every statement that writes the sales history (the ORM, raw SQL, COPY, TRUNCATE) changes its
version in ``core_tableversion`` through a statement trigger; the cached ``COUNT(*)`` of a
query is served only under the version it was counted at. A count is never stale, the second
identical page runs no ``COUNT``, and a tenant never receives another tenant's count.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.models import DemandHistory
from core.counts import table_version, versioned_count
from tests.conftest import HOST_A, HOST_B, client_for, schema_for_host
from tests.factories import LocationFactory, ProductFactory, UserFactory, sales

pytestmark = pytest.mark.django_db

TABLE = DemandHistory._meta.db_table
URL = "/api/v1/sales-history/?page_size=5"


def _page(client, url: str = URL) -> tuple[int, int]:
    """(the page's count, how many COUNT queries answering it ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    return response.json()["count"], len(counts)


def _raw_insert(product_id: int, location_id: int, day: dt.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (product_id, location_id, date, quantity, on_promotion) "  # noqa: S608
            "VALUES (%s, %s, %s, 3, false)",
            [product_id, location_id, day],
        )


def test_every_kind_of_write_gives_the_table_a_new_version():
    product, location = ProductFactory(), LocationFactory()
    sales(product, location, [1, 2, 3])
    seen = [table_version(TABLE)]
    writes = [
        lambda c: _raw_insert(product.id, location.id, dt.date(2020, 1, 1)),
        lambda c: c.execute(f"UPDATE {TABLE} SET quantity = quantity + 1"),  # noqa: S608
        lambda c: c.execute(f"DELETE FROM {TABLE} WHERE date = '2020-01-01'"),  # noqa: S608
        lambda c: _copy_one(c, product.id, location.id),
        lambda c: c.execute(f"UPDATE {TABLE} SET quantity = 0 WHERE false"),  # noqa: S608
        lambda c: c.execute(f"TRUNCATE {TABLE}"),
    ]
    with connection.cursor() as cursor:
        for write in writes:
            write(cursor)
            seen.append(table_version(TABLE))
    assert None not in seen
    assert len(set(seen)) == len(seen), seen  # each statement, one version of its own
    assert seen == sorted(seen)


def _copy_one(cursor, product_id: int, location_id: int) -> None:
    with cursor.cursor.copy(
        f"COPY {TABLE} (product_id, location_id, date, quantity, on_promotion) FROM STDIN"
    ) as copy:
        copy.write_row((product_id, location_id, dt.date(2019, 5, 5), 7, False))


def test_reading_leaves_the_version_alone():
    sales(ProductFactory(), LocationFactory(), [1, 2])
    before = table_version(TABLE)
    list(DemandHistory.objects.all())
    DemandHistory.objects.select_for_update().filter(pk=-1).exists()
    assert table_version(TABLE) == before


def test_a_numbered_page_counts_once_until_the_table_changes(tenant_admin):
    product, location = ProductFactory(), LocationFactory()
    sales(product, location, [1] * 7)
    client = client_for(HOST_A, tenant_admin)
    assert _page(client) == (7, 1)
    assert _page(client) == (7, 0)  # the cached count, no COUNT(*)
    assert _page(client, URL + "&page=2") == (7, 0)  # another page of the same query
    _raw_insert(product.id, location.id, dt.date(2020, 1, 1))  # behind the ORM's back
    assert _page(client) == (8, 1)
    assert _page(client) == (8, 0)
    DemandHistory.objects.filter(date=dt.date(2020, 1, 1)).delete()
    assert _page(client) == (7, 1)
    # Each filter is a query of its own, with its own count.
    other = ProductFactory()
    sales(other, location, [2, 2])
    assert _page(client, URL + f"&sku={other.sku}") == (2, 1)
    assert _page(client, URL + f"&sku={other.sku}") == (2, 0)
    assert _page(client) == (9, 1)


def test_a_cursor_page_still_counts_nothing(tenant_admin):
    sales(ProductFactory(), LocationFactory(), [1] * 3)
    client = client_for(HOST_A, tenant_admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL + "&cursor=")
    assert response.status_code == 200 and "count" not in response.json()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_tenants_never_share_a_count(tenant_admin, tenant_b):
    """The same query in two tenants: two counts, each of its own rows, however the cache was
    filled."""
    sales(ProductFactory(), LocationFactory(), [1] * 4)
    with schema_context(schema_for_host(HOST_B)):
        sales(ProductFactory(), LocationFactory(), [1] * 9)
        admin_b = UserFactory(role=User.Role.ADMIN)
    client_a = client_for(HOST_A, tenant_admin)
    client_b = client_for(HOST_B, admin_b)
    assert _page(client_a)[0] == 4
    assert _page(client_b)[0] == 9
    assert _page(client_a) == (4, 0)
    assert _page(client_b) == (9, 0)


def test_the_count_is_exact_when_the_cache_does_not_answer(monkeypatch):
    sales(ProductFactory(), LocationFactory(), [1] * 3)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert versioned_count(DemandHistory.objects.all(), TABLE) == 3


def test_a_table_without_a_version_is_counted_every_time():
    sales(ProductFactory(), LocationFactory(), [1] * 2)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_tableversion WHERE name = %s", [TABLE])
    assert table_version(TABLE) is None
    with CaptureQueriesContext(connection) as queries:
        assert versioned_count(DemandHistory.objects.all(), TABLE) == 2
        assert versioned_count(DemandHistory.objects.all(), TABLE) == 2
    assert len([q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]) == 2


def test_queries_that_count_different_rows_never_share_an_entry():
    """The key leaves out only what a count ignores (ordering, select_related): filters, and
    the columns of a DISTINCT, keep two counts apart."""
    product, other = ProductFactory(), ProductFactory()
    location = LocationFactory()
    sales(product, location, [1] * 3)
    sales(other, location, [1] * 2)
    rows = DemandHistory.objects.all()
    assert versioned_count(rows, TABLE) == 5
    assert versioned_count(rows.filter(product=product), TABLE) == 3
    assert versioned_count(rows.filter(product=other), TABLE) == 2
    assert versioned_count(rows.values("product").distinct(), TABLE) == 2
    assert versioned_count(rows.values("location").distinct(), TABLE) == 1
    assert versioned_count(rows.filter(product=product)[:2], TABLE) == 2
    with CaptureQueriesContext(connection) as queries:
        # The same rows in another order, or with their product joined: the cached count.
        assert versioned_count(rows.order_by("-date").select_related("product"), TABLE) == 5
        assert versioned_count(rows.values("location").distinct(), TABLE) == 1
    assert not queries.captured_queries
