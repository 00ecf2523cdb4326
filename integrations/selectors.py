"""Reads of the integrations app. Webhooks belong to tenant administrators; report
subscriptions to the user who made them."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet

from core.selectors import get_or_not_found
from integrations.models import (
    Notification,
    NotificationPreference,
    Report,
    ReportSchedule,
    ReportSubscription,
    WebhookDelivery,
    WebhookEndpoint,
)


def webhook_endpoint_list(*, user: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("created_by").order_by("id")


def access_webhook_endpoint(*, user: Any, endpoint_id: Any) -> WebhookEndpoint:
    return cast(
        WebhookEndpoint,
        get_or_not_found(
            webhook_endpoint_list(user=user), "No such webhook endpoint.", pk=endpoint_id
        ),
    )


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("tries")
        .order_by("-id")
    )


def access_webhook_delivery(*, endpoint: WebhookEndpoint, delivery_id: Any) -> WebhookDelivery:
    return cast(
        WebhookDelivery,
        get_or_not_found(
            webhook_delivery_list(endpoint=endpoint), "No such delivery.", pk=delivery_id
        ),
    )


def notification_preference_get(*, user: Any) -> NotificationPreference:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user)


def report_subscription_list(*, user: Any) -> QuerySet[ReportSubscription]:
    return ReportSubscription.objects.filter(user=user).order_by("id")


def access_report_subscription(*, user: Any, subscription_id: Any) -> ReportSubscription:
    return cast(
        ReportSubscription,
        get_or_not_found(
            report_subscription_list(user=user), "No such report subscription.", pk=subscription_id
        ),
    )


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-id")


def notification_unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def access_notification(*, user: Any, notification_id: Any) -> Notification:
    return cast(
        Notification,
        get_or_not_found(notification_list(user=user), "No such notification.", pk=notification_id),
    )


def report_schedule_list(*, user: Any) -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.order_by("id")


def access_report_schedule(*, user: Any, schedule_id: Any) -> ReportSchedule:
    return cast(
        ReportSchedule,
        get_or_not_found(
            report_schedule_list(user=user), "No such report schedule.", pk=schedule_id
        ),
    )


def report_list(*, user: Any) -> QuerySet[Report]:
    return Report.objects.order_by("-created_at", "-id")


def access_report(*, user: Any, report_id: Any) -> Report:
    return cast(Report, get_or_not_found(report_list(user=user), "No such report.", pk=report_id))
