"""FastRepresentationMixin writes exactly what DRF's ModelSerializer writes (ADR 27): every list
that uses it is rendered both ways on real rows (nulls, decimals, dates, related ids, a missing
category, annotated inventory columns) and compared field by field."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from catalog.api.serializers import DemandHistorySerializer, StockLevelSerializer
from catalog.models import DemandHistory, StockLevel
from core.serializers import FastRepresentationMixin
from inventory import selectors
from inventory.api.metrics_serializers import InventoryMetricsSerializer
from inventory.api.serializers import ProductSerializer
from inventory.metrics import inventory_metrics_list
from tests.core.test_query_counts import _sales_history, _sellers, _stock_levels
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _both_ways(serializer_class, rows) -> tuple[list, list]:
    fast = serializer_class(rows, many=True).data
    plain = [serializers.ModelSerializer.to_representation(serializer_class(), row) for row in rows]
    return [dict(row) for row in fast], [dict(row) for row in plain]


def test_products_with_inventory_and_without(tenant_admin):
    _sellers(3)
    ProductFactory(category=None)  # no category, no metrics
    rows = list(selectors.product_inventory_list(user=tenant_admin).order_by("id"))
    fast, plain = _both_ways(ProductSerializer, rows)
    assert fast == plain
    assert any(row["inventory"] is None for row in fast)
    assert any(row["inventory"] is not None for row in fast)
    assert any(row["category_name"] is None for row in fast)


def test_metrics_stock_levels_and_sales_history(tenant_admin):
    _sellers(2)
    _stock_levels(3)
    _sales_history(3)
    for serializer_class, rows in (
        (InventoryMetricsSerializer, inventory_metrics_list(user=tenant_admin)),
        (StockLevelSerializer, StockLevel.objects.select_related("product", "location")),
        (DemandHistorySerializer, DemandHistory.objects.select_related("product", "location")),
    ):
        rows = list(rows.order_by("id"))
        assert rows, serializer_class
        fast, plain = _both_ways(serializer_class, rows)
        assert fast == plain, serializer_class


def test_missing_related_object_falls_back_to_drf(tenant_admin):
    """A dotted source through a null relation takes DRF's path (its default)."""

    class Plain(serializers.ModelSerializer):
        category_name = serializers.CharField(source="category.name", default=None)

        class Meta:
            model = ProductFactory._meta.model
            fields = ("id", "sku", "category", "category_name", "unit_cost", "created_at")

    class Fast(FastRepresentationMixin, Plain):
        pass

    products = [ProductFactory(category=None), ProductFactory()]
    assert [dict(r) for r in Fast(products, many=True).data] == [
        dict(r) for r in Plain(products, many=True).data
    ]


def test_same_output_in_another_current_time_zone(tenant_admin):
    from django.utils import timezone

    _stock_levels(2)
    rows = list(StockLevel.objects.select_related("product", "location").order_by("id"))
    with timezone.override("Asia/Kolkata"):  # +05:30: no "Z", a different wall time
        fast, plain = _both_ways(StockLevelSerializer, rows)
    assert fast == plain
    assert all("+05:30" in row["updated_at"] for row in fast if row.get("updated_at"))


def test_writers_write_what_drf_writes():
    """The per-type writers of the fast and values paths (core.serializers._writer) against
    each field's own ``to_representation``, value and type, including values no database
    column of that type holds (those take DRF's path)."""
    from core.serializers import _writer

    cases = [
        (serializers.BooleanField(), [True, False, 1, 0, "true", "no", "x"]),
        (serializers.ChoiceField(choices=[("a", "A"), (1, "one")]), ["a", "b", "", "1", 1, 2]),
        (serializers.IntegerField(), [0, 7, 2**40]),
        (serializers.CharField(), ["", "x"]),
    ]
    if hasattr(serializers, "BigIntegerField"):
        cases.append((serializers.BigIntegerField(), [0, 2**62]))
        cases.append((serializers.BigIntegerField(coerce_to_string=True), [0, 2**62]))
    for field, values in cases:
        write = _writer(field)
        for value in values:
            expected = field.to_representation(value)
            assert (write(value), type(write(value))) == (expected, type(expected)), (field, value)


def test_values_row_reads_like_a_model_instance():
    from core.serializers import _row_over

    values = {"computed_at": None, "excluded": True, "over": 3}
    row = _row_over(values)
    assert row.excluded is True and getattr(row, "computed_at", 1) is None and row.over == 3
    assert not hasattr(row, "status")
    with pytest.raises(AttributeError):
        row.status  # noqa: B018
    assert row.__dict__ is values  # shared, not copied


def test_decimal_writer_writes_what_drf_writes():
    """Values at the field's scale take the plain-text shortcut; every other value (another
    scale, exponents, specials, too many digits) takes the quantize; both as DRF writes.
    ``normalize_output`` (trailing zeros dropped: "1.50" is "1.5") takes DRF's own path."""
    from decimal import Decimal, InvalidOperation

    from core.serializers import _writer

    texts = [
        "0.00", "-0.00", "1.50", "-1.50", "12345678.12", "0.01", "1.5", "1.505", "1.504", "7",
        "1E+2", "1.00E-2", "0.0000001", "-123.4567", "99999999999.99", "1000000000000.00",
    ]  # fmt: skip
    for field in (
        serializers.DecimalField(max_digits=14, decimal_places=2),
        serializers.DecimalField(max_digits=12, decimal_places=4),
        serializers.DecimalField(max_digits=10, decimal_places=7),
        serializers.DecimalField(max_digits=None, decimal_places=2),
        serializers.DecimalField(max_digits=14, decimal_places=2, normalize_output=True),
    ):
        write = _writer(field)
        for text in texts:
            value = Decimal(text)
            try:
                expected = field.to_representation(value)
            except InvalidOperation:
                with pytest.raises(InvalidOperation):
                    write(value)
                continue
            assert write(value) == expected, (field.max_digits, field.decimal_places, text)


def test_forecast_runs_and_their_jobs(tenant_admin):
    """The runs list (and its nested job): with and without a job and a creator, summary and
    parameters as JSON, null and set times, a UUID primary key on the job."""
    from django.utils import timezone

    from core.api.serializers import JobSerializer
    from core.models import Job
    from forecasting.api.serializers import ForecastRunSerializer
    from forecasting.selectors import forecast_run_list
    from tests.factories import ForecastRunFactory

    job = Job.objects.create(
        kind="forecast_run", status="succeeded", params={"horizon": 7}, result={"series": 3},
        created_by=tenant_admin, started_at=timezone.now(), finished_at=timezone.now(),
    )  # fmt: skip
    bare = Job.objects.create(kind="forecast_run")
    ForecastRunFactory(job=job, created_by=tenant_admin, summary={"series": 3, "mean_wape": 0.2})
    ForecastRunFactory(job=bare, parameters={"seasonality": [7, 365]}, finished_at=None)
    ForecastRunFactory(error="boom", status="failed")
    runs = list(forecast_run_list().order_by("id"))
    fast, plain = _both_ways(ForecastRunSerializer, runs)
    assert fast == plain
    assert {row["job"] is None for row in fast} == {True, False}
    assert any(row["created_by"] == tenant_admin.email for row in fast)
    jobs = list(Job.objects.select_related("created_by").order_by("created_at"))
    fast, plain = _both_ways(JobSerializer, jobs)
    assert fast == plain and len(fast) == 2
