"""Role permissions, and the scopes that bound an API key. Reads need any role; writes need
planner; admin endpoints need admin. An API key is capped both by its owner's role and by its
scopes: one ``<area>:read`` / ``<area>:write`` pair per area of the API (ADR 31).

Every API view declares its area (``api_area``); a key calling a view without one, or a view
of the people area (users, keys, webhooks, tenants and their plans), is refused. Settings can be
read with ``settings:read``; no scope lets a key change them. The role classes check the key's
scope themselves, so no view can forget it.

They live in ``core`` (the bottom layer) so that every app's views can use them; they rely
only on what the user and the credential say of themselves (``user.has_role(role)``, an API
key's ``is_api_key`` and ``scopes``), never on ``accounts``' models (ADR 19). The role names
are those of ``accounts.models.User.Role``."""

from __future__ import annotations

from django.db import connection
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.exceptions import AccessRefused

ADMIN, PLANNER, VIEWER = "admin", "planner", "viewer"  # accounts.models.User.Role
READ, WRITE = "read", "write"


class Area:
    """The areas of the API. A view names one in ``api_area``."""

    CATALOG = "catalog"
    INVENTORY = "inventory"
    FORECASTING = "forecasting"
    PURCHASING = "purchasing"
    MANUFACTURING = "manufacturing"
    ROUTING = "routing"
    ETL = "etl"
    INTEGRATIONS = "integrations"
    JOBS = "jobs"
    AUDIT = "audit"
    SETTINGS = "settings"
    # Managed by people only: users, API keys, webhooks, tenants and plans. No scope opens it.
    PEOPLE = "people"
    # Needs no scope: sign-in, the caller's own identity, the schema and its docs.
    OPEN = "open"


# Areas a key may only read: the audit log is a record, settings are managed by people.
_READ_ONLY_AREAS = (Area.AUDIT, Area.SETTINGS)
KEY_AREAS = (
    Area.CATALOG,
    Area.INVENTORY,
    Area.FORECASTING,
    Area.PURCHASING,
    Area.MANUFACTURING,
    Area.ROUTING,
    Area.ETL,
    Area.INTEGRATIONS,
    Area.JOBS,
    Area.AUDIT,
    Area.SETTINGS,
)
KEY_SCOPES: tuple[str, ...] = tuple(
    f"{area}:{level}"
    for area in KEY_AREAS
    for level in (READ, WRITE)
    if level == READ or area not in _READ_ONLY_AREAS
)
# The scopes of keys made before areas (ADR 31): ``read`` → every ``:read``, ``write`` → all.
LEGACY_SCOPES = {
    READ: tuple(scope for scope in KEY_SCOPES if scope.endswith(":read")),
    WRITE: KEY_SCOPES,
}
# What a key's creator may ask for (the API's enum): the scopes and the two legacy names.
KEY_SCOPE_CHOICES = (*KEY_SCOPES, READ, WRITE)


def expand_scopes(scopes: list[str]) -> list[str]:
    """The stored form of requested scopes: legacy ``read``/``write`` expanded, sorted, unique.
    Unknown names are kept, for the caller's validation to name them."""
    expanded: set[str] = set()
    for scope in scopes:
        expanded.update(LEGACY_SCOPES.get(scope, (scope,)))
    return sorted(expanded)


def _is_api_key(credential) -> bool:
    return bool(getattr(credential, "is_api_key", False))


def required_scope(request, view) -> str | None:
    """The scope an API key needs for this call: None when none is needed; raises
    PermissionDenied when no key may make it."""
    area = getattr(view, "api_area", None)
    if area == Area.OPEN:
        return None
    if area is None or area not in KEY_AREAS:
        raise AccessRefused(
            "API keys cannot manage users, keys, webhooks, plans or settings; sign in.",
            code="api_key_not_allowed",
        )
    level = READ if request.method in SAFE_METHODS else WRITE
    return f"{area}:{level}"


def _key_allows(request, view) -> bool:
    """True for anything but an API key; for a key, True when it holds the call's scope, else
    AccessRefused (403 ``api_key_scope_missing``) naming the missing scope."""
    key = request.auth
    if not _is_api_key(key):
        return True
    needed = required_scope(request, view)
    if needed is None or needed in key.scopes:
        return True
    raise AccessRefused(f"This API key lacks the scope {needed}.", code="api_key_scope_missing")


def _on_tenant() -> bool:
    return connection.schema_name != "public"


class IsTenantMember(BasePermission):
    """Any role may read; planner or admin may write."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and _on_tenant()):
            return False
        if not _key_allows(request, view):
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
            and _key_allows(request, view)
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
        return bool(request.user and request.user.is_authenticated and _key_allows(request, view))


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
