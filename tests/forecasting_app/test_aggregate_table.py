"""Forecast aggregates as cached columns (issue 17): the latest run's answer is cached under
"latest" and served without a query, yet follows every run that succeeds or is deleted;
the columns give back exactly the rows they were built from; the page is written exactly as
DRF's serializer writes it."""

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from core.serializers import write_mapping_rows
from forecasting import selectors, services
from forecasting.api.serializers import AggregateRowSerializer
from forecasting.models import ForecastRun
from forecasting.selectors.series import ForecastTable
from tests.conftest import HOST_A, assert_error, client_for
from tests.forecasting_app.seed import seed

URL = "/api/v1/forecasts/aggregate/?level=product&page_size=1000"
FIELDS = ("forecast", "p05", "p10", "p50", "p90", "p95", "lower_90", "upper_90")


def _run(**options):
    run = services.forecast_run_start(enqueue=False, **options)
    return services.forecast_run_execute(run_id=run.pk)


def _rows(client, url=URL):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


@pytest.mark.django_db
def test_the_latest_runs_answer_follows_new_and_deleted_runs(
    planner, django_capture_on_commit_callbacks
):
    seed()
    client = client_for(HOST_A, planner)
    first = _run(horizon=7, methods=["naive"])
    assert _rows(client) == _rows(client, f"{URL}&run={first.pk}")

    second = _run(horizon=5, methods=["seasonal_naive"])
    latest = _rows(client)
    assert len(latest) == 3 * 5  # the new run's horizon: its success bumped the namespace
    assert latest == _rows(client, f"{URL}&run={second.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        ForecastRun.objects.filter(pk=second.pk).delete()  # as the admin or a cascade would
    assert _rows(client) == _rows(client, f"{URL}&run={first.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    assert_error(client.get(URL), 404)


@pytest.mark.django_db
def test_an_answer_computed_before_the_new_run_commits_is_not_served_after(
    planner, monkeypatch, django_capture_on_commit_callbacks
):
    """Between the success's bump and its commit another request cannot see the new run: it
    stores the former latest run's answer under the new version. The bump after the commit
    drops that entry."""
    seed()
    client = client_for(HOST_A, planner)
    first = _run(horizon=7, methods=["naive"])
    with django_capture_on_commit_callbacks(execute=True):
        second = _run(horizon=5, methods=["seasonal_naive"])
        with monkeypatch.context() as blind:  # a request that does not see the second run yet
            blind.setattr("forecasting.selectors.series.resolve_run", lambda **_: first)
            stale = selectors.forecast_aggregate(user=planner, level="product")
        assert len(stale) == 3 * 7
    assert _rows(client) == _rows(client, f"{URL}&run={second.pk}")


@pytest.mark.django_db
def test_a_cached_latest_answer_reads_no_forecast_table(planner):
    seed()
    _run(horizon=7, methods=["naive"])
    client = client_for(HOST_A, planner)
    expected = client.get(URL).content
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL)
    assert again.content == expected
    read = [q["sql"] for q in queries.captured_queries if "forecasting_" in q["sql"]]
    assert read == []


@pytest.mark.django_db
def test_reconciliation_limits_still_answer_400_for_the_latest_run(planner, monkeypatch):
    seed()
    _run(horizon=7, methods=["naive"])
    client = client_for(HOST_A, planner)
    monkeypatch.setattr("forecasting.selectors.hierarchy.MAX_RECONCILED_SERIES", 1)
    assert_error(client.get(f"{URL}&reconciliation=ols"), 400)
    assert client.get(f"{URL}&reconciliation=ols").status_code == 400  # never cached


_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "key": st.one_of(st.none(), st.text(max_size=12)),
            "period": st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)),
            **{
                field: st.floats(allow_nan=False, allow_infinity=False, width=64)
                for field in FIELDS
            },
        }
    ),
    max_size=12,
)
_SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(rows=_ROWS, start=st.integers(-40, 40), stop=st.integers(-40, 40))
def test_the_columns_give_back_the_rows_and_any_slice_of_them(rows, start, stop):
    table = pickle.loads(pickle.dumps(ForecastTable(rows)))  # noqa: S301 (as the cache stores it)
    assert len(table) == len(rows)
    assert list(table) == rows
    assert table[start:stop] == rows[start:stop]
    for index in (0, -1, len(rows) - 1):
        if rows:
            assert table[index] == rows[index]
    with pytest.raises(IndexError):
        table[len(rows)]
    assert all(type(row["period"]) is dt.date for row in table)
    assert all(type(row[field]) is float for row in table for field in FIELDS)


@_SETTINGS
@given(rows=_ROWS)
def test_the_page_is_written_byte_for_byte_as_drf_writes_it(rows):
    serializer = AggregateRowSerializer()
    ours = JSONRenderer().render(write_mapping_rows(serializer, ForecastTable(rows)[:]))
    drf = JSONRenderer().render(AggregateRowSerializer(rows, many=True).data)
    assert ours == drf


def test_rows_or_serializers_the_writer_does_not_plan_take_drfs_path():
    class Dotted(serializers.Serializer):
        name = serializers.CharField(source="item.name")

    class Defaulted(serializers.Serializer):
        amount = serializers.FloatField(default=1.5)

    assert write_mapping_rows(Dotted(), [{"item": {"name": 7}}]) == [{"name": "7"}]
    assert write_mapping_rows(Defaulted(), [{}, {"amount": 2}]) == [
        {"amount": 1.5},
        {"amount": 2.0},
    ]
    # A row without a field: DRF's own answer (null for a nullable field, else its error).
    keyless = {"period": dt.date(2026, 1, 2), **dict.fromkeys(FIELDS, 1.0)}
    written = write_mapping_rows(AggregateRowSerializer(), [keyless])
    assert json.loads(JSONRenderer().render(written))[0]["key"] is None
    with pytest.raises(KeyError):
        write_mapping_rows(AggregateRowSerializer(), [{"key": "A"}])
