"""E-mail notifications to administrators (with opt-out) and the weekly what-to-order report,
through Django's locmem mail backend."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from core.events import emit_event
from integrations import services
from inventory.models import InventoryMetrics
from tests.conftest import HOST_A, assert_error, client_for, make_user
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def test_admins_are_mailed_about_notified_events_unless_they_opt_out(
    mailoutbox, django_capture_on_commit_callbacks
):
    opted_in = make_user(User.Role.ADMIN)
    opted_out = make_user(User.Role.ADMIN)
    make_user(User.Role.PLANNER)
    off = client_for(HOST_A, opted_out).put(
        "/api/v1/notifications/preferences/", {"email_enabled": False}, format="json"
    )
    assert off.status_code == 200 and off.json()["email_enabled"] is False
    assert (
        client_for(HOST_A, opted_in)
        .get("/api/v1/notifications/preferences")
        .json()["email_enabled"]
    )

    rejected = emit_event("import.rejected", {"import_id": 4, "errors": 12})
    emit_event("inventory.refreshed", {})
    with django_capture_on_commit_callbacks() as callbacks:
        services.events_fan_out()
    assert len(callbacks) == 1  # one notification queued: inventory.refreshed is not mailed

    assert services.event_notify(event_id=rejected.pk) == 1
    (mail,) = mailoutbox
    assert mail.to == [opted_in.email] and "import was rejected" in mail.subject
    assert "errors: 12" in mail.body
    assert services.event_notify(event_id=10**9) == 0


def _metrics(product, location, status):
    return InventoryMetrics.objects.create(
        product=product,
        location=location,
        lead_time_days=7,
        inventory_position=1.0,
        on_hand=1.0,
        reorder_point=5.0,
        status=status,
        recommended_order_qty=24,
        abc_class="A",
        xyz_class="X",
        computed_at="2026-01-01T00:00:00Z",
    )


def test_weekly_what_to_order_report(mailoutbox):
    location = LocationFactory()
    critical, reorder, fine = ProductFactory(), ProductFactory(), ProductFactory()
    _metrics(critical, location, InventoryMetrics.Status.CRITICAL)
    _metrics(reorder, location, InventoryMetrics.Status.REORDER_NOW)
    _metrics(fine, location, "ok")
    planner = make_user(User.Role.PLANNER)
    client = client_for(HOST_A, planner)
    created = client.post("/api/v1/report-subscriptions/", {"weekday": 0}, format="json")
    assert created.status_code == 201 and created.json()["report"] == "what_to_order"
    assert_error(client.post("/api/v1/report-subscriptions/", {"weekday": 0}, format="json"), 409)
    assert_error(client.post("/api/v1/report-subscriptions/", {"weekday": 9}, format="json"), 400)
    # Someone else's subscription is not visible.
    other = client_for(HOST_A, make_user(User.Role.VIEWER))
    assert_error(other.get(f"/api/v1/report-subscriptions/{created.json()['id']}/"), 404)

    assert services.reports_send_due(now=MONDAY - timedelta(days=1)) == 0  # Sunday
    assert services.reports_send_due(now=MONDAY) == 1
    assert services.reports_send_due(now=MONDAY + timedelta(hours=1)) == 0  # already sent
    (mail,) = mailoutbox
    assert mail.to == [planner.email]
    (name, content, mimetype) = mail.attachments[0]
    assert name == "what-to-order-2026-12-07.csv" and mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(content)))
    assert {row["sku"] for row in rows} == {critical.sku, reorder.sku}
    assert {row["status"] for row in rows} == {"critical", "reorder_now"}
    assert services.reports_send_due(now=MONDAY + timedelta(days=7)) == 1
