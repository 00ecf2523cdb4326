"""Celery tasks of integrations: ids in, services do the work. Beat runs ``dispatch_webhooks``
in every tenant every 5 s (``tenants.tasks.fan_out``, no jitter); a retry is a delivery row
with its next attempt time, never a task that waits in the broker."""

from __future__ import annotations

import time

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from integrations import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(name="integrations.tasks.dispatch_webhooks", acks_late=True)
def dispatch_webhooks() -> int:
    """Fan new events out to deliveries and queue the due ones in batches of
    ``WEBHOOK_DELIVERY_CHUNK`` (one task each). Repeats while there is work, for at most
    ``WEBHOOK_DISPATCH_SECONDS``, so a burst does not wait 5 s per ``WEBHOOK_DISPATCH_BATCH``;
    at most ``WEBHOOK_DISPATCH_MAX`` deliveries are queued per run, so claimed deliveries do
    not wait in the broker past their claim and get queued twice."""
    deadline = time.monotonic() + settings.WEBHOOK_DISPATCH_SECONDS
    chunk = settings.WEBHOOK_DELIVERY_CHUNK
    queued = 0
    while True:
        fanned = services.events_fan_out()
        room = settings.WEBHOOK_DISPATCH_MAX - queued
        due = services.deliveries_claim_due(limit=min(room, settings.WEBHOOK_DISPATCH_BATCH))
        for start in range(0, len(due), chunk):
            deliver_webhooks.delay([list(claim) for claim in due[start : start + chunk]])
        queued += len(due)
        if (not fanned and not due) or time.monotonic() >= deadline:
            return queued
        if queued >= settings.WEBHOOK_DISPATCH_MAX and not fanned:
            return queued


@shared_task(
    name="integrations.tasks.deliver_webhooks",
    acks_late=True,
    max_retries=3,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
)
def deliver_webhooks(claims: list[list[int]]) -> dict[str, int]:
    """Attempt a batch of claimed deliveries ``[[id, attempts], …]``."""
    return services.webhook_deliveries_attempt(claims=[(int(i), int(a)) for i, a in claims])


@shared_task(
    name="integrations.tasks.deliver_webhook",
    bind=True,
    acks_late=True,
    max_retries=3,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
)
def deliver_webhook(
    self: Task, delivery_id: int, expected_attempts: int | None = None
) -> str | None:
    delivery = services.webhook_delivery_attempt(
        delivery_id=delivery_id, expected_attempts=expected_attempts
    )
    return None if delivery is None else delivery.status


@shared_task(name="integrations.tasks.notify_event", acks_late=True)
def notify_event(event_id: int) -> int:
    return services.event_notify(event_id=event_id)


@shared_task(name="integrations.tasks.send_due_reports", acks_late=True)
def send_due_reports() -> int:
    return services.reports_send_due()


@shared_task(name="integrations.tasks.send_notification_digests", acks_late=True)
def send_notification_digests() -> int:
    from integrations.notifications import notifications_send_digests

    return notifications_send_digests()


@shared_task(name="integrations.tasks.generate_due_reports", acks_late=True)
def generate_due_reports() -> int:
    from integrations.reports import reports_generate_due

    return reports_generate_due()


@shared_task(name="integrations.tasks.prune_reports", acks_late=True)
def prune_reports() -> int:
    from integrations.reports import reports_prune

    return reports_prune()
