"""The audit trail of every write: one parametrised case per kind of write (who, what, the
compact diff), the request context (API key, IP, request id) and jobs' starters, read-only
everywhere, tenant isolation, filters and the CSV export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.services import api_key_create, user_set_role
from catalog.models import Location
from catalog.services import product_exclusion_create
from core import context
from core.audit import audit_record, diff
from core.models import AuditLog
from etl.services import import_file
from forecasting.services.overrides import method_override_save
from forecasting.services.runs import forecast_settings_update
from integrations.services import webhook_endpoint_create
from inventory.metrics import inventory_settings_update
from purchasing import cart_service
from purchasing import services as purchasing
from purchasing.models import Supplier
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user
from tests.factories import ForecastRunFactory, ProductFactory
from tests.manufacturing.helpers import TODAY, line, product, receive


def _po(user):
    dc = Location.objects.create(code="AUD-DC", name="DC")
    supplier = Supplier.objects.create(code="AUD", name="Aud", lead_time_days=5)
    item = ProductFactory(unit_cost=Decimal("3"))
    return purchasing.purchase_order_create(
        supplier=supplier,
        location=dc,
        lines=[purchasing.OrderLineInput(product_id=item.pk, quantity=Decimal("4"))],
        user=user,
    )


def _working_order():
    from manufacturing.services import bom_save, working_order_create

    plant = Location.objects.create(code="AUD-PLANT", name="Plant", kind="plant")
    fg = product("AUD-FG", product_type="finished")
    raw = product("AUD-RAW", product_type="raw")
    bom_save(product=fg, lines=[line(raw, "2")])
    receive(raw, plant, "50")
    return working_order_create(
        product=fg, location_id=plant.pk, quantity=Decimal("3"), due_date=TODAY
    )


def _write_exclusion(user):
    product_exclusion_create(
        product=ProductFactory(), reason="end of life", scopes=["abc"], user=user
    )


def _write_override(user):
    method_override_save(product=ProductFactory(), method="naive", user=user)


def _write_import(user, tmp_path_factory=None):
    import tempfile

    with tempfile.TemporaryFile() as stream:
        stream.write(b"code,name\nAUD-L1,Audit store\n")
        stream.seek(0)
        import_file(kind="locations", stream=stream, name="locations.csv", user=user)


def _write_po_approve(user):
    purchasing.purchase_order_approve(order=_po(user), user=user)


def _write_po_cancel(user):
    purchasing.purchase_order_cancel(order=_po(user), user=user, reason="not needed")


def _write_wo_cancel(user):
    from manufacturing.services import working_order_cancel

    working_order_cancel(order_id=_working_order().pk)


def _write_webhook(user):
    webhook_endpoint_create(url="http://127.0.0.1:9/hook", events=["*"], created_by=user)


# (name, the write, object_type, action, a field its changes name)
WRITES = [
    ("exclusion", _write_exclusion, "catalog.productexclusion", "create", "reason"),
    ("override", _write_override, "forecasting.methodoverride", "create", "method"),
    (
        "forecast settings",
        lambda user: forecast_settings_update(horizon_days=35),
        "forecasting.forecastsettings",
        None,
        "horizon_days",
    ),
    (
        "inventory settings",
        lambda user: inventory_settings_update(review_period_days=3),
        "inventory.inventorysettings",
        None,
        "review_period_days",
    ),
    (
        "purchasing settings",
        lambda user: purchasing.purchasing_settings_update(cart_budget=Decimal("900")),
        "purchasing.purchasingsettings",
        None,
        "cart_budget",
    ),
    ("forecast run", lambda user: ForecastRunFactory(), "forecasting.forecastrun", "create", None),
    ("import batch", _write_import, "etl.importbatch", "create", "kind"),
    ("webhook", _write_webhook, "integrations.webhookendpoint", "create", "url"),
    (
        "api key",
        lambda user: api_key_create(user=user, name="partner", scopes=["read"]),
        "accounts.apikey",
        "create",
        "name",
    ),
    (
        "user role",
        lambda user: user_set_role(user=make_user(), role="viewer"),
        "accounts.user",
        "update",
        "role",
    ),
    ("purchase order create", _po, "purchasing.purchaseorder", "create", None),
    (
        "purchase order approve",
        _write_po_approve,
        "purchasing.purchaseorder",
        "update",
        "transition",
    ),
    ("purchase order cancel", _write_po_cancel, "purchasing.purchaseorder", "update", "transition"),
    ("cart", lambda user: cart_service.cart_build(), "purchasing.cart", "action", "lines"),
    ("working order", lambda user: _working_order(), "manufacturing.workingorder", "create", None),
    ("working order cancel", _write_wo_cancel, "manufacturing.workingorder", "update", "status"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("write", "object_type", "action", "field"),
    [case[1:] for case in WRITES],
    ids=[case[0] for case in WRITES],
)
def test_each_kind_of_write_is_audited_with_who_and_what(
    planner, write, object_type, action, field
):
    AuditLog.objects.all().delete()
    with context.bound(actor=planner, request_id="req-audit-1", ip="203.0.113.9"):
        write(planner)
    entries = list(AuditLog.objects.filter(object_type=object_type).order_by("id"))
    assert entries, f"no audit entry for {object_type}"
    # The write's own entry (an import batch is created, then updated as it finishes).
    entry = next((e for e in reversed(entries) if e.action == action), entries[-1])
    if action:
        assert entry.action == action
    assert entry.actor_id == planner.pk and entry.actor_label == planner.email
    assert entry.request_id == "req-audit-1"
    assert entry.ip == "203.0.113.9"
    if field:
        assert field in entry.changes
    assert not any(secret in str(e.changes) for e in entries for secret in ("whsec_", "key_hash"))


@pytest.mark.django_db
def test_an_update_records_only_the_changed_fields_and_a_no_op_nothing():
    forecast_settings_update(horizon_days=40)
    AuditLog.objects.all().delete()
    forecast_settings_update(horizon_days=41)
    (entry,) = AuditLog.objects.filter(object_type="forecasting.forecastsettings")
    assert entry.action == "update"
    assert entry.changes == {"horizon_days": [40, 41]}
    forecast_settings_update(horizon_days=41)
    assert AuditLog.objects.filter(object_type="forecasting.forecastsettings").count() == 1
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}


@pytest.mark.django_db
def test_api_key_writes_record_the_key_the_address_and_the_request_id(tenant_admin):
    key, secret = api_key_create(user=tenant_admin, name="etl", scopes=["read", "write"])
    client = client_for(HOST_A)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    AuditLog.objects.all().delete()
    # Keys write in their areas (settings are for people: ADR 31); a category is catalog.
    response = client.post(
        "/api/v1/categories/",
        {"name": "Made by a key"},
        format="json",
        HTTP_X_REQUEST_ID="req-key-1",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 201, response.content
    entry = AuditLog.objects.filter(object_type="catalog.category").order_by("id").last()
    assert entry.api_key == key.prefix
    assert entry.actor_id == tenant_admin.pk
    assert entry.ip == "198.51.100.7"
    assert entry.request_id == "req-key-1"
    assert entry.changes["name"] == "Made by a key"  # a create lists the values it set


@pytest.mark.django_db
def test_a_job_writes_as_the_user_who_started_it(planner):
    from core.jobs import _started_by
    from core.models import Job

    job = Job.objects.create(kind="inventory_refresh", created_by=planner, request_id="req-job-1")
    AuditLog.objects.all().delete()
    # The worker has no request: the job names its starter and the request that asked.
    with _started_by(job):
        audit_record(action="action", object_type="test.job", object_id=job.pk)
    entry = AuditLog.objects.get(object_type="test.job")
    assert entry.actor_id == planner.pk
    assert entry.request_id == "req-job-1"


@pytest.mark.django_db
def test_entries_are_never_editable(tenant_admin):
    audit_record(action="action", object_type="test.thing", object_id="1")
    entry = AuditLog.objects.get(object_type="test.thing")
    entry.object_repr = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    client = client_for(HOST_A, tenant_admin)
    url = f"/api/v1/audit-log/{entry.pk}/"
    assert client.get(url).status_code == 200
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(url, {}, format="json").status_code == 405
    assert client.post("/api/v1/audit-log/", {}, format="json").status_code == 405

    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    admin = site._registry[AuditLog]
    request = RequestFactory().get("/admin/")
    request.user = tenant_admin
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)


@pytest.mark.django_db
def test_filters_and_csv_export(tenant_admin, planner):
    AuditLog.objects.all().delete()
    with context.bound(actor=planner):
        audit_record(action="action", object_type="purchasing.cart", changes={"lines": 3})
    audit_record(action="create", object_type="catalog.product", object_id="9")
    client = client_for(HOST_A, tenant_admin)
    by_actor = client.get("/api/v1/audit-log/", {"actor": planner.pk}).json()
    assert [row["object_type"] for row in by_actor["results"]] == ["purchasing.cart"]
    assert by_actor["results"][0]["actor"] == planner.pk
    system = client.get("/api/v1/audit-log/", {"actor": "system"}).json()
    assert [row["object_type"] for row in system["results"]] == ["catalog.product"]
    typed = client.get("/api/v1/audit-log/", {"object_type": "catalog.product,x.y"}).json()
    assert typed["count"] == 1
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/audit-log/", {"created_after": later}).json()["count"] == 0
    assert client.get("/api/v1/audit-log/", {"action": "create,action"}).json()["count"] == 2
    assert_error(client.get("/api/v1/audit-log/", {"created_after": "soon"}), 400)

    response = client.get("/api/v1/audit-log/export/", {"action": "action"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("created_at,actor_id,actor,api_key,action")
    assert len(lines) == 2 and '{""lines"":3}' in lines[1]
    assert client_for(HOST_A, planner).get("/api/v1/audit-log/export/").status_code == 403


@pytest.mark.django_db
def test_a_tenant_never_sees_another_tenants_trail(tenant_admin, tenant_a, tenant_b):
    audit_record(action="action", object_type="alpha.secret", object_id="1")
    with schema_context(tenant_b.schema_name):
        admin_b = make_user(role="admin")
        audit_record(action="action", object_type="beta.secret", object_id="2")
    seen_b = client_for(HOST_B, admin_b).get("/api/v1/audit-log/", {"page_size": 1000}).json()
    types = {row["object_type"] for row in seen_b["results"]}
    assert "beta.secret" in types and "alpha.secret" not in types
    with schema_context(tenant_a.schema_name):
        alpha_id = AuditLog.objects.filter(object_type="alpha.secret").get().pk
    with schema_context(tenant_b.schema_name):
        assert not AuditLog.objects.filter(pk=alpha_id, object_type="alpha.secret").exists()


# --- Run completions written with QuerySet.update (a worker finishing what a user started) ---


def _sim_run(user):
    from inventory.models import SimulationRun

    return SimulationRun.objects.create(window_days=90, status="running", created_by=user)


def _finish_simulation(run):
    from inventory.simulation_service import simulation_run_execute

    try:
        simulation_run_execute(run_id=run.pk)
    except Exception:  # no sales: the run fails, and its end is what is audited
        return "failed"
    return "succeeded"


def _finish_forecast(run):
    from forecasting.services.runs import forecast_run_fail

    forecast_run_fail(run_id=run.pk, error="worker lost")
    return "failed"


def _finish_mrp(run):
    from manufacturing.planning import mrp_run_fail

    mrp_run_fail(run_id=run.pk, error="worker lost")
    return "failed"


def _finish_route_plan(run):
    from routing.services import route_plan_solve

    try:
        route_plan_solve(plan_id=run.pk)
    except Exception:  # no vehicles: the plan fails
        return "failed"
    return "succeeded"


def _finish_import(batch):
    from etl.services import import_batch_fail

    import_batch_fail(batch_id=str(batch.pk), error="worker lost")
    return "failed"


def _forecast_run(user):
    return ForecastRunFactory(status="running", created_by=user)


def _route_plan(user):
    from routing.models import RoutePlan

    return RoutePlan.objects.create(date=TODAY, status="running", created_by=user)


def _mrp_run(user):
    from manufacturing.models import MrpRun

    return MrpRun.objects.create(status="running", created_by=user)


def _import_batch(user):
    from etl.models import ImportBatch

    return ImportBatch.objects.create(kind="locations", source_name="x.csv", created_by=user)


RUNS = [
    ("forecast run", _forecast_run, _finish_forecast),
    ("simulation", _sim_run, _finish_simulation),
    ("route plan", _route_plan, _finish_route_plan),
    ("mrp run", _mrp_run, _finish_mrp),
    ("import batch", _import_batch, _finish_import),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "finish"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS])
@pytest.mark.parametrize("bound", ["starter in context", "api key in context", "no context"])
def test_run_completions_are_audited_with_who_started_them(planner, make, finish, bound):
    run = make(planner)
    AuditLog.objects.all().delete()
    if bound == "no context":  # beat or a reaper finishing it: the starter is named
        status = finish(run)
    else:
        key = "dp_abc123" if bound == "api key in context" else ""
        actor = context.DeferredActor(planner.pk, None, api_key=key)
        with context.bound(actor=actor, request_id="req-run-1"):
            status = finish(run)
    entries = [
        e
        for e in AuditLog.objects.filter(object_type=run._meta.label_lower, object_id=str(run.pk))
        if "status" in e.changes and e.changes["status"][1] == status
    ]
    assert len(entries) == 1, list(AuditLog.objects.values("object_type", "changes"))
    entry = entries[0]
    assert entry.actor_id == planner.pk and entry.actor_label == planner.email
    assert entry.api_key == ("dp_abc123" if bound == "api key in context" else "")
    if status == "failed" and run._meta.label_lower != "routing.routeplan":
        assert "error" in entry.changes


@pytest.mark.django_db
def test_a_sync_records_its_source_and_its_run_under_who_started_it(planner, tmp_path):
    """Syncs are writes too: the data source saved and each run, with the starter."""
    from django.db import connection
    from django.test import override_settings

    from etl import services as etl

    AuditLog.objects.all().delete()
    with override_settings(ETL_DROP_ROOT=tmp_path):
        folder = tmp_path / connection.schema_name
        folder.mkdir()
        (folder / "daily.csv").write_text("date,sku,location,quantity\n2026-03-01,A,S1,2\n")
        with context.bound(actor=planner, request_id="req-sync-1", ip="203.0.113.7"):
            source = etl.data_source_save(
                name="drop",
                kind="csv_drop",
                dataset="sales",
                path="daily.csv",
                create_missing=True,
            )
            run = etl.sync_run_execute(source_id=source.pk)
    assert run.status == "succeeded", run.error
    saved = AuditLog.objects.get(object_type="etl.datasource", action="create")
    assert (saved.actor_id, saved.object_id, saved.request_id) == (
        planner.pk,
        str(source.pk),
        "req-sync-1",
    )
    assert "url_encrypted" not in saved.changes  # never the connection string
    runs = AuditLog.objects.filter(object_type="etl.syncrun", object_id=str(run.pk))
    assert {e.action for e in runs} >= {"create", "update"}
    finished = runs.filter(action="update").latest("id")
    assert finished.actor_id == planner.pk and finished.changes["status"][-1] == "succeeded"
