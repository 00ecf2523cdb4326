"""The event outbox: what happened in a tenant, for the ``integrations`` app to deliver later
(webhooks, notifications). See docs/adr/0018-event-outbox.md.

``emit_event`` writes one ``Event`` row on the caller's connection, inside the caller's
transaction: a change and the event that reports it commit together or not at all, so a
rolled-back import never announces itself and a committed one is never lost to a broker
outage. Delivery reads the table after commit; nothing is sent from here.

Lower apps (forecasting, inventory, routing, etl …) tell the rest of the platform what
happened through these events instead of importing the apps that care.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from core.models import Event

# Every event type the platform emits: ``<thing>.<what happened>``. Webhook subscriptions (in
# integrations) choose from these; a type not listed here is a programming error.
EVENT_TYPES: frozenset[str] = frozenset(
    {
        "forecast_run.completed",
        "forecast_run.failed",
        "inventory.refreshed",
        "inventory.stock_low",
        "simulation.completed",
        "import.completed",
        "import.rejected",
        "etl.sync_failed",
        "route_plan.completed",
        "purchase_order.approved",
        "purchase_order.sent",
        "purchase_order.received",
        "purchase_order.cancelled",
        "purchase_order.closed",
        "work_order.completed",
        "mrp_run.completed",
        "report.generated",
        "webhook.test",
    }
)


_INSERT = (
    f"INSERT INTO {Event._meta.db_table} (type, data, actor_id, created_at) "  # noqa: S608
    "VALUES (%s, %s::jsonb, %s, %s) RETURNING id"
)


def emit_event(type: str, data: dict[str, Any], *, actor: Any = None) -> Event:
    """Record that ``type`` happened, with its ``data``, in the active tenant schema.

    ``type`` must be in ``EVENT_TYPES`` (``ValueError`` otherwise). ``data`` is a dict that
    ``DjangoJSONEncoder`` can encode (dates, datetimes, decimals and UUIDs become strings;
    anything else raises ``TypeError``); keep it small: ids, counts, statuses, not result sets.
    ``actor`` is the user of this tenant who caused it (a user or a user id), or None for the
    system (beat schedules, syncs). Runs in the caller's transaction; commit is the caller's.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}; add it to core.events.EVENT_TYPES.")
    if not isinstance(data, dict):
        raise TypeError(f"Event data must be a dict, not {data.__class__.__name__}.")
    if connection.schema_name == "public":
        raise RuntimeError("Events belong to a tenant: no tenant schema is active.")
    text = json.dumps(data, cls=DjangoJSONEncoder)
    actor_id = actor if isinstance(actor, int) else getattr(actor, "pk", None)
    now = timezone.now()
    # One INSERT on the caller's connection, without the ORM's save machinery (no signal
    # listens to events): what emitting adds to a transaction is this round trip (ADR 36).
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [type, text, actor_id, now])
        (pk,) = cursor.fetchone()
    event = Event(id=pk, type=type, data=json.loads(text), actor_id=actor_id, created_at=now)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def events_prune(*, older_than_days: int) -> int:
    """Delete events created more than ``older_than_days`` days ago; returns how many.
    Retention is ``EVENT_RETENTION_DAYS`` (the daily beat task passes it)."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1.")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
