from rest_framework import serializers

from tenants.models import Tenant


class TenantSerializer(serializers.ModelSerializer):
    domains = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ("slug", "name", "schema_name", "plan", "is_active", "created_at", "domains")
        read_only_fields = fields

    def get_domains(self, tenant: Tenant) -> list[str]:
        return [domain.domain for domain in tenant.domains.all()]


class TenantCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=False)
    plan = serializers.ChoiceField(choices=Tenant.Plan.choices, default=Tenant.Plan.FREE)
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
