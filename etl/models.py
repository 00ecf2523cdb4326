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

    class Meta:
        ordering = ("-created_at",)
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.kind} {self.source_name} ({self.status})"
