"""What the schema fuzzer found, each pinned by a test of its own: the error answers every
operation declares, times of day, nullable fields, and the inputs that gave a 500."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.api.schema import error_codes
from tests import factories
from tests.conftest import HOST_A, assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_declares_the_error_envelope(schema):
    assert "ErrorEnvelope" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("401", "403", "404", "429"):
                assert code in responses, (method, path, code)
            if method in {"post", "put", "patch"}:
                assert {"400", "409", "413", "415", "503"} <= set(responses), (method, path)


def test_every_hand_paginated_list_declares_the_page_envelope(schema):
    """A view whose ``get`` pages by hand (``get_paginated_response``) is not a list to the
    schema generator unless told so: its 200 must be the page (``count``, ``results``), as the
    fuzzer found for ``challengers/`` and ``live-accuracy/series/``."""
    import inspect

    from drf_spectacular.generators import EndpointEnumerator

    checked = []
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view = getattr(callback, "cls", None)
        handler = getattr(view, "get", None)
        if method != "GET" or handler is None or "actions" in getattr(callback, "__dict__", {}):
            continue
        if "get_paginated_response" not in inspect.getsource(handler):
            continue
        answer = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        page = schema["components"]["schemas"][answer["schema"]["$ref"].rsplit("/", 1)[1]]
        assert {"count", "results"} <= set(page["properties"]), path
        checked.append(path)
    assert {"/api/v1/challengers/", "/api/v1/live-accuracy/series/"} <= set(checked)


def test_error_codes_follow_what_the_operation_has():
    assert error_codes("get", {}) == ["401", "403", "404", "429"]
    query = {"parameters": [{"in": "query", "name": "page"}]}
    assert "400" in error_codes("get", query)
    assert error_codes("delete", {"parameters": [{"in": "path", "name": "id"}]}) == [
        "400",
        "401",
        "403",
        "404",
        "409",
        "429",
        "503",
    ]


def test_a_challenger_nomination_is_documented(schema):
    operation = schema["paths"]["/api/v1/model-registry/{id}/challenge/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert request["required"] == ["method"] and set(request["properties"]) == {
        "method",
        "replace",
    }
    method = request["properties"]["method"]
    choices = schema["components"]["schemas"][method["$ref"].rsplit("/", 1)[1]]["enum"]
    assert {"ses", "theta", "croston"} <= set(choices)
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert answer.endswith("/ModelRegistry")
    assert {"400", "403", "404", "409"} <= set(operation["responses"])


def test_times_of_day_are_wall_clock_strings(schema):
    shift = schema["components"]["schemas"]["Vehicle"]["properties"]["shift_start"]
    assert "format" not in shift
    assert shift["pattern"].startswith("^")


def test_fields_that_can_be_null_say_so(schema):
    components = schema["components"]["schemas"]
    assert components["Job"]["properties"]["duration_seconds"]["nullable"] is True
    assert components["Job"]["properties"]["created_by"]["nullable"] is True
    assert components["Product"]["properties"]["category_name"]["nullable"] is True


def test_partial_update_keeps_read_only_fields_that_are_null(tenant_admin):
    product = factories.ProductFactory(category=None)
    response = client_for(HOST_A, tenant_admin).patch(
        f"/api/v1/products/{product.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["category_name"] is None


def test_duplicate_top_level_category_is_invalid_input(tenant_admin):
    client = client_for(HOST_A, tenant_admin)
    assert client.post("/api/v1/categories/", {"name": "Tools"}, format="json").status_code == 201
    body = assert_error(client.post("/api/v1/categories/", {"name": "Tools"}, format="json"), 400)
    assert "name" in body["details"]


def test_a_write_the_database_refuses_is_a_conflict_not_a_500(tenant_admin, monkeypatch):
    from catalog.api import serializers

    # Two requests at once both pass validation; the second meets the unique constraint.
    monkeypatch.setattr(serializers.CategorySerializer, "validate", lambda self, attrs: attrs)
    client = client_for(HOST_A, tenant_admin)
    assert client.post("/api/v1/categories/", {"name": "Twice"}, format="json").status_code == 201
    response = client.post("/api/v1/categories/", {"name": "Twice"}, format="json")
    assert_error(response, 409, "conflict")


def test_webhook_can_be_registered_inactive(tenant_admin):
    response = client_for(HOST_A, tenant_admin).post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["*"], "is_active": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is False


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("0074-11-27T08:27:23.6-22:55", 200),  # an offset PostgreSQL alone would refuse
        ("0001-01-01T00:00:00+10:00", 400),  # before year 1 once in UTC
        ("2026-03-01T00:00:00Z", 200),
    ],
)
def test_date_time_filters_take_any_offset(tenant_admin, since, status):
    response = client_for(HOST_A, tenant_admin).get("/api/v1/stock-movements/", {"since": since})
    assert response.status_code == status, response.content
