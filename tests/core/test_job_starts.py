"""One response shape for every job start (ADR 43): every API operation that starts a job
answers 202 with the common block — ``job_id``, ``job_url``, ``status``, ``url`` — in its body
and in its declared schema, ``Location`` is ``url``, and GET ``job_url`` answers the job.

The job starts are found, not listed: every operation whose handler answers through
``core.api.views.accepted_body`` / ``accepted``, and every operation whose schema declares a
202. A new one fails here until it has a case below (or a reason in ``NOT_JOB_STARTS``)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

from core.api.serializers import JOB_START_FIELDS
from tests.conftest import HOST_A, client_for

pytestmark = pytest.mark.django_db

# 202s that start no job of this tenant's job table.
NOT_JOB_STARTS = {
    ("POST", "/api/v1/webhooks/{id}/test/"): "queues one delivery: answers the event id",
}


def _refresh(_tmp) -> tuple[str, dict]:
    return "json", {}


def _simulation(_tmp) -> tuple[str, dict]:
    return "json", {"window_days": 60}


def _forecast(_tmp) -> tuple[str, dict]:
    from tests.forecasting_app.seed import seed

    seed(days=60)
    return "json", {"horizon": 7}


def _route_plan(_tmp) -> tuple[str, dict]:
    from routing.models import DeliveryOrder
    from tests.factories import DepotFactory, VehicleFactory

    VehicleFactory(code="JS-VAN", capacity=Decimal(10), start_depot=DepotFactory(code="JS-D"))
    DeliveryOrder.objects.create(
        reference="JS-1",
        date=date(2026, 3, 2),
        latitude=Decimal("48.86"),
        longitude=Decimal("2.35"),
        demand=Decimal(1),
    )
    return "json", {"date": "2026-03-02", "time_limit_seconds": 0.5}


def _import(_tmp) -> tuple[str, dict]:
    text = b"sku,name\nJS-A,Alpha\n"
    return "multipart", {"kind": "products", "file": SimpleUploadedFile("p.csv", text)}


def _mrp(_tmp) -> tuple[str, dict]:
    return "json", {"source": "mps", "horizon": 30}


def _sync(tmp) -> tuple[str, dict]:
    from django.db import connection

    from etl import services

    (tmp / connection.schema_name).mkdir()
    source = services.data_source_save(
        name="drop", kind="csv_drop", dataset="sales", path="daily.csv", create_missing=True
    )
    return "json", {"source": source.pk}


# (method, path) -> what to set up and post. The sync trigger answers a list (one job per
# source); each item has the common block.
JOB_STARTS: dict[tuple[str, str], Callable] = {
    ("POST", "/api/v1/inventory/calculate"): _refresh,
    ("POST", "/api/v1/inventory/simulations/"): _simulation,
    ("POST", "/api/v1/forecast-runs/"): _forecast,
    ("POST", "/api/v1/route-plans/"): _route_plan,
    ("POST", "/api/v1/imports/"): _import,
    ("POST", "/api/v1/mrp-runs/"): _mrp,
    ("POST", "/api/v1/etl/sync/trigger"): _sync,
}
LISTS = {("POST", "/api/v1/etl/sync/trigger")}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _handler(callback, method: str):
    view = callback.cls
    actions = getattr(callback, "actions", None) or {}
    return getattr(view, actions.get(method.lower(), method.lower()), None)


def _through_accepted() -> set[tuple[str, str]]:
    found = set()
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        handler = _handler(callback, method)
        if handler is not None and re.search(r"\baccepted(_body)?\(", inspect.getsource(handler)):
            found.add((method, path))
    return found


def _declaring_202(schema) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "202" in operation.get("responses", {})
    }


def _component(schema, ref: dict) -> dict:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_every_job_start_is_known(schema):
    accepted = _through_accepted()
    declared = _declaring_202(schema)
    assert len(accepted) >= 6, accepted  # the finder finds
    assert accepted <= declared, accepted - declared
    assert declared - set(NOT_JOB_STARTS) == set(JOB_STARTS), declared ^ set(JOB_STARTS)


@pytest.mark.parametrize(("method", "path"), sorted(JOB_STARTS))
def test_the_schema_declares_the_common_block(schema, method, path):
    answer = schema["paths"][path][method.lower()]["responses"]["202"]
    body = answer["content"]["application/json"]["schema"]
    if (method, path) in LISTS:
        assert body["type"] == "array"
        body = body["items"]
    component = _component(schema, body)
    assert set(JOB_START_FIELDS) <= set(component["properties"]), component["properties"]
    assert set(JOB_START_FIELDS) <= set(component["required"])
    for name in JOB_START_FIELDS:
        assert not component["properties"][name].get("nullable"), name


@pytest.mark.parametrize(("method", "path"), sorted(JOB_STARTS))
def test_every_job_start_answers_the_common_block(schema, tenant_admin, tmp_path, method, path):
    client = client_for(HOST_A, tenant_admin)
    with override_settings(ETL_DROP_ROOT=tmp_path):
        fmt, payload = JOB_STARTS[(method, path)](tmp_path)
        response = client.post(path, payload, format=fmt)
    assert response.status_code == 202, response.content
    body = response.json()
    items = body if (method, path) in LISTS else [body]
    assert items, body
    answer = schema["paths"][path]["post"]["responses"]["202"]["content"]["application/json"]
    ref = answer["schema"].get("items", answer["schema"])
    declared = set(_component(schema, ref)["properties"])
    for item in items:
        assert set(item) == declared, set(item) ^ declared  # nothing undeclared, nothing missing
        assert all(item[name] not in (None, "") for name in JOB_START_FIELDS), item
        assert item["job_url"] == f"/api/v1/jobs/{item['job_id']}/"
        job = client.get(item["job_url"])
        assert job.status_code == 200, job.content
        assert job.json()["id"] == item["job_id"]
        assert client.get(item["url"]).status_code == 200
    if (method, path) not in LISTS:
        assert response["Location"] == body["url"]


def test_a_start_without_the_common_block_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from core.api.views import accepted_body

    with pytest.raises(ImproperlyConfigured, match="job_id"):
        accepted_body({"url": "/api/v1/x/1/", "status": "queued", "job_url": "/api/v1/jobs/1/"})


@pytest.mark.parametrize("path", ["/api/v1/forecast-runs/", "/api/v1/inventory/simulations/"])
def test_a_run_a_command_started_does_not_stand_in_for_a_job(tenant_admin, path):
    """A command's run (no job) is active: the API still answers a run with a job to poll,
    not that run (whose body could not have the common block)."""
    from forecasting import services as forecasting
    from inventory import simulation_service

    if path == "/api/v1/forecast-runs/":
        from tests.forecasting_app.seed import seed

        seed(days=60)
        commanded = forecasting.forecast_run_start(horizon=7, enqueue=False)
        payload = {"horizon": 7}
    else:
        commanded = simulation_service.simulation_run_start(window_days=60, enqueue=False)
        payload = {"window_days": 60}
    assert commanded.job_id is None and commanded.status == "queued"
    response = client_for(HOST_A, tenant_admin).post(path, payload, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["job_id"] and body["job_url"] == f"/api/v1/jobs/{body['job_id']}/"
