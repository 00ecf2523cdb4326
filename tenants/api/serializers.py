from rest_framework import serializers

from tenants.models import Tenant


class TenantSerializer(serializers.ModelSerializer):
    domains = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = (
            "slug",
            "name",
            "schema_name",
            "plan",
            "is_active",
            "deletion_requested_at",
            "created_at",
            "domains",
        )
        read_only_fields = fields

    def get_domains(self, tenant: Tenant) -> list[str]:
        return [domain.domain for domain in tenant.domains.all()]


class TenantCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=False)
    plan = serializers.SlugField(max_length=32, default="unlimited")
    admin_email = serializers.EmailField(required=False)
    admin_password = serializers.CharField(required=False, write_only=True)


class TenantCreatedSerializer(TenantSerializer):
    admin_email = serializers.EmailField(read_only=True, allow_null=True)
    admin_password = serializers.CharField(
        read_only=True, allow_null=True, help_text="Only when generated; shown once."
    )

    class Meta(TenantSerializer.Meta):
        fields = (*TenantSerializer.Meta.fields, "admin_email", "admin_password")
        read_only_fields = fields


class BackupSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    bytes = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class ExportQueuedSerializer(serializers.Serializer):
    job = serializers.CharField(read_only=True, help_text="The Celery task id of the export.")
    status = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    download_url = serializers.CharField(
        read_only=True, help_text="404 until the export is complete."
    )


class TenantImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An archive written by export_tenant.")
    schema = serializers.RegexField(r"^[a-z_][a-z0-9_]{0,62}$", max_length=63)
    domain = serializers.CharField(max_length=253, required=False)
    slug = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=200, required=False)


class TenantImportedSerializer(TenantSerializer):
    rows = serializers.IntegerField(read_only=True)
    migrated_forward = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(TenantSerializer.Meta):
        fields = (*TenantSerializer.Meta.fields, "rows", "migrated_forward")
        read_only_fields = fields


class HealthCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    ms = serializers.FloatField(required=False)
    error = serializers.CharField(required=False)
    last_seen_seconds_ago = serializers.FloatField(required=False, allow_null=True)


class PlatformHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    checks = serializers.DictField(child=HealthCheckSerializer())
    queues = serializers.DictField(child=serializers.IntegerField(), allow_null=True)
    versions = serializers.DictField(child=serializers.CharField())
