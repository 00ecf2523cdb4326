from rest_framework import serializers

from etl.models import ImportBatch
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
        )
        read_only_fields = fields

    def get_url(self, batch: ImportBatch) -> str:
        return f"/api/v1/imports/{batch.id}/"

    def get_job_url(self, batch: ImportBatch) -> str | None:
        return f"/api/v1/jobs/{batch.job_id}/" if batch.job_id else None

    def get_errors_csv_url(self, batch: ImportBatch) -> str | None:
        return f"/api/v1/imports/{batch.id}/errors/" if batch.error_count else None
