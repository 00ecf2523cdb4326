from rest_framework import serializers

from core.api.serializers import JobStartFields
from etl.models import DataSource, ImportBatch
from etl.specs import SPECS


class ImportStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(SPECS))
    file = serializers.FileField(allow_empty_file=True)
    dry_run = serializers.BooleanField(default=False)
    create_missing = serializers.BooleanField(default=False)


class ImportBatchSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    job_url = serializers.SerializerMethodField()
    errors_csv_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = (
            "id",
            "url",
            "kind",
            "status",
            "source_name",
            "dry_run",
            "create_missing",
            "rows",
            "inserted",
            "updated",
            "unchanged",
            "created",
            "error_count",
            "errors",
            "warnings",
            "seconds",
            "job_url",
            "errors_csv_url",
            "created_at",
            "finished_at",
            "revertible",
            "reverted_at",
        )
        read_only_fields = fields

    def get_url(self, batch: ImportBatch) -> str:
        return f"/api/v1/imports/{batch.id}/"

    def get_job_url(self, batch: ImportBatch) -> str | None:
        return f"/api/v1/jobs/{batch.job_id}/" if batch.job_id else None

    def get_errors_csv_url(self, batch: ImportBatch) -> str | None:
        return f"/api/v1/imports/{batch.id}/errors/" if batch.error_count else None


class ImportBatchStartSerializer(JobStartFields, ImportBatchSerializer):
    """The 202 body of an import start: the batch, with the common block of every job start
    (ADR 43)."""

    class Meta(ImportBatchSerializer.Meta):
        fields = (*ImportBatchSerializer.Meta.fields, "job_id")
        read_only_fields = fields


class DataSourceSerializer(serializers.ModelSerializer):
    """The URL is write-only: it is stored encrypted and never returned."""

    url = serializers.CharField(write_only=True, required=False, allow_blank=False)
    has_credentials = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = DataSource
        fields = (
            "id",
            "name",
            "kind",
            "dataset",
            "path",
            "query",
            "watermark_column",
            "watermark",
            "create_missing",
            "is_active",
            "url",
            "has_credentials",
            "last_sync_at",
            "last_run",
            "created_at",
        )
        read_only_fields = ("id", "watermark", "last_sync_at", "created_at")

    def get_has_credentials(self, source) -> bool:
        return bool(source.url_encrypted)

    def get_last_run(self, source) -> dict | None:
        runs = getattr(source, "recent_runs", None)
        run = runs[0] if runs else None
        if run is None:
            return None
        return {
            "id": run.pk,
            "status": run.status,
            "rows_read": run.rows_read,
            "inserted": run.inserted,
            "updated": run.updated,
            "rejected": run.rejected,
            "error": run.error,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "duration_seconds": run.duration_seconds,
        }


class SyncTriggerSerializer(serializers.Serializer):
    source = serializers.IntegerField(required=False, min_value=1)


class ExportQuerySerializer(serializers.Serializer):
    """Query parameters of ``GET /api/v1/exports/{kind}/``. ``format`` is the file format: the
    view turns off DRF's ``?format=`` renderer override (ExportView.content_negotiation_class)."""

    format = serializers.CharField(default="csv")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    sku = serializers.CharField(required=False, max_length=64)
    location = serializers.CharField(required=False, max_length=64)
    all_methods = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_from"] > attrs["date_to"]
        ):
            raise serializers.ValidationError({"date_to": ["must not be before date_from"]})
        return attrs


class DataQualityQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(default=20, min_value=1, max_value=100)
