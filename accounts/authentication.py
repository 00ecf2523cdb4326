"""Authentication classes: tenant-bound JWT and API keys."""

from __future__ import annotations

import hashlib
import hmac

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.tokens import check_tenant_claim

API_KEY_KEYWORD = b"api-key"
# last_used_at is written at most this often per key, so reads do not become writes.
LAST_USED_RESOLUTION_SECONDS = 60


class TenantJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        check_tenant_claim(token)
        return token


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(raw: str) -> tuple[str, str]:
    """``dp_<prefix>_<secret>`` → (prefix, raw). Raises AuthenticationFailed on any other shape."""
    parts = raw.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != "dp" or not parts[1] or not parts[2]:
        raise exceptions.AuthenticationFailed("Malformed API key.", code="api_key_invalid")
    return parts[1], raw


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key dp_<prefix>_<secret>``. Keys live in the tenant's schema, so a
    key of tenant A is simply unknown on tenant B."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != API_KEY_KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed API key header.")
        from accounts.models import ApiKey

        prefix, raw = split_key(header[1].decode("latin-1"))
        key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
            raise exceptions.AuthenticationFailed("Invalid API key.", code="api_key_invalid")
        if not key.is_active:
            raise exceptions.AuthenticationFailed(
                "API key revoked or expired.", code="api_key_inactive"
            )
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("API key owner is inactive.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
            LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key

    def authenticate_header(self, request) -> str:
        return "Api-Key"
