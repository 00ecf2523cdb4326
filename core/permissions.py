"""Role-based permissions. Reads need any role; writes need planner; admin endpoints need admin.
An API key is capped both by its owner's role and by its scopes (``read``, ``write``).

They live in ``core`` (the bottom layer) so that every app's views can use them; they rely
only on what the user and the credential say of themselves (``user.has_role(role)``, an API
key's ``is_api_key`` and ``scopes``), never on ``accounts``' models (ADR 19). The role names
are those of ``accounts.models.User.Role``."""

from __future__ import annotations

from django.db import connection
from rest_framework.permissions import SAFE_METHODS, BasePermission

ADMIN, PLANNER, VIEWER = "admin", "planner", "viewer"  # accounts.models.User.Role
READ, WRITE = "read", "write"  # accounts.models.ApiKey.Scope


def _is_api_key(credential) -> bool:
    return bool(getattr(credential, "is_api_key", False))


def _key_allows(request) -> bool:
    key = request.auth
    if not _is_api_key(key):
        return True
    needed = READ if request.method in SAFE_METHODS else WRITE
    return needed in key.scopes


def _on_tenant() -> bool:
    return connection.schema_name != "public"


class IsTenantMember(BasePermission):
    """Any role may read; planner or admin may write."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and _on_tenant()):
            return False
        if not _key_allows(request):
            return False
        if request.method in SAFE_METHODS:
            return user.has_role(VIEWER)
        return user.has_role(PLANNER)


class IsTenantAdmin(BasePermission):
    """Tenant administrators only (users, keys, settings, ETL triggers)."""

    message = "Only tenant administrators may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and _on_tenant()
            and _key_allows(request)
            and user.has_role(ADMIN)
        )


class IsTenantAdminInPerson(IsTenantAdmin):
    """Tenant administrators signed in themselves, never through an API key: users and keys
    are managed by people, so a leaked partner key cannot create admins or more keys."""

    message = "Users and API keys are managed by an administrator in person, not with an API key."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and not _is_api_key(request.auth)


class IsAuthenticatedAnywhere(BasePermission):
    """Any authenticated caller, on a tenant or on the platform host (``/me``, logout)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and _key_allows(request))


class IsPlatformStaff(BasePermission):
    """Platform staff: superusers of the public schema, on the platform host only."""

    message = "Only platform staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_superuser
            and connection.schema_name == "public"
            and not _is_api_key(request.auth)
        )
