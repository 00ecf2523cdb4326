from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person of one tenant (or, in the public schema, a platform staff member).

    User ids repeat across schemas: id 1 of tenant A is not id 1 of tenant B. Tokens therefore
    carry the tenant, and authentication checks it (accounts.authentication).
    """

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        PLANNER = "planner", "Planner"
        VIEWER = "viewer", "Viewer"

    email = models.EmailField(unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    # Ranks for "at least this role" checks.
    RANK = {Role.VIEWER: 1, Role.PLANNER: 2, Role.ADMIN: 3}

    def has_perm(self, perm, obj=None) -> bool:
        # A tenant admin runs the tenant's whole back office; the schema bounds what it sees.
        if self.is_active and self.role == self.Role.ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and self.role == self.Role.ADMIN:
            return True
        return super().has_module_perms(app_label)

    def has_role(self, role: str) -> bool:
        if self.is_superuser:
            return True
        return self.RANK.get(self.role, 0) >= self.RANK[role]


class ApiKey(models.Model):
    """A partner's key. Only ``prefix`` and a SHA-256 of the secret are stored; the full key is
    shown once, at creation. Keys of 256 random bits need no slow hash: nothing to brute-force.

    ``scopes`` are ``<area>:read|write`` (``core.permissions.KEY_SCOPES``). ``allowed_networks``
    (CIDRs; empty: anywhere) bounds the client address. ``signing_secret`` signs requests
    (HMAC-SHA256, ADR 31); it is stored as is because the server must recompute signatures,
    like a webhook's secret, and shown once. ``require_signature`` refuses unsigned calls."""

    is_api_key = True  # how core.permissions tells a key from a token without importing accounts

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=32), default=list)
    allowed_networks = ArrayField(models.CharField(max_length=49), default=list, blank=True)
    signing_secret = models.CharField(max_length=64, editable=False, default="")
    require_signature = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class SecuritySettings(models.Model):
    """The tenant's security settings: one row (``accounts.services.security_settings_get``).
    ``require_2fa_for_admins``: administrators must turn two-factor authentication on before
    they can use the pages, the back office or the token endpoint (ADR 31)."""

    require_2fa_for_admins = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "security settings"

    def __str__(self) -> str:
        return "Security settings"
