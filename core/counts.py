"""Exact ``COUNT(*)`` of a large table's rows, cached until the table changes (ADR 50).

A numbered page of a list answers ``count``: on the sales history that is a count of every
matching row, the most expensive part of the page (ADR 37). The count is cached per tenant
(the key is schema-qualified by django-tenants) and per query (its SQL and parameters: the
filters and the user's scope), together with the version of the table it was computed under
(``core.TableVersion``). The version is read from PostgreSQL on every page, so the cached
count is served only while the table is exactly as it was: every statement that writes the
table changes the version in its own transaction, through a trigger that no write path can
skip (the ORM, COPY, raw SQL, the admin, a restore's TRUNCATE).

Between reading the version and counting, a writer may commit: the count then describes newer
rows than the version read. It is stored under that older version, which no reader sees after
the commit, so it is never served; the race is the one a page without the cache already has
between its count and its rows.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django_tenants.utils import get_public_schema_name
from psycopg import sql

from core.cache import cached

NAMESPACE = "counts"
# Entries outlive no change of the table; the TTL only frees the memory of unread ones.
TTL_SECONDS = 60 * 60


def table_version(table: str, using: str = "default") -> int | None:
    """The version of ``table`` in the active tenant's schema, or None when it has none (a
    table without the trigger, or no tenant active).

    One primary-key read, schema-qualified and sent on the psycopg connection itself: a
    Django cursor would first send django-tenants' ``SET search_path``, a second round trip
    that would cost as much as the read. It is therefore absent from Django's query log."""
    wrapper = connections[using]
    schema = getattr(wrapper, "schema_name", None)
    if not schema or schema == get_public_schema_name():
        return None
    wrapper.ensure_connection()
    query = sql.SQL("SELECT version FROM {}.core_tableversion WHERE name = %s").format(
        sql.Identifier(schema)
    )
    with wrapper.connection.cursor() as cursor:
        cursor.execute(query, [table])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _counted_sql(queryset: Any) -> tuple[str, tuple[Any, ...]]:
    """The SQL that names the rows ``queryset.count()`` counts: its FROM, joins and WHERE,
    without what a count ignores (ordering, ``select_related``) and with one column instead
    of the model's: compiling the whole page query for the key cost a fifth of the page's
    CPU. A DISTINCT, grouped, combined or ``.values()`` query counts rows of its selected
    columns, a sliced one its slice: they key on the whole of their SQL."""
    query = queryset.query
    if (
        query.distinct
        or query.combinator
        or query.group_by is not None
        or query.values_select
        or query.is_sliced
    ):
        sql, params = query.sql_with_params()
    else:
        sql, params = queryset.order_by().select_related(None).values("pk").query.sql_with_params()
    return sql, tuple(params)


def versioned_count(queryset: Any, table: str) -> int:
    """``queryset.count()``, from the cache when ``table`` has not changed since it was
    counted. ``queryset`` must read ``table`` (the version guards only that table's rows)."""
    version = table_version(table, queryset.db)
    if version is None:
        return int(queryset.count())
    return cached(
        NAMESPACE,
        table,
        *_counted_sql(queryset),
        compute=queryset.count,
        ttl=TTL_SECONDS,
        version=version,
    )
