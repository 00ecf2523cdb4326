"""Celery tasks of integrations: ids in, services do the work. Beat runs ``dispatch_webhooks``
in every tenant every 5 s (``tenants.tasks.fan_out``, no jitter); a retry is a delivery row
with its next attempt time, never a task that waits in the broker."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(name="integrations.tasks.dispatch_webhooks", acks_late=True)
def dispatch_webhooks() -> int:
    """Fan new events out to deliveries and queue one task per delivery that is due."""
    services.events_fan_out()
    due = services.deliveries_claim_due()
    for delivery_id, attempts in due:
        deliver_webhook.delay(delivery_id, attempts)
    return len(due)


@shared_task(
    name="integrations.tasks.deliver_webhook",
    bind=True,
    acks_late=True,
    max_retries=3,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
)
def deliver_webhook(self, delivery_id: int, expected_attempts: int | None = None) -> str | None:
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
