"""The webhooks API: admins in person only, the secret shown once, tests, deliveries, the
dead-letter filter and replays, and the tenant boundary by host."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import api_key_create
from core.events import emit_event
from integrations import services
from integrations.models import WebhookDelivery
from tests.conftest import HOST_A, HOST_B, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_admin(tenant_admin):
    return client_for(HOST_A, tenant_admin)


def test_create_shows_the_secret_once(api_admin, receiver, tenant_admin):
    created = api_admin.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["purchase_order.received"], "description": "ERP"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["created_by"] == tenant_admin.email
    listed = api_admin.get("/api/v1/webhooks/").json()
    assert [e["id"] for e in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]
    detail = api_admin.get(f"/api/v1/webhooks/{body['id']}").json()
    assert "secret" not in detail and detail["events"] == ["purchase_order.received"]

    updated = api_admin.patch(f"/api/v1/webhooks/{body['id']}/", {"events": ["*"]}, format="json")
    assert updated.status_code == 200 and updated.json()["events"] == ["*"]
    assert api_admin.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204


def test_bad_input_is_refused(api_admin, receiver):
    for payload in (
        {"url": receiver.url, "events": []},
        {"url": receiver.url, "events": ["no.such_event"]},
        {"url": "ftp://example.com/x", "events": ["*"]},
        {"url": "not a url", "events": ["*"]},
    ):
        assert_error(api_admin.post("/api/v1/webhooks/", payload, format="json"), 400)


def test_only_admins_in_person(receiver, tenant_admin):
    for role in (User.Role.VIEWER, User.Role.PLANNER):
        client = client_for(HOST_A, make_user(role))
        assert_error(client.get("/api/v1/webhooks/"), 403)
        assert_error(
            client.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"),
            403,
        )
    _, raw = api_key_create(user=tenant_admin, name="partner", scopes=["read", "write"])
    keyed = client_for(HOST_A, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert_error(keyed.get("/api/v1/webhooks/"), 403)


def test_test_deliveries_dead_letters_and_replay(api_admin, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    endpoint_id = api_admin.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"
    ).json()["id"]
    sent = api_admin.post(f"/api/v1/webhooks/{endpoint_id}/test")  # no trailing slash
    assert sent.status_code == 202
    services.events_fan_out()
    (delivery,) = WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
    assert delivery.event_id == sent.json()["event_id"]
    services.webhook_delivery_attempt(delivery_id=delivery.pk)

    dead = api_admin.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?status=dead").json()
    assert [d["id"] for d in dead["results"]] == [delivery.pk]
    row = dead["results"][0]
    assert row["event_type"] == "webhook.test" and row["tries"][0]["status_code"] == 500
    assert (
        api_admin.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?status=succeeded").json()[
            "results"
        ]
        == []
    )
    assert_error(api_admin.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?status=x"), 400)

    url = f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.pk}/redeliver/"
    replayed = api_admin.post(url)
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    assert_error(api_admin.post(url), 409, "not_replayable")  # pending: nothing to replay
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and len(receiver.requests) == 2

    emit_event("inventory.refreshed", {})
    services.events_fan_out()
    receiver.statuses = [500]
    for pending in WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status="pending"):
        services.webhook_delivery_attempt(delivery_id=pending.pk)
    bulk = api_admin.post(f"/api/v1/webhooks/{endpoint_id}/deliveries/redeliver")
    assert bulk.status_code == 200 and bulk.json() == {"replayed": 1}


def test_another_tenant_sees_nothing_of_ours(api_admin, receiver, tenant_b):
    endpoint_id = api_admin.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"
    ).json()["id"]
    services.webhook_test_send(endpoint=services.WebhookEndpoint.objects.get(pk=endpoint_id))
    services.events_fan_out()
    delivery = WebhookDelivery.objects.get(endpoint_id=endpoint_id)
    with schema_context(tenant_b.schema_name):
        admin_b = make_user(User.Role.ADMIN)
    client_b = client_for(HOST_B, admin_b)
    assert client_b.get("/api/v1/webhooks/").json()["results"] == []
    assert_error(client_b.get(f"/api/v1/webhooks/{endpoint_id}/"), 404)
    assert_error(client_b.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/"), 404)
    assert_error(client_b.post(f"/api/v1/webhooks/{endpoint_id}/test/"), 404)
    assert_error(
        client_b.post(f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.pk}/redeliver/"), 404
    )
    assert_error(client_b.delete(f"/api/v1/webhooks/{endpoint_id}/"), 404)


def test_private_addresses_are_refused_by_the_api(api_admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    error = assert_error(
        api_admin.post(
            "/api/v1/webhooks/", {"url": "http://127.0.0.1/hooks", "events": ["*"]}, format="json"
        ),
        400,
        "webhook_url_refused",
    )
    assert "private" in error["message"]


def test_endpoint_writes_are_audited_without_the_secret(api_admin, receiver, tenant_admin):
    from core.models import AuditLog

    endpoint_id = api_admin.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"
    ).json()["id"]
    entry = AuditLog.objects.get(
        object_type="integrations.webhookendpoint", object_id=str(endpoint_id), action="create"
    )
    assert entry.actor_id == tenant_admin.pk
    assert entry.changes["url"] == receiver.url and "secret" not in entry.changes


def test_the_back_office_lists_and_replays_dead_deliveries(receiver, settings):
    from django.test import Client

    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    endpoint = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    emit_event("inventory.refreshed", {})
    emit_event("inventory.refreshed", {})
    services.events_fan_out()
    dead, succeeded = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
    services.webhook_delivery_attempt(delivery_id=dead.pk)
    services.webhook_delivery_attempt(delivery_id=succeeded.pk)
    staff = make_user(User.Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(staff)
    assert client.get("/admin/integrations/webhookdelivery/?status=dead").status_code == 200
    page = client.get(f"/admin/integrations/webhookdelivery/{dead.pk}/change/")
    assert page.status_code == 200 and "HTTP 500" in page.content.decode()
    endpoint_page = client.get(f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in endpoint_page.content.decode()
    response = client.post(
        "/admin/integrations/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [dead.pk, succeeded.pk]},
        follow=True,
    )
    assert "1 deliveries queued again" in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == WebhookDelivery.Status.PENDING


def test_the_back_office_creates_endpoints_through_the_same_rules(settings):
    from django.test import Client

    staff = make_user(User.Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(staff)
    url = "/admin/integrations/webhookendpoint/add/"
    form = {"url": "https://93.184.216.34/hooks", "events": '["*"]', "is_active": "on"}
    settings.WEBHOOK_ALLOW_PRIVATE = False
    refused = client.post(url, form | {"url": "http://10.0.0.1/"})
    assert refused.status_code == 200 and "private" in refused.content.decode()
    assert client.post(url, form | {"events": '["nope"]'}).status_code == 200
    created = client.post(url, form, follow=True)
    endpoint = services.WebhookEndpoint.objects.get(url=form["url"])
    assert endpoint.secret in created.content.decode() and endpoint.created_by == staff
