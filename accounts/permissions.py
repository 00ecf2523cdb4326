"""The role permissions every app's views use; defined in ``core.permissions`` (ADR 19)."""

from core.permissions import (
    IsAuthenticatedAnywhere,
    IsPlatformStaff,
    IsTenantAdmin,
    IsTenantAdminInPerson,
    IsTenantMember,
)

__all__ = [
    "IsAuthenticatedAnywhere",
    "IsPlatformStaff",
    "IsTenantAdmin",
    "IsTenantAdminInPerson",
    "IsTenantMember",
]
