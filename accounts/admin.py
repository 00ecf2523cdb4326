from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.core.exceptions import ValidationError

from accounts.models import ApiKey, SecuritySettings, User
from accounts.services import _refuse_losing_last_admin
from core.exceptions import Conflict


class UserChangeForm(BaseUserChangeForm):
    """The last active administrator keeps the role and stays active (the services' rule)."""

    class Meta(BaseUserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        before = User.objects.get(pk=self.instance.pk)
        stays_admin = cleaned.get("is_active", True) and cleaned.get("role") == User.Role.ADMIN
        try:
            _refuse_losing_last_admin(user=before, stays_admin=stays_admin)
        except Conflict as exc:
            raise ValidationError(exc.message) from exc
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = ("email", "role", "is_active", "is_staff", "last_login", "date_joined")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Role", {"fields": ("role",)}),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "scopes", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    fields = (
        "name",
        "user",
        "scopes",
        "allowed_networks",
        "require_signature",
        "expires_at",
        "revoked_at",
        *readonly_fields,
    )

    def has_add_permission(self, request) -> bool:
        # Keys are created through the API, which shows the secret once.
        return False


@admin.register(SecuritySettings)
class SecuritySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "require_2fa_for_admins", "updated_at")

    def has_add_permission(self, request) -> bool:
        return not SecuritySettings.objects.exists()  # one row

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
