"""In-app notifications and their mail: who hears of which event (subscriptions with defaults
per role), the notifications the outbox dispatcher makes, mail at once or in a daily digest,
and reading them. See docs/adr/0033-audit-notifications-reports.md."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from core.exceptions import ValidationFailed
from core.models import Event
from integrations.models import Notification, NotificationPreference, NotificationSubscription

# What each role hears of unless its user chooses otherwise (in-app and mail).
ROLE_DEFAULTS: dict[str, frozenset[str]] = {
    User.Role.ADMIN: frozenset(
        {
            "inventory.stock_low",
            "import.rejected",
            "etl.sync_failed",
            "forecast_run.failed",
            "report.generated",
        }
    ),
    User.Role.PLANNER: frozenset(
        {"inventory.stock_low", "forecast_run.failed", "report.generated"}
    ),
    User.Role.VIEWER: frozenset(),
}
TITLES = {
    "forecast_run.completed": "A forecast run finished",
    "forecast_run.failed": "A forecast run failed",
    "inventory.refreshed": "Inventory metrics were refreshed",
    "inventory.stock_low": "Stock is low",
    "simulation.completed": "A simulation finished",
    "import.completed": "An import finished",
    "import.rejected": "An import was rejected",
    "etl.sync_failed": "A data sync failed",
    "route_plan.completed": "A route plan is ready",
    "purchase_order.approved": "A purchase order was approved",
    "purchase_order.sent": "A purchase order was sent",
    "purchase_order.received": "A purchase order was received",
    "purchase_order.cancelled": "A purchase order was cancelled",
    "purchase_order.closed": "A purchase order was closed",
    "work_order.completed": "A working order was completed",
    "mrp_run.completed": "An MRP run finished",
    "report.generated": "A scheduled report is ready",
}
NOTIFIABLE = frozenset(TITLES)


def _schema() -> str:
    """The active tenant schema (django-tenants adds it to the connection; no stubs)."""
    return str(getattr(connection, "schema_name", ""))


def _body(event: Event) -> str:
    return "\n".join(f"{key}: {value}" for key, value in sorted(event.data.items()))[:2000]


def subscriptions_effective(*, user: Any) -> dict[str, dict[str, bool]]:
    """Every notifiable event type → ``{"enabled", "email", "default"}`` for ``user``."""
    rows = {row.event_type: row for row in NotificationSubscription.objects.filter(user=user)}
    defaults = ROLE_DEFAULTS.get(user.role, frozenset())
    result = {}
    for event_type in sorted(NOTIFIABLE):
        row = rows.get(event_type)
        on = event_type in defaults
        result[event_type] = {
            "enabled": row.enabled if row else on,
            "email": row.email if row else on,
            "default": row is None,
        }
    return result


def subscriptions_set(*, user: Any, choices: dict[str, dict[str, bool]]) -> dict[str, Any]:
    """Save ``{event_type: {"enabled": bool, "email": bool}}``; unknown types are refused."""
    unknown = sorted(set(choices) - NOTIFIABLE)
    if unknown:
        raise ValidationFailed("Unknown event types.", details={"event_types": unknown})
    with transaction.atomic():
        for event_type, choice in choices.items():
            NotificationSubscription.objects.update_or_create(
                user=user,
                event_type=event_type,
                defaults={
                    "enabled": bool(choice.get("enabled", True)),
                    "email": bool(choice.get("email", choice.get("enabled", True))),
                },
            )
    return subscriptions_effective(user=user)


def notifications_create(*, events: list[Event]) -> list[int]:
    """Notifications for ``events`` (in the dispatcher's transaction): one per event and
    active user subscribed to its type. Two queries to decide, one bulk insert. Returns the
    ids of the events with a mail to send at once (not in a digest)."""
    events = [event for event in events if event.type in NOTIFIABLE]
    if not events:
        return []
    users = list(User.objects.filter(is_active=True).values_list("id", "role"))
    chosen: dict[int, dict[str, tuple[bool, bool]]] = defaultdict(dict)
    for user_id, event_type, enabled, email in NotificationSubscription.objects.filter(
        event_type__in={event.type for event in events}
    ).values_list("user_id", "event_type", "enabled", "email"):
        chosen[user_id][event_type] = (enabled, email)
    mail_off = set(
        NotificationPreference.objects.filter(email_enabled=False).values_list("user_id", flat=True)
    )
    digest = set(
        NotificationPreference.objects.filter(email_digest=True).values_list("user_id", flat=True)
    )
    rows, mail_now = [], set()
    for event in events:
        for user_id, role in users:
            default = event.type in ROLE_DEFAULTS.get(role, frozenset())
            enabled, email = chosen[user_id].get(event.type, (default, default))
            if not enabled:
                continue
            wants_email = email and user_id not in mail_off
            rows.append(
                Notification(
                    user_id=user_id,
                    event=event,
                    type=event.type,
                    title=TITLES[event.type],
                    body=_body(event),
                    wants_email=wants_email,
                )
            )
            if wants_email and user_id not in digest:
                mail_now.add(event.pk)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return sorted(mail_now)


def _prefix() -> str:
    tenant = getattr(connection, "tenant", None)
    return f"[{getattr(tenant, 'name', _schema())}] "


def notifications_mail_event(*, event_id: int) -> int:
    """Mail the notifications of one event to the users who want them at once; returns the
    mails sent. A notification is mailed once (``emailed_at``)."""
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(event_id=event_id, wants_email=True, emailed_at__isnull=True)
            .exclude(user__notification_preference__email_digest=True)
            .exclude(user__email="")
            .select_related("user", "event")
        )
        if not pending:
            return 0
        messages = []
        for note in pending:
            when = f"{note.event.created_at:%Y-%m-%d %H:%M} UTC"
            body = f"{note.title} ({note.type}, {when}).\n{note.body}\n\n" + (
                "Choose what you hear of at /api/v1/notifications/subscriptions/."
            )
            messages.append((_prefix() + note.title, body, None, [note.user.email]))
        sent = send_mass_mail(messages, fail_silently=False)
        Notification.objects.filter(pk__in=[note.pk for note in pending]).update(
            emailed_at=timezone.now()
        )
    return sent


def notifications_send_digests(*, now: datetime | None = None) -> int:
    """One mail per digest user with every notification not yet mailed (the daily beat
    task); returns the mails sent."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                wants_email=True,
                emailed_at__isnull=True,
                user__notification_preference__email_digest=True,
                created_at__gte=now - timedelta(days=7),
            )
            .exclude(user__email="")
            .select_related("user")
            .order_by("user_id", "id")
        )
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for note in pending:
            by_user[note.user_id].append(note)
        messages = []
        for notes in by_user.values():
            lines = [f"- {n.created_at:%Y-%m-%d %H:%M} UTC  {n.title}" for n in notes]
            body = f"{len(notes)} notifications since the last digest:\n\n" + "\n".join(lines)
            messages.append(
                (
                    _prefix() + f"Daily digest: {len(notes)} notifications",
                    body,
                    None,
                    [notes[0].user.email],
                )
            )
        sent = send_mass_mail(messages, fail_silently=False) if messages else 0
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    return sent


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_prune(*, older_than_days: int) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Notification.objects.filter(created_at__lt=cutoff).delete()
    return deleted
