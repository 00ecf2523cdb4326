"""Beat dispatchers: one task per schedule fans the real task out to every active tenant."""

from __future__ import annotations

import random

from celery import current_app, shared_task
from django.conf import settings
from django_tenants.utils import schema_context

from tenants.selectors import active_tenants


@shared_task(name="tenants.tasks.fan_out", acks_late=True)
def fan_out(task_name: str, jitter_seconds: int | None = None) -> int:
    """Send ``task_name`` once per active tenant, in that tenant's schema, spread over
    ``jitter_seconds`` so a thousand tenants do not start the same work at one instant."""
    jitter = settings.FAN_OUT_JITTER_SECONDS if jitter_seconds is None else jitter_seconds
    schemas = list(active_tenants().values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            current_app.send_task(
                task_name, countdown=random.uniform(0, jitter) if jitter else None
            )
    return len(schemas)
