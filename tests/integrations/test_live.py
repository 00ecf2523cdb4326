"""End to end on a real Celery worker: the dispatcher task (what beat runs every 5 s) fans a
committed event out and its delivery task POSTs it to a receiver on loopback."""

from __future__ import annotations

import time

from django_tenants.utils import schema_context

from core.events import emit_event
from core.models import AuditLog, Event
from integrations import services
from integrations.models import WebhookDelivery
from integrations.tasks import dispatch_webhooks


def _wait(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_dispatcher_delivers_on_a_worker(live_worker, live_db, tenant_a, receiver):
    with schema_context(tenant_a.schema_name):
        endpoint = services.webhook_endpoint_create(
            url=receiver.url, events=["route_plan.completed"]
        )
        event = emit_event("route_plan.completed", {"route_plan_id": 5})
        endpoint_id = endpoint.pk
        try:
            dispatch_webhooks.delay()

            # Ours is the request carrying this event's id (an endpoint another test left in
            # the tenant may receive the same event).
            def ours():
                return [r for r in receiver.requests if f'"id":{event.pk},' in r.body.decode()]

            assert _wait(lambda: len(ours()) == 1), "nothing arrived"
            assert receiver.signature_valid(ours()[0], endpoint.secret)
            assert _wait(
                lambda: WebhookDelivery.objects.filter(
                    endpoint=endpoint, status=WebhookDelivery.Status.SUCCEEDED
                ).exists()
            )
            event.refresh_from_db()
            assert event.delivered_at is not None
        finally:
            endpoint.delete()
            Event.objects.filter(pk=event.pk).delete()
            AuditLog.objects.filter(
                object_type="integrations.webhookendpoint", object_id=str(endpoint_id)
            ).delete()
