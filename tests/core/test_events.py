"""The event outbox: events commit and roll back with the caller's transaction, only known
types are accepted, the list API filters and stays inside its tenant, old events are pruned,
and each wired feature emits its event through its own service."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from core.events import EVENT_TYPES, emit_event, events_prune
from core.models import Event
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

URL = "/api/v1/events/"


def _types() -> list[str]:
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def _aged(event: Event, *, days: float) -> Event:
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days))
    event.refresh_from_db()
    return event


# --- emit_event -------------------------------------------------------------------------------


def test_a_rolled_back_transaction_takes_its_event_with_it(live_db, tenant_a):
    """Real transactions (no test wrapper): the outbox row lives and dies with the change."""
    with schema_context(tenant_a.schema_name):
        before = Event.objects.count()
        with pytest.raises(RuntimeError, match="import failed"), transaction.atomic():
            emit_event("import.completed", {"batch_id": "b-1"})
            assert Event.objects.count() == before + 1  # visible inside the transaction
            raise RuntimeError("import failed")
        assert Event.objects.count() == before


def test_a_committed_transaction_keeps_exactly_one_event(live_db, tenant_a):
    with schema_context(tenant_a.schema_name):
        try:
            with transaction.atomic():
                event = emit_event("webhook.test", {"n": 1})
            assert not connection.in_atomic_block  # committed, not a savepoint
            assert list(Event.objects.filter(data={"n": 1}).values_list("pk", flat=True)) == [
                event.pk
            ]
        finally:
            Event.objects.filter(data={"n": 1}, type="webhook.test").delete()


@pytest.mark.django_db
def test_unknown_types_and_unencodable_data_are_programming_errors():
    with pytest.raises(ValueError, match=r"forecast_run\.exploded"):
        emit_event("forecast_run.exploded", {})
    with pytest.raises(TypeError):
        emit_event("webhook.test", {"when": object()})
    with pytest.raises(TypeError):
        emit_event("webhook.test", ["not", "a", "dict"])  # type: ignore[arg-type]
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_data_is_normalised_to_json_and_the_actor_kept(planner):
    event = emit_event(
        "purchase_order.received",
        {"on": dt.date(2026, 5, 1), "quantity": Decimal("2.50"), "nested": {"at": dt.time(9)}},
        actor=planner,
    )
    event.refresh_from_db()
    assert event.data == {"on": "2026-05-01", "quantity": "2.50", "nested": {"at": "09:00:00"}}
    assert event.actor_id == planner.pk and event.delivered_at is None
    assert emit_event("webhook.test", {}, actor=planner.pk).actor_id == planner.pk
    assert emit_event("webhook.test", {}).actor_id is None


def test_the_registry_holds_the_issue_types():
    assert {
        "forecast_run.completed",
        "forecast_run.failed",
        "inventory.refreshed",
        "inventory.stock_low",
        "simulation.completed",
        "import.completed",
        "import.rejected",
        "etl.sync_failed",
        "route_plan.completed",
        "purchase_order.approved",
        "purchase_order.sent",
        "purchase_order.received",
        "purchase_order.cancelled",
        "purchase_order.closed",
        "work_order.completed",
        "mrp_run.completed",
        "webhook.test",
    } <= EVENT_TYPES
    assert all(len(name) <= Event._meta.get_field("type").max_length for name in EVENT_TYPES)


# --- retention --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_removes_only_events_older_than_the_retention():
    old = _aged(emit_event("webhook.test", {"age": "old"}), days=91)
    borderline = _aged(emit_event("webhook.test", {"age": "89 days"}), days=89)
    fresh = emit_event("webhook.test", {"age": "new"})
    assert events_prune(older_than_days=90) == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {borderline.pk, fresh.pk}
    assert not Event.objects.filter(pk=old.pk).exists()
    assert events_prune(older_than_days=90) == 0
    with pytest.raises(ValueError):
        events_prune(older_than_days=0)


@pytest.mark.django_db
def test_the_daily_beat_task_prunes_with_the_setting():
    from core.tasks import prune_events

    _aged(emit_event("webhook.test", {}), days=10)
    entry = settings.CELERY_BEAT_SCHEDULE["events-prune-daily"]
    assert entry["kwargs"] == {"task_name": "core.tasks.prune_events"}
    assert settings.EVENT_RETENTION_DAYS == 90
    assert prune_events.apply().get() == 0
    # The setting is the default of each tenant's retention (core.retention, ADR 34); the
    # tenant's own value then governs.
    from core.models import RetentionSettings
    from core.retention import retention_settings_get

    RetentionSettings.objects.all().delete()
    with override_settings(EVENT_RETENTION_DAYS=7):
        assert retention_settings_get().events_days == 7
    assert prune_events.apply().get() == 1


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def api_admin(tenant_admin):
    return client_for(HOST_A, tenant_admin)


@pytest.mark.django_db
def test_list_is_newest_first_with_the_documented_shape(api_admin, tenant_admin):
    first = emit_event("import.completed", {"batch_id": "b-1"}, actor=tenant_admin)
    second = emit_event("forecast_run.completed", {"run_id": 7})
    body = api_admin.get(URL).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    assert set(body["results"][0]) == {"id", "type", "data", "actor", "created_at"}
    assert body["results"][1]["actor"] == tenant_admin.pk
    assert body["results"][0]["actor"] is None
    assert body["results"][0]["data"] == {"run_id": 7}
    assert api_admin.get(f"{URL}{first.pk}/").json()["type"] == "import.completed"
    oldest = api_admin.get(URL, {"ordering": "created_at"}).json()["results"]
    assert oldest[0]["id"] == first.pk


@pytest.mark.django_db
def test_list_filters_by_type_list_prefix_and_time(api_admin):
    po_sent = emit_event("purchase_order.sent", {})
    po_closed = _aged(emit_event("purchase_order.closed", {}), days=3)
    imported = _aged(emit_event("import.completed", {}), days=10)
    emit_event("import.rejected", {})

    def ids(**params) -> set[int]:
        response = api_admin.get(URL, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(type="import.completed") == {imported.pk}
    assert ids(type="purchase_order.sent,import.completed") == {po_sent.pk, imported.pk}
    assert ids(type="purchase_order.") == {po_sent.pk, po_closed.pk}
    assert ids(type__startswith="purchase_order.") == {po_sent.pk, po_closed.pk}
    assert ids(type="purchase_order") == set()  # without the dot: an exact type, none such
    now = timezone.now()
    assert ids(created_after=(now - timedelta(days=5)).isoformat(), type="purchase_order.") == {
        po_sent.pk,
        po_closed.pk,
    }
    assert ids(created_before=(now - timedelta(days=1)).isoformat()) == {
        po_closed.pk,
        imported.pk,
    }
    assert ids(
        created_after=(now - timedelta(days=5)).isoformat(),
        created_before=(now - timedelta(days=1)).isoformat(),
    ) == {po_closed.pk}
    assert_error(api_admin.get(URL, {"created_after": "yesterday"}), 400)


@pytest.mark.django_db
def test_the_list_needs_the_audit_log_role(anon_a, planner, viewer, tenant_admin):
    emit_event("webhook.test", {})
    assert client_for(HOST_A, tenant_admin).get(URL).status_code == 200
    assert client_for(HOST_A, planner).get(URL).status_code == 403
    assert client_for(HOST_A, viewer).get(URL).status_code == 403
    assert anon_a.get(URL).status_code == 401
    # Same permission as the audit log, so the two answer alike for every role.
    for user in (planner, viewer, tenant_admin):
        client = client_for(HOST_A, user)
        assert client.get(URL).status_code == client.get("/api/v1/audit-log/").status_code


@pytest.mark.django_db
def test_tenant_b_sees_none_of_tenant_a_events(tenant_b, tenant_admin):
    mine = [emit_event("import.rejected", {"secret": "alpha"}) for _ in range(3)]
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.ADMIN)
        theirs = emit_event("webhook.test", {"tenant": "beta"})
    client = client_for(HOST_B, intruder)
    body = client.get(URL).json()
    assert [row["id"] for row in body["results"]] == [theirs.pk]
    assert "alpha" not in str(body)
    # Ids are per schema: an alpha id beta does not have is simply not found there.
    unknown_on_b = next(event.pk for event in mine if event.pk != theirs.pk)
    assert_error(client.get(f"{URL}{unknown_on_b}/"), 404)
    assert client.get(URL, {"type": "import.rejected"}).json()["count"] == 0
    # And alpha's own admin still sees only alpha's events.
    assert client_for(HOST_A, tenant_admin).get(URL).json()["count"] == 3


@pytest.mark.django_db
def test_list_has_a_fixed_query_count(api_admin, django_assert_max_num_queries):
    emit_event("webhook.test", {})
    api_admin.get(URL)
    with django_assert_max_num_queries(8) as few:
        api_admin.get(URL)
    for _ in range(20):
        emit_event("webhook.test", {}, actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api_admin.get(URL)


# --- emission points --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_forecast_run_end_to_end_emits_completed_once(planner):
    from forecasting import services
    from tests.forecasting_app.seed import END, seed

    seed()
    run = services.forecast_run_start(horizon=7, methods=["naive"], user=planner, enqueue=False)
    run = services.forecast_run_execute(run_id=run.pk)
    assert run.status == "succeeded"
    event = Event.objects.get(type="forecast_run.completed")
    assert event.actor_id == planner.pk
    assert event.data == {
        "run_id": run.pk,
        "trigger": "manual",
        "horizon": 7,
        "series": 6,
        "data_end": END.isoformat(),
    }
    services.forecast_run_finish(run_id=run.pk)  # a redelivered last chunk: no second event
    assert _types() == ["forecast_run.completed"]


@pytest.mark.django_db
def test_a_failed_forecast_run_emits_failed_once(planner):
    from forecasting import services
    from tests.forecasting_app.seed import seed

    seed()
    run = services.forecast_run_start(horizon=7, user=planner, enqueue=False)
    services.forecast_run_fail(run_id=run.pk, error="chunk 0: boom")
    services.forecast_run_fail(run_id=run.pk, error="chunk 1: boom")  # a second failing chunk
    event = Event.objects.get(type="forecast_run.failed")
    assert event.data == {"run_id": run.pk, "error": "chunk 0: boom"}
    assert event.actor_id == planner.pk


@pytest.mark.django_db
def test_an_inventory_refresh_emits_refreshed():
    from inventory.metrics import inventory_refresh
    from tests.forecasting_app.seed import END, seed

    seed()
    result = inventory_refresh(as_of=END)
    event = Event.objects.get(type="inventory.refreshed")
    assert event.data == {"rows": result.rows, "deleted": 0, "as_of": END.isoformat()}
    assert result.rows == 6


@pytest.mark.django_db
def test_a_simulation_emits_completed(planner):
    from inventory import simulation_service
    from tests.inventory_app.test_simulation_app import _seed

    _seed()
    run = simulation_service.simulation_run_start(window_days=60, user=planner, enqueue=False)
    run = simulation_service.simulation_run_execute(run_id=run.pk)
    assert run.status == "succeeded"
    event = Event.objects.get(type="simulation.completed")
    assert (event.data, event.actor_id) == ({"simulation_id": run.pk}, planner.pk)


@pytest.mark.django_db
def test_a_route_plan_emits_completed(planner):
    from routing import services
    from tests.routing_app.test_route_plans import DAY, _fleet_and_orders

    _fleet_and_orders()
    plan = services.route_plan_start(date=DAY, time_limit_seconds=0.5, user=planner, enqueue=False)
    plan = services.route_plan_solve(plan_id=plan.pk)
    event = Event.objects.get(type="route_plan.completed")
    assert event.actor_id == planner.pk
    assert event.data == {
        "route_plan_id": plan.pk,
        "date": DAY.isoformat(),
        "served": 6,
        "orders": 6,
        "unserved": 0,
    }


@pytest.mark.django_db
def test_imports_emit_completed_or_rejected_and_a_dry_run_nothing(tmp_path, planner):
    from etl import services

    def import_text(text: str, **options):
        path = tmp_path / "locations.csv"
        path.write_text(text)
        with path.open("rb") as stream:
            return services.import_file(
                kind="locations", stream=stream, name=path.name, user=planner, **options
            )

    good = import_text("code,name\nEV-1,One\nEV-2,Two\n")
    event = Event.objects.get(type="import.completed")
    assert event.actor_id == planner.pk
    assert event.data == {
        "batch_id": str(good.pk),
        "kind": "locations",
        "source_name": "locations.csv",
        "rows": 2,
        "inserted": 2,
        "updated": 0,
        "error_count": 0,
    }
    bad = import_text("code,name\n,No code\n")
    assert bad.status == "rejected"
    rejected = Event.objects.get(type="import.rejected")
    assert rejected.data["batch_id"] == str(bad.pk) and rejected.data["error_count"] == 1
    import_text("code,name\nEV-3,Three\n", dry_run=True)
    assert _types() == ["import.completed", "import.rejected"]


@pytest.mark.django_db
def test_a_failed_sync_emits_sync_failed(tmp_path):
    from etl import services
    from etl.connectors import SourceUnavailable

    with override_settings(ETL_DROP_ROOT=tmp_path):
        (tmp_path / connection.schema_name).mkdir()
        source = services.data_source_save(
            name="drop", kind="csv_drop", dataset="sales", path="missing.csv"
        )
        with pytest.raises(SourceUnavailable):
            services.sync_run_execute(source_id=source.pk)
    event = Event.objects.get(type="etl.sync_failed")
    assert event.data["source_id"] == source.pk and "missing.csv" in event.data["error"]
    assert event.actor_id is None


@pytest.mark.django_db
def test_an_inventory_refresh_emits_stock_low_for_items_that_cross_only():
    from inventory.metrics import inventory_refresh
    from inventory.models import InventoryMetrics
    from tests.forecasting_app.seed import END, seed

    seed()
    inventory_refresh(as_of=END)
    urgent = InventoryMetrics.objects.filter(status__in=("critical", "reorder_now"))
    assert urgent.exists()
    (event,) = Event.objects.filter(type="inventory.stock_low")
    assert event.data["count"] == urgent.count() == len(event.data["items"])

    inventory_refresh(as_of=END)  # nothing crossed: no new event
    assert Event.objects.filter(type="inventory.stock_low").count() == 1

    item = urgent.order_by("product_id", "location_id").first()
    InventoryMetrics.objects.filter(pk=item.pk).update(status="ok")
    inventory_refresh(as_of=END)
    latest = Event.objects.filter(type="inventory.stock_low").order_by("-id").first()
    assert latest.data == {
        "count": 1,
        "items": [
            {"product_id": item.product_id, "location_id": item.location_id, "status": item.status}
        ],
    }
