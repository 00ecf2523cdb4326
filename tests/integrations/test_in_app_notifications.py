"""In-app notifications: role defaults, subscriptions, made by the dispatcher, read through
the API and the pages (the bell), mailed at once or in a daily digest, per tenant."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from core.events import emit_event
from integrations import notifications, services
from integrations.models import Notification
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


def _dispatch() -> None:
    services.events_fan_out()


def test_role_defaults_planners_hear_of_low_stock_and_failed_runs():
    planner = make_user(User.Role.PLANNER)
    viewer = make_user(User.Role.VIEWER)
    admin = make_user(User.Role.ADMIN)
    emit_event("inventory.stock_low", {"count": 3})
    emit_event("forecast_run.failed", {"run_id": 5})
    emit_event("import.rejected", {"import_id": 1})
    emit_event("inventory.refreshed", {})
    _dispatch()
    mine = set(Notification.objects.filter(user=planner).values_list("type", flat=True))
    assert mine == {"inventory.stock_low", "forecast_run.failed"}
    assert not Notification.objects.filter(user=viewer).exists()
    assert "import.rejected" in set(
        Notification.objects.filter(user=admin).values_list("type", flat=True)
    )
    note = Notification.objects.get(user=planner, type="inventory.stock_low")
    assert note.title == "Stock is low" and "count: 3" in note.body


def test_subscriptions_override_the_role_defaults():
    planner = make_user(User.Role.PLANNER)
    client = client_for(HOST_A, planner)
    current = client.get("/api/v1/notifications/subscriptions/").json()["subscriptions"]
    assert current["inventory.stock_low"] == {"enabled": True, "email": True, "default": True}
    assert current["import.completed"]["enabled"] is False
    response = client.put(
        "/api/v1/notifications/subscriptions/",
        {
            "subscriptions": {
                "inventory.stock_low": {"enabled": False, "email": False},
                "import.completed": {"enabled": True, "email": False},
            }
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["subscriptions"]["import.completed"]["default"] is False
    bad = client.put(
        "/api/v1/notifications/subscriptions/",
        {"subscriptions": {"nope.never": {"enabled": True, "email": True}}},
        format="json",
    )
    assert_error(bad, 400)
    emit_event("inventory.stock_low", {"count": 1})
    emit_event("import.completed", {"import_id": 2})
    _dispatch()
    assert list(Notification.objects.filter(user=planner).values_list("type", "wants_email")) == [
        ("import.completed", False)
    ]


def test_list_unread_count_mark_read_and_mark_all(tenant_b):
    planner = make_user(User.Role.PLANNER)
    other = make_user(User.Role.PLANNER)
    for run in range(3):
        emit_event("forecast_run.failed", {"run_id": run})
    _dispatch()
    client = client_for(HOST_A, planner)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}
    listed = client.get("/api/v1/notifications/").json()
    assert listed["count"] == 3 and listed["results"][0]["is_read"] is False
    first = listed["results"][0]["id"]
    read = client.post(f"/api/v1/notifications/{first}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True
    assert client.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 2
    # Someone else's notification is not yours to read.
    theirs = Notification.objects.filter(user=other).first()
    assert_error(client.post(f"/api/v1/notifications/{theirs.pk}/read/"), 404)
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 0}
    # Another tenant's user sees none of ours.
    with schema_context(tenant_b.schema_name):
        beta_planner = make_user(User.Role.PLANNER)
    seen = client_for(HOST_B, beta_planner).get("/api/v1/notifications/").json()
    assert seen["count"] == 0


def test_mail_at_once_or_in_a_daily_digest(mailoutbox, django_capture_on_commit_callbacks):
    at_once = make_user(User.Role.PLANNER)
    digest = make_user(User.Role.PLANNER)
    response = client_for(HOST_A, digest).put(
        "/api/v1/notifications/preferences/",
        {"email_enabled": True, "email_digest": True},
        format="json",
    )
    assert response.json()["email_digest"] is True
    first = emit_event("inventory.stock_low", {"count": 2})
    emit_event("forecast_run.failed", {"run_id": 9})
    with django_capture_on_commit_callbacks() as callbacks:
        _dispatch()
    assert len(callbacks) == 1
    assert services.event_notify(event_id=first.pk) == 1
    assert [mail.to for mail in mailoutbox] == [[at_once.email]]
    assert services.event_notify(event_id=first.pk) == 0  # mailed once
    assert notifications.notifications_send_digests() == 1
    digest_mail = mailoutbox[-1]
    assert digest_mail.to == [digest.email] and "2 notifications" in digest_mail.subject
    assert notifications.notifications_send_digests() == 0


def test_the_bell_and_the_page(planner):
    emit_event("inventory.stock_low", {"count": 4})
    _dispatch()
    client = client_for(HOST_A)
    client.force_login(planner)
    page = client.get("/app/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stock is low" in html and 'hx-get="/app/notifications/bell"' in html
    bell = client.get("/app/notifications/bell").content.decode()
    assert 'data-unread="1"' in bell and 'hx-trigger="every 15s"' in bell
    assert client.post("/app/notifications/read-all").status_code == 302
    assert "data-unread" not in client.get("/app/notifications/bell").content.decode()
