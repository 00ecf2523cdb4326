from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """One imported (or rejected, or only validated) file: what, from where, counts, report."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IMPORTED = "imported"
        VALIDATED = "validated"  # dry run without errors
        REJECTED = "rejected"
        FAILED = "failed"
        REVERTED = "reverted"  # its writes were undone (ADR 28)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    source_name = models.CharField(max_length=255)
    upload = models.ForeignKey(
        "core.Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(default=False)
    create_missing = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    created = models.JSONField(default=dict, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # True when the writer tagged its rows and logged what it overwrote (ADR 28).
    revertible = models.BooleanField(default=False)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.kind} {self.source_name} ({self.status})"


class ImportChange(models.Model):
    """One row an import overwrote: the values it had before (only the columns the import
    changed) and the batch that had written them. Rows an import inserted are not listed:
    they carry the batch's id in their ``import_batch`` column (ADR 28)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    table_name = models.CharField(max_length=63)
    row_id = models.BigIntegerField()
    old_batch = models.UUIDField(null=True, blank=True)
    old = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=("old_batch",), name="import_change_old_batch")]

    def __str__(self) -> str:
        return f"{self.table_name} #{self.row_id} ({self.batch_id})"


class DataSource(models.Model):
    """Where a tenant's data comes from on a schedule: a file drop or a SQL database.

    The database URL (with its password) is stored encrypted (``etl.crypto``) and never
    returned by the API. SQL sources run one read-only query per dataset; with a watermark
    column only rows newer than the last successful sync are read.
    """

    class Kind(models.TextChoices):
        CSV_DROP = "csv_drop", "CSV file drop"
        POSTGRESQL = "postgresql", "PostgreSQL"
        MYSQL = "mysql", "MySQL / MariaDB"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    dataset = models.CharField(max_length=32, help_text="Import kind: products, sales …")
    path = models.CharField(
        max_length=255, blank=True, help_text="File drop: name inside the tenant's drop folder"
    )
    query = models.TextField(blank=True, help_text="SQL: one SELECT with the CSV columns")
    watermark_column = models.CharField(max_length=64, blank=True)
    watermark = models.CharField(max_length=64, blank=True)
    url_encrypted = models.TextField(blank=True)
    create_missing = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind} → {self.dataset})"


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    rows_read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    watermark_before = models.CharField(max_length=64, blank=True)
    watermark_after = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.source.name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
