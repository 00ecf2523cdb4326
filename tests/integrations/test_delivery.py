"""Webhook delivery at the service level, against a real receiver on loopback: signatures,
retries on a schedule with time controlled (never slept), dead letters, replay, filters and
the tenant boundary."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.events import emit_event
from integrations import services
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def _endpoint(receiver, events=("*",)):
    return services.webhook_endpoint_create(url=receiver.url, events=list(events))


def _deliveries(endpoint):
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))


def test_delivery_is_signed_with_the_endpoint_secret(receiver):
    endpoint = _endpoint(receiver)
    event = emit_event("import.completed", {"import_id": 7, "rows": 120})
    assert services.events_fan_out() == 1
    event.refresh_from_db()
    assert event.delivered_at is not None
    (delivery,) = _deliveries(endpoint)

    delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.response_ms is not None
    (request,) = receiver.requests
    assert receiver.signature_valid(request, endpoint.secret)
    assert not receiver.signature_valid(request, endpoint.secret + "x")  # a wrong secret fails
    assert request.headers["X-Webhook-Id"] == str(event.pk)
    body = json.loads(request.body)
    assert body == {
        "id": event.pk,
        "type": "import.completed",
        "created_at": body["created_at"],
        "tenant": "alpha",
        "data": {"import_id": 7, "rows": 120},
    }
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.number == 1 and attempt.response_excerpt == "answered 200"


def test_a_failure_is_retried_on_schedule_then_succeeds_once(receiver, settings):
    receiver.statuses = [500, 200]
    endpoint = _endpoint(receiver)
    emit_event("inventory.refreshed", {"items": 3})
    services.events_fan_out()
    (delivery,) = _deliveries(endpoint)
    now = timezone.now()

    delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now)
    assert delivery.status == Status.FAILED and delivery.last_status_code == 500
    # First retry 10 s ±20 % later; nothing is due before that.
    assert now + timedelta(seconds=8) <= delivery.next_attempt_at <= now + timedelta(seconds=12)
    assert services.deliveries_claim_due(now=now + timedelta(seconds=7)) == []
    later = delivery.next_attempt_at
    assert services.deliveries_claim_due(now=later) == [(delivery.pk, 1)]
    # Claimed: the next dispatcher run does not hand it out again.
    assert services.deliveries_claim_due(now=later) == []

    delivery = services.webhook_delivery_attempt(
        delivery_id=delivery.pk, expected_attempts=1, now=later
    )
    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 2
    first, second = receiver.requests
    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"]
    assert receiver.signature_valid(second, endpoint.secret)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None

    # A task run again (a duplicate, or a retry after a crash) sends nothing after a success.
    services.webhook_delivery_attempt(delivery_id=delivery.pk, now=later)
    services.webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=1, now=later)
    assert len(receiver.requests) == 2
    assert [a.status_code for a in WebhookAttempt.objects.filter(delivery=delivery)] == [500, 200]


def test_a_stale_task_for_a_moved_on_delivery_sends_nothing(receiver):
    endpoint = _endpoint(receiver)
    emit_event("inventory.refreshed", {})
    services.events_fan_out()
    (delivery,) = _deliveries(endpoint)
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk, expected_attempts=3)
    assert receiver.requests == []
    assert services.webhook_delivery_attempt(delivery_id=10**9) is None


def test_always_failing_goes_dead_after_the_last_attempt_and_replays(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [500, 503, 502]
    endpoint = _endpoint(receiver)
    emit_event("etl.sync_failed", {"source": 1})
    services.events_fan_out()
    (delivery,) = _deliveries(endpoint)
    now = timezone.now()
    for _ in range(3):
        delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now)
        now = (delivery.next_attempt_at or now) + timedelta(seconds=1)
    assert delivery.status == Status.DEAD and delivery.attempts == 3
    assert delivery.next_attempt_at is None and delivery.last_error == "HTTP 502"
    assert len(receiver.requests) == 3
    services.webhook_delivery_attempt(delivery_id=delivery.pk, now=now)
    assert len(receiver.requests) == 3  # dead stays dead

    replayed = services.webhook_delivery_replay(delivery=delivery)
    assert replayed.status == Status.PENDING and replayed.attempts == 0
    delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == Status.SUCCEEDED
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 4  # history kept


def test_the_retry_schedule_and_its_jitter(settings):
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    assert schedule == [10, 60, 300, 1800, 7200, 21600, 43200, 86400]
    assert settings.WEBHOOK_MAX_ATTEMPTS == 9  # 8 retries, about 45 h in all
    for attempt, seconds in enumerate(schedule, start=1):
        for _ in range(20):
            delay = services.retry_delay(attempts=attempt).total_seconds()
            assert 0.8 * seconds <= delay <= 1.2 * seconds
    assert services.retry_delay(attempts=20).total_seconds() <= 1.2 * schedule[-1]


def test_410_gone_disables_the_endpoint_and_tells_the_admins(
    receiver, tenant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    receiver.statuses = [410]
    endpoint = _endpoint(receiver)
    emit_event("inventory.refreshed", {})
    emit_event("simulation.completed", {})
    services.events_fan_out()
    first, second = _deliveries(endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_attempt(delivery_id=first.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Status.DEAD
    assert [m.to for m in mailoutbox] == [[tenant_admin.email]]
    assert "disabled" in mailoutbox[0].subject
    # New events are not fanned out to a disabled endpoint; replay is refused until enabled.
    emit_event("inventory.refreshed", {})
    assert services.events_fan_out() == 0
    with pytest.raises(services.NotReplayable):
        services.webhook_delivery_replay(delivery=second)
    services.webhook_endpoint_update(endpoint=endpoint, is_active=True)
    assert services.webhook_deliveries_replay(endpoint=endpoint) == 2


def test_an_endpoint_failing_for_24_hours_is_disabled(receiver, settings):
    receiver.statuses = [500] * 3
    endpoint = _endpoint(receiver)
    for _ in range(2):
        emit_event("inventory.refreshed", {})
    services.events_fan_out()
    first, second = _deliveries(endpoint)
    start = timezone.now()
    services.webhook_delivery_attempt(delivery_id=first.pk, now=start)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since == start
    services.webhook_delivery_attempt(delivery_id=second.pk, now=start + timedelta(hours=25))
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "24 h" in endpoint.disabled_reason


def test_an_inactive_endpoints_open_delivery_is_dead_without_a_request(receiver):
    endpoint = _endpoint(receiver)
    emit_event("inventory.refreshed", {})
    services.events_fan_out()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    (delivery,) = _deliveries(endpoint)
    delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == Status.DEAD and receiver.requests == []


def test_an_unreachable_receiver_is_a_failed_attempt(receiver):
    endpoint = services.webhook_endpoint_create(url="http://127.0.0.1:9/nothing", events=["*"])
    emit_event("inventory.refreshed", {})
    services.events_fan_out()
    (delivery,) = _deliveries(endpoint)
    delivery = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == Status.FAILED and delivery.last_status_code is None
    assert "ConnectError" in delivery.last_error


def test_endpoints_get_only_the_event_types_they_chose(receiver):
    orders = _endpoint(receiver, events=["purchase_order.received"])
    everything = _endpoint(receiver, events=["*"])
    emit_event("import.completed", {})
    emit_event("purchase_order.received", {"purchase_order_id": 1})
    assert services.events_fan_out() == 3
    assert [d.event.type for d in _deliveries(orders)] == ["purchase_order.received"]
    assert len(_deliveries(everything)) == 2
    # Fanned out once: a second run finds nothing new.
    assert services.events_fan_out() == 0


def test_webhook_test_goes_to_its_endpoint_only(receiver):
    tested = _endpoint(receiver, events=["import.completed"])
    other = _endpoint(receiver, events=["*"])
    event = services.webhook_test_send(endpoint=tested)
    services.events_fan_out()
    assert _deliveries(other) == []
    (delivery,) = _deliveries(tested)
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    (request,) = receiver.requests
    body = json.loads(request.body)
    assert body["type"] == "webhook.test" and body["id"] == event.pk


def test_an_event_whose_transaction_rolls_back_is_never_delivered(receiver):
    endpoint = _endpoint(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit_event("import.completed", {})
        raise RuntimeError("the import failed")
    assert services.events_fan_out() == 0
    assert _deliveries(endpoint) == []


def test_a_tenant_never_receives_another_tenants_events(receiver, tenant_b):
    endpoint_a = _endpoint(receiver)
    connection.set_tenant(tenant_b)
    endpoint_b = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    emit_event("import.completed", {"tenant": "beta"})
    assert services.events_fan_out() == 1
    (delivery_b,) = WebhookDelivery.objects.all()
    assert delivery_b.endpoint_id == endpoint_b.pk
    services.webhook_delivery_attempt(delivery_id=delivery_b.pk)
    assert json.loads(receiver.requests[0].body)["tenant"] == "beta"
    assert receiver.signature_valid(receiver.requests[0], endpoint_b.secret)
    connection.set_tenant(
        type(tenant_b).objects.get(slug="alpha")
    )  # back in alpha: nothing of beta's arrived
    assert services.events_fan_out() == 0
    assert _deliveries(endpoint_a) == []


def test_beat_runs_the_dispatcher_every_5_seconds_without_jitter(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-dispatch"]
    assert entry["schedule"] == timedelta(seconds=5)
    assert entry["kwargs"] == {
        "task_name": "integrations.tasks.dispatch_webhooks",
        "jitter_seconds": 0,
    }
