"""The audit trail of writes: who (user, API key), what (action, object, a compact diff), when
and from where (request id, client address). See docs/adr/0033-audit-notifications-reports.md.

Models opt in with ``track`` (or by label in ``AUDITED_MODELS``): every ``save`` and ``delete``
of a tracked model, through the API, the admin, a service, a task or a command, becomes an
``AuditLog`` row. An update records only the fields that changed (``{field: [old, new]}``);
a save that changed nothing records nothing. Values are remembered when an instance is loaded
(``post_init``), so the diff costs no query. Bulk writes (imports, the cart, state changes done
with ``QuerySet.update``) record one entry per operation through ``audit_record``.

The actor, request id and address come from ``core.context``: the request middleware sets
them, Celery tasks carry them in their headers and jobs run as the user who started them.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models.signals import post_delete, post_init, post_save

from core.context import (
    current_actor,
    current_actor_schema,
    current_api_key,
    current_ip,
    current_request_id,
)

# model -> the fields whose changes are recorded (None: every concrete field).
_TRACKED: dict[type, frozenset[str] | None] = {}
# Never copied into the trail.
_SECRET_FIELDS = {"password", "key_hash", "secret"}
# Bookkeeping that changes on every save and says nothing about the change itself.
_NOISE_FIELDS = {"updated_at", "created_at", "last_login", "last_used_at", "heartbeat_at"}
_MAX_VALUE_CHARS = 200

# Models of the other apps recorded by label (core imports no app above it); runs record
# their status changes only, not every progress tick.
AUDITED_MODELS: dict[str, tuple[str, ...] | None] = {
    "catalog.ProductExclusion": None,
    "catalog.ProductUnit": None,
    "etl.DataSource": None,
    "etl.ImportBatch": (
        "status",
        "kind",
        "source_name",
        "dry_run",
        "rows",
        "inserted",
        "updated",
        "unchanged",
        "error_count",
    ),
    "etl.SyncRun": ("status", "error"),
    "forecasting.ForecastSettings": None,
    "forecasting.ForecastRun": ("status", "error"),
    "forecasting.MethodOverride": None,
    "forecasting.Scenario": None,
    "forecasting.ModelRegistryEntry": None,
    "inventory.InventorySettings": None,
    "inventory.SimulationRun": ("status", "error"),
    "routing.Vehicle": None,
    "routing.DeliveryOrder": None,
    "routing.RoutePlan": ("status", "error"),
    "purchasing.OrderSuggestion": None,
    "manufacturing.BillOfMaterials": None,
    "manufacturing.WorkCentre": None,
    "manufacturing.MasterProductionSchedule": None,
    "manufacturing.WorkingOrder": None,
    "manufacturing.PlannedOrder": ("firmed", "working_order"),
    "manufacturing.MrpRun": ("status", "error"),
}


def track(model: type, fields: tuple[str, ...] | None = None) -> type:
    """Record creates, updates and deletes of ``model`` (only changes of ``fields`` when
    given). Usable as a class decorator or a call in ``AppConfig.ready``."""
    _TRACKED[model] = frozenset(fields) if fields else None
    # Per sender: loading rows of models nobody audits pays nothing.
    post_init.connect(_on_init, sender=model, dispatch_uid=f"core.audit.init.{model._meta.label}")
    return model


def track_configured() -> None:
    """Track the models named in ``AUDITED_MODELS`` that are installed."""
    for label, fields in AUDITED_MODELS.items():
        app_label, model_name = label.split(".")
        if not apps.is_installed(app_label):
            continue
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        track(model, fields)


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    actor: Any = None,
) -> None:
    """Write one trail entry in the active tenant schema (nothing in ``public``). ``actor``
    defaults to the context's user; the API key, request id and address come from the
    context."""
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
        actor_label=f"{label_prefix}{label}"[:255] if label else "",
        api_key=current_api_key()[:32],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:255],
        changes=changes or {},
        request_id=current_request_id() or "",
        ip=current_ip(),
    )


def audit_status_change(
    model: Any,
    object_id: Any,
    *,
    status: str,
    previous: str | None = None,
    error: str = "",
    started_by: int | None = None,
    object_repr: str = "",
) -> None:
    """One entry for a status change written with ``QuerySet.update`` (a run, an import
    finishing or failing in a worker), which the save signal does not see. The actor is the
    context's (a job runs as the user, and with the API key, that started it); without one,
    the user who started the run (``started_by``)."""
    actor = None
    if current_actor() is None and started_by:
        from django.contrib.auth import get_user_model

        actor = get_user_model().objects.filter(pk=started_by).first()
    changes: dict[str, Any] = {"status": [previous, status]}
    if error:
        changes["error"] = [None, _plain(error)]
    audit_record(
        action="update",
        object_type=model._meta.label_lower,
        object_id=object_id,
        object_repr=object_repr or f"{model.__name__} {object_id} ({status})",
        changes=changes,
        actor=actor,
    )


def _plain(value: Any) -> Any:
    """A JSON-ready, bounded form of a field value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, decimal.Decimal | datetime.date | datetime.time | uuid.UUID):
        return str(value) if not isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value][:50]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in list(value.items())[:50]}
    text = str(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def _watched(model: type, names: Any = None) -> list[str]:
    fields = _TRACKED.get(model)
    candidates = names if names is not None else [f.attname for f in model._meta.concrete_fields]
    return [
        name
        for name in candidates
        if name not in _SECRET_FIELDS
        and name not in _NOISE_FIELDS
        and (fields is None or name in fields or name.removesuffix("_id") in fields)
    ]


def _values(instance: Any) -> dict[str, Any]:
    loaded = instance.__dict__
    return {name: loaded[name] for name in _watched(type(instance)) if name in loaded}


def _on_init(sender, instance, **kwargs) -> None:
    instance._audit_before = _values(instance)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if name in before and before[name] != value
    }


def _on_save(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if raw or sender not in _TRACKED:
        return
    after = {
        name: instance.__dict__.get(name)
        for name in _watched(sender, list(update_fields) if update_fields else None)
        if name in instance.__dict__
    }
    if created:
        changes: dict[str, Any] = {
            name: _plain(value) for name, value in after.items() if value not in (None, "", [])
        }
    else:
        before = getattr(instance, "_audit_before", None)
        if before is None:  # made without loading (a bare instance with a pk): no diff known
            changes = {name: _plain(value) for name, value in after.items()}
        else:
            changes = diff(before, after)
            if not changes:
                return
    instance._audit_before = {**getattr(instance, "_audit_before", {}), **after}
    actor = None
    started_by = getattr(instance, "created_by_id", None)
    if not created and "status" in changes and started_by and current_actor() is None:
        # A run finishing outside any request or job context: named after who started it.
        from django.contrib.auth import get_user_model

        actor = get_user_model().objects.filter(pk=started_by).first()
    audit_record(
        action="create" if created else "update",
        object_type=sender._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance),
        changes=changes,
        actor=actor,
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
