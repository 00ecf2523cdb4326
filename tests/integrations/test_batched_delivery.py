"""The dispatcher's batched delivery against a real loopback receiver: one locking claim, a
kept-alive connection, successes recorded in bulk, failures through the retry schedule, stale
claims and disabled endpoints sending nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.events import emit_event
from integrations import services
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.tasks import dispatch_webhooks

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def test_a_batch_succeeds_in_bulk_and_retries_its_failures(receiver):
    endpoint = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    for number in range(4):
        emit_event("route_plan.completed", {"route_plan_id": number})
    services.events_fan_out()
    claims = services.deliveries_claim_due()
    assert len(claims) == 4
    receiver.statuses = [200, 500, 200, 200]
    now = timezone.now()
    counts = services.webhook_deliveries_attempt(claims=claims, now=now)
    assert counts == {"sent": 4, "succeeded": 3, "failed": 1, "dead": 0}
    assert len(receiver.requests) == 4
    assert all(receiver.signature_valid(r, endpoint.secret) for r in receiver.requests)
    bodies = [json.loads(r.body) for r in receiver.requests]
    # The batch's threads may reorder them (webhooks never promise order).
    assert sorted(b["data"]["route_plan_id"] for b in bodies) == [0, 1, 2, 3]
    assert len({r.headers["X-Webhook-Timestamp"] for r in receiver.requests}) == 1
    rows = {d.pk: d for d in WebhookDelivery.objects.filter(endpoint=endpoint)}
    assert sorted(d.status for d in rows.values()) == [
        "failed",
        "succeeded",
        "succeeded",
        "succeeded",
    ]
    failed = next(d for d in rows.values() if d.status == Status.FAILED)
    assert failed.attempts == 1 and failed.last_status_code == 500
    assert timedelta(seconds=7) <= failed.next_attempt_at - now <= timedelta(seconds=13)
    assert all(d.attempts == 1 for d in rows.values())
    assert WebhookAttempt.objects.filter(delivery__endpoint=endpoint, number=1).count() == 4
    # The same claims again (a duplicate task): nothing is sent twice.
    assert services.webhook_deliveries_attempt(claims=claims, now=now)["sent"] == 0
    assert len(receiver.requests) == 4
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None  # the failure started a streak


def test_disabled_endpoints_deliveries_die_and_refused_urls_fail(receiver, settings):
    endpoint = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    emit_event("route_plan.completed", {"route_plan_id": 1})
    services.events_fan_out()
    claims = services.deliveries_claim_due()
    endpoint.is_active = False
    endpoint.save()
    assert services.webhook_deliveries_attempt(claims=claims)["dead"] == 1
    assert receiver.requests == []

    other = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    emit_event("route_plan.completed", {"route_plan_id": 2})
    services.events_fan_out()
    settings.WEBHOOK_ALLOW_PRIVATE = False  # loopback is refused at delivery time
    counts = services.webhook_deliveries_attempt(claims=services.deliveries_claim_due())
    assert counts["failed"] == 1 and receiver.requests == []
    delivery = WebhookDelivery.objects.get(endpoint=other)
    assert delivery.last_error.startswith("Refused")


def test_the_dispatcher_queues_batches(receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_DELIVERY_CHUNK = 2
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        services.webhook_endpoint_create(url=receiver.url, events=["*"])
        for number in range(5):
            emit_event("route_plan.completed", {"route_plan_id": number})
        assert dispatch_webhooks() == 5
    finally:
        app.conf.task_always_eager = False
    assert len(receiver.requests) == 5
    assert WebhookDelivery.objects.filter(status=Status.SUCCEEDED).count() == 5


def test_one_dispatcher_run_queues_at_most_its_cap(receiver, settings):
    settings.WEBHOOK_DISPATCH_MAX = 3
    settings.WEBHOOK_DELIVERY_CHUNK = 2
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        services.webhook_endpoint_create(url=receiver.url, events=["*"])
        for number in range(5):
            emit_event("route_plan.completed", {"route_plan_id": number})
        assert dispatch_webhooks() == 3
        assert dispatch_webhooks() == 2
    finally:
        app.conf.task_always_eager = False
    assert len(receiver.requests) == 5
