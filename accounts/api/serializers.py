from django.db import connection
from rest_framework import serializers

from accounts.models import ApiKey, SecuritySettings, User
from core.permissions import KEY_SCOPE_CHOICES, KEY_SCOPES


class MeSerializer(serializers.ModelSerializer):
    tenant = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "role", "tenant")

    def get_tenant(self, user: User) -> str:
        return connection.schema_name

    def get_role(self, user: User) -> str:
        return "staff" if user.is_superuser and connection.schema_name == "public" else user.role

    def to_representation(self, instance: User) -> dict[str, object]:
        # Built directly: ModelSerializer introspects the model's fields on every instance,
        # which was a fifth of ``/me``'s cost (ADR 37). Same keys and values (a test compares).
        return {
            "id": instance.pk,
            "email": instance.email,
            "first_name": instance.first_name,
            "last_name": instance.last_name,
            "role": self.get_role(instance),
            "tenant": self.get_tenant(instance),
        }


class UserSerializer(serializers.ModelSerializer):
    invitation_pending = serializers.SerializerMethodField(
        help_text="Invited and has not set a password yet"
    )

    class Meta:
        model = User
        fields = (
            "id", "email", "first_name", "last_name", "role", "is_active", "last_login",
            "invitation_pending",
        )  # fmt: skip
        read_only_fields = fields

    def get_invitation_pending(self, user: User) -> bool:
        return not user.has_usable_password() and user.last_login is None


class UserInviteSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    first_name = serializers.CharField(required=False, default="", max_length=150)
    last_name = serializers.CharField(required=False, default="", max_length=150)


class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, min_length=1)
    role = serializers.ChoiceField(choices=User.Role.choices)
    first_name = serializers.CharField(required=False, default="", max_length=150)
    last_name = serializers.CharField(required=False, default="", max_length=150)


class UserRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=User.Role.choices)


class ApiKeySerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="user.email", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = (
            "id",
            "name",
            "prefix",
            "scopes",
            "allowed_networks",
            "require_signature",
            "owner",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        )
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=KEY_SCOPE_CHOICES),
        min_length=1,
        max_length=len(KEY_SCOPES),
        help_text="``<area>:read`` or ``<area>:write``; ``read`` and ``write`` mean every area.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    allowed_networks = serializers.ListField(
        child=serializers.CharField(max_length=49),
        required=False,
        default=list,
        max_length=100,
        help_text="CIDR blocks the key may be used from (empty: anywhere).",
    )
    require_signature = serializers.BooleanField(
        required=False, default=False, help_text="Refuse calls without a valid X-Signature."
    )


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")
    signing_secret = serializers.CharField(
        read_only=True, help_text="Shown once: the HMAC-SHA256 secret that signs requests."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "key", "signing_secret")
        read_only_fields = fields


class ApiKeySigningSecretSerializer(serializers.Serializer):
    signing_secret = serializers.CharField(help_text="Shown once: store it now.")


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PersonalDataSerializer(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    tenant = serializers.CharField()
    profile = serializers.DictField()
    api_keys = serializers.ListField(child=serializers.DictField())
    audit_entries = serializers.ListField(child=serializers.DictField())


class ErasureSerializer(serializers.Serializer):
    sessions = serializers.IntegerField()
    refresh_tokens = serializers.IntegerField()
    api_keys = serializers.IntegerField()
    audit_entries = serializers.IntegerField()
    rows_scrubbed = serializers.IntegerField()


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


class TwoFactorEnrolmentSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="Add it to an authenticator app.")
    qr_svg = serializers.CharField(help_text="The same URI as an SVG QR code.")


class TwoFactorCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class TwoFactorRecoverySerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class TwoFactorDisableSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    code = serializers.CharField(max_length=32)


class SecuritySettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = SecuritySettings
        fields = ("require_2fa_for_admins", "updated_at")
        read_only_fields = ("updated_at",)
