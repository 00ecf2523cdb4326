"""A list's nested children (an order's lines) read by SQL compiled once per source queryset
(``core.serializers._CompiledChildren``, issue 17): the same rows, in the same order, as the
ORM's ``.values()`` filtered by the page's parent ids, whatever parameters the source's own
filters and annotations put before and after the ids; a query whose columns Django would
convert keeps the ORM's path; and one process's compiled query serves each tenant its own
rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core import lists
from core.serializers import Children, _CompiledChildren
from purchasing.api.serializers import PurchaseOrderSerializer
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.conftest import HOST_A, HOST_B, client_for, make_user, schema_for_host
from tests.core.test_values_lists_more import _purchasing

pytestmark = pytest.mark.django_db

COLUMNS = ["order_id", "id", "product__sku", "location__code", "quantity", "expected_date"]


def _orm(values, ids):
    return list(values.filter(order_id__in=ids))


def test_compiled_rows_equal_the_orm_rows_for_any_parameters_of_the_source():
    _purchasing()
    ids = list(PurchaseOrder.objects.order_by("pk").values_list("pk", flat=True))
    sources = [
        PurchaseOrderLine.objects.select_related("product").order_by("id"),
        PurchaseOrderLine.objects.order_by("-quantity", "id"),
        # parameters before the ids (select, where) and after them (order by)
        PurchaseOrderLine.objects.annotate(tag=Concat(Value("L-"), "product__sku"))
        .filter(Q(quantity__gte=Decimal("3.125")) | Q(expected_date__lt=dt.date(2000, 1, 1)))
        .order_by(Value(1), "-id"),
    ]
    for source in sources:
        columns = [*COLUMNS, *(["tag"] if "tag" in source.query.annotations else [])]
        values = source.values(*columns)
        compiled = _CompiledChildren.of(values, "order_id")
        assert compiled.sql is not None  # the compiled path, not the fallback
        for page in (ids, ids[:3], ids[-1:], [ids[0], -5]):
            assert compiled.rows(page) == _orm(values, page), (str(source.query), page)
        assert compiled.rows([10**9]) == []


def test_columns_django_would_convert_keep_the_orm_path():
    _purchasing()
    ids = list(PurchaseOrder.objects.values_list("pk", flat=True))
    values = PurchaseOrderLine.objects.annotate(twice=F("quantity") * 2).values(
        "order_id", "id", "twice"
    )
    compiled = _CompiledChildren.of(values, "order_id")
    assert compiled.sql is None
    rows = compiled.rows(ids)
    assert rows == _orm(values, ids) and rows
    assert all(isinstance(row["twice"], Decimal) for row in rows)


def test_a_page_of_orders_reads_its_lines_by_the_compiled_query(tenant_admin):
    _purchasing()
    client = client_for(HOST_A, tenant_admin)
    url = "/api/v1/purchase-orders/?page_size=5"
    first = client.get(url).json()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url).json()
    assert again == first and any(order["lines"] for order in first["results"])
    line_queries = [q["sql"] for q in queries.captured_queries if "purchaseorderline" in q["sql"]]
    assert len(line_queries) == 2  # the page's totals (a subquery) and the lines
    assert sum("= ANY(" in sql for sql in line_queries) == 1
    plan, _columns = lists._plan_for(PurchaseOrderSerializer)
    [children] = [step[3] for step in plan if isinstance(step[3], Children)]
    assert any(compiled.sql for compiled in children.templates.values())


def test_one_process_compiled_lines_serve_each_tenant_its_own_lines(tenant_admin):
    _purchasing()
    with schema_context(schema_for_host(HOST_B)):
        beta_admin = make_user("admin")
        _purchasing()
        PurchaseOrderLine.objects.update(quantity=Decimal("777"))
        beta = client_for(HOST_B, beta_admin)
    alpha = client_for(HOST_A, tenant_admin)
    for _ in range(2):  # the second round reads through the compiled, cached query
        for client, expected in ((alpha, None), (beta, "777.000")):
            orders = client.get("/api/v1/purchase-orders/").json()["results"]
            quantities = {line["quantity"] for order in orders for line in order["lines"]}
            assert quantities
            if expected:
                assert quantities == {expected}
            else:
                assert "777.000" not in quantities
