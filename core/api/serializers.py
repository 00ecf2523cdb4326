from rest_framework import serializers

from core.models import AuditLog, Event, Job, Upload
from core.serializers import FastRepresentationMixin


class JobSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.email", read_only=True, allow_null=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = (
            "id",
            "url",
            "kind",
            "status",
            "progress",
            "message",
            "params",
            "result",
            "error",
            "attempts",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        )
        read_only_fields = fields

    def get_url(self, job: Job) -> str:
        return f"/api/v1/jobs/{job.id}/"


#: The common block of every 202 job start (ADR 43): the job's id and polling URL, and the
#: ``status`` and ``url`` of what the body describes (the job itself, or the resource the job
#: fills: a forecast run, a route plan, an import batch). ``Location`` is ``url``.
JOB_START_FIELDS = ("job_id", "job_url", "status", "url")

JOB_ID_HELP = "Id of the job doing the work."
JOB_URL_HELP = "The job to poll (GET) until its ``status`` is final."


class JobStartFields(serializers.Serializer):
    """``job_id`` and ``job_url`` (never null) for the 202 body of a resource whose ``job``
    does the work; the resource serializer brings ``status`` and ``url``."""

    job_id = serializers.UUIDField(read_only=True, help_text=JOB_ID_HELP)
    job_url = serializers.SerializerMethodField(help_text=JOB_URL_HELP)

    def get_job_url(self, obj) -> str:
        return f"/api/v1/jobs/{obj.job_id}/"


class JobStartSerializer(JobSerializer):
    """The 202 body of a start that answers the job itself (inventory refresh, MRP run): the
    job, with the common block of every job start (``job_id`` = ``id``, ``job_url`` =
    ``url``)."""

    job_id = serializers.UUIDField(source="id", read_only=True, help_text=JOB_ID_HELP)
    job_url = serializers.SerializerMethodField(help_text=JOB_URL_HELP)

    class Meta(JobSerializer.Meta):
        fields = (*JobSerializer.Meta.fields, "job_id", "job_url")
        read_only_fields = fields

    def get_job_url(self, job: Job) -> str:
        return self.get_url(job)


class AuditLogSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(
        source="actor_id", read_only=True, allow_null=True, help_text="Id of the acting user."
    )
    changes = serializers.JSONField(
        read_only=True,
        help_text="Changed fields: {field: [old, new]} for an update, {field: value} for a "
        "create, counts and ids for an action.",
    )

    class Meta:
        model = AuditLog
        fields = (
            "id",
            "created_at",
            "actor",
            "actor_label",
            "api_key",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "request_id",
            "ip",
        )
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(
        source="actor_id", read_only=True, allow_null=True, help_text="Id of the acting user."
    )

    class Meta:
        model = Event
        fields = ("id", "type", "data", "actor", "created_at")
        read_only_fields = fields


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class UploadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Upload
        fields = ("id", "original_name", "kind", "size", "sha256", "created_at")
        read_only_fields = fields


class LimitUsageSerializer(serializers.Serializer):
    allowed = serializers.IntegerField(allow_null=True, help_text="None: unlimited.")
    used = serializers.IntegerField()
    per = serializers.CharField(allow_null=True, help_text="'day' for daily limits.")


class UsageSerializer(serializers.Serializer):
    plan = serializers.CharField()
    limits = serializers.DictField(child=LimitUsageSerializer())
    storage_bytes = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="What storage_mb counts, in bytes: database, uploads, reports, backups.",
    )
