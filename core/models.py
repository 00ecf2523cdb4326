from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Job(models.Model):
    """One long operation (forecast run, import, simulation …): what, who, how far, outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    message = models.CharField(max_length=255, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written while the job runs (progress and a periodic touch): the reaper re-queues a
    # running job whose heartbeat stopped once (``requeues``), then fails it (ADR 25).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("kind", "status"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100), name="job_progress_0_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at
        if end is None:
            return None
        return (end - self.started_at).total_seconds()


class AuditLog(models.Model):
    """A write to the tenant's data: who, what, when, which object."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"
        ACTION = "action"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    # The prefix of the API key the actor used (blank for a session, a token or the system).
    api_key = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("object_type", "object_id"))]

    def __str__(self) -> str:
        return f"{self.actor_label or 'system'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        """Entries are written once: an update is refused (retention deletes old ones)."""
        if not self._state.adding:
            raise PermissionError("Audit log entries cannot be changed.")
        super().save(*args, **kwargs)


def _upload_path(instance: Upload, filename: str) -> str:
    from django.db import connection

    return f"uploads/{connection.schema_name}/{instance.id}/{filename}"


class Upload(models.Model):
    """A file a user sent (imports read from here). Checked by ``core.uploads.guard_upload``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=_upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.original_name


class Event(models.Model):
    """Something that happened in the tenant (a forecast run finished, an import was rejected),
    written by ``core.events.emit_event`` in the same transaction as the change it reports: the
    transactional outbox that the ``integrations`` app delivers from (webhooks, notifications).
    ``delivered_at`` is set by that delivery worker."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=64)  # (type, created_at) serves the filters
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("type", "created_at"), name="core_event_type_created"),
            # The dispatcher's "oldest undelivered first" without walking delivered events.
            models.Index(
                fields=("id",),
                condition=models.Q(delivered_at__isnull=True),
                name="core_event_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"


def default_audit_retention_days() -> int:
    return settings.AUDIT_RETENTION_DAYS


def default_event_retention_days() -> int:
    return settings.EVENT_RETENTION_DAYS


class RetentionSettings(models.Model):
    """How long the tenant keeps operational data (one row per tenant schema); beat prunes
    daily (``core.retention``). Defaults come from the environment."""

    audit_log_days = models.PositiveIntegerField(
        default=default_audit_retention_days, validators=[MinValueValidator(1)]
    )
    events_days = models.PositiveIntegerField(
        default=default_event_retention_days, validators=[MinValueValidator(1)]
    )
    jobs_days = models.PositiveIntegerField(default=90, validators=[MinValueValidator(1)])
    forecast_runs_days = models.PositiveIntegerField(
        default=180,
        validators=[MinValueValidator(1)],
        help_text="Older runs are deleted; the latest successful run is always kept.",
    )
    simulations_days = models.PositiveIntegerField(default=180, validators=[MinValueValidator(1)])
    uploaded_files_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1)],
        help_text="Uploaded files (imports read them once); the import batches stay.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention settings"

    def __str__(self) -> str:
        return "Retention settings"


class TableVersion(models.Model):
    """A version of a large table of this schema, changed by a statement trigger by every
    statement that writes it (INSERT, UPDATE, DELETE, COPY, TRUNCATE), in the writer's own
    transaction: a reader that sees the new rows sees the new version, and never before.
    ``core.counts.versioned_count`` keeps an exact ``COUNT(*)`` in the cache under it (ADR 50).

    A version is the writing transaction's id shifted left 20 bits plus the number of writing
    statements before it in that transaction, so it never repeats: not after a rollback, nor
    when a schema is dropped and restored under the same name. Derived state: backups leave
    the table out, and a restore's ``TRUNCATE`` gives it a fresh version."""

    name = models.CharField(max_length=63, primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        verbose_name = "table version"

    def __str__(self) -> str:
        return f"{self.name} @ {self.version}"
