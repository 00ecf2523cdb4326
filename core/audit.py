"""The audit trail of writes. Models opt in with ``track``; every save and delete of a tracked
model (through the API, the admin, a service or a task) becomes an ``AuditLog`` row naming the
acting user and the request id. Bulk writes (imports) record one entry per batch through
``audit_record`` instead."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

from core.context import current_actor, current_actor_schema, current_request_id

_TRACKED: set[type] = set()
# Fields never copied into the trail.
_SECRET_FIELDS = {"password", "key_hash", "secret"}


def track(model: type) -> type:
    """Class decorator / call: record creates, updates and deletes of ``model``."""
    _TRACKED.add(model)
    return model


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    actor: Any = None,
) -> None:
    from core.models import AuditLog

    if connection.schema_name == "public":  # core is a tenant app: public has no audit table
        return
    label_prefix = ""
    if actor is None:
        actor = current_actor()
        actor_schema = current_actor_schema()
        if actor is not None and actor_schema and actor_schema != connection.schema_name:
            # Someone from another schema (platform staff): record who, but no foreign key.
            label_prefix = f"{actor_schema}:"
    label = str(getattr(actor, "email", "") or getattr(actor, "username", "") or "")
    AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) and not label_prefix else None,
        actor_label=f"{label_prefix}{label}" if label else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:255],
        changes=changes or {},
        request_id=current_request_id() or "",
    )


def _snapshot(instance: Any, update_fields: Any) -> dict[str, Any]:
    names = (
        list(update_fields)
        if update_fields
        else [f.attname for f in instance._meta.concrete_fields]
    )
    return {
        name: str(getattr(instance, name, None)) for name in names if name not in _SECRET_FIELDS
    }


def _on_save(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if raw or sender not in _TRACKED:
        return
    audit_record(
        action="create" if created else "update",
        object_type=sender._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance),
        changes=_snapshot(instance, update_fields),
    )


def _on_delete(sender, instance, **kwargs) -> None:
    if sender not in _TRACKED:
        return
    audit_record(
        action="delete",
        object_type=sender._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance),
    )


def connect_signals() -> None:
    post_save.connect(_on_save, dispatch_uid="core.audit.save")
    post_delete.connect(_on_delete, dispatch_uid="core.audit.delete")
