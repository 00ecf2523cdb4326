"""Authentication classes: tenant-bound JWT and API keys."""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import ipaddress
import json
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.dispatch import receiver
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework import HTTP_HEADER_ENCODING, exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.signing import SIGNATURE_MAX_AGE_SECONDS, sign
from accounts.tokens import TENANT_CLAIM, check_tenant_claim
from core.exceptions import CredentialRefused
from core.logging import get_logger
from core.throttling import client_ip

log = get_logger("auth")

API_KEY_KEYWORD = b"api-key"
# last_used_at is written at most this often per key, so reads do not become writes.
LAST_USED_RESOLUTION_SECONDS = 60


# The user behind a JWT, cached per tenant and user id for JWT_USER_CACHE_SECONDS (ADR 27):
# every authenticated request read the user's row, a third of a cached read's time. Keys go
# through django-tenants' make_key, so they carry the schema name: user 1 of tenant A is never
# user 1 of tenant B.
# After a user is saved or deleted their key holds this marker for a while: readers go to the
# database and may not fill the key (cache.add fails while the marker is there), so a request
# that read the old row just before the change cannot put it back (versioned invalidation
# without a second round trip). Longer than a request; short, since every save sets it.
USER_CACHE_TOMBSTONE = "changed"
USER_CACHE_TOMBSTONE_SECONDS = 10


def user_cache_key(user_id: Any) -> str:
    return f"authuser:{user_id}"


def forget_cached_user(user_id: Any) -> None:
    """Make the next request of ``user_id`` (in the active tenant) read the database; called on
    every save and delete of a user, at once and again when the transaction commits."""
    if not settings.JWT_USER_CACHE_SECONDS:
        return

    def mark() -> None:
        try:
            cache.set(user_cache_key(user_id), USER_CACHE_TOMBSTONE, USER_CACHE_TOMBSTONE_SECONDS)
        except Exception as exc:
            log.warning("user_cache_unavailable", error=f"{type(exc).__name__}: {exc}")

    mark()
    transaction.on_commit(mark)


def user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_cached_user(instance.pk)


def _bearer_token(request: Any) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (simplejwt's header types), or
    None."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0] not in jwt_settings.AUTH_HEADER_TYPES:
        return None
    return str(parts[1])


def jwt_user_cache_key(request: Any) -> str | None:
    """The user cache key of the JWT this request carries, from its payload read unverified
    (the key only: the token is verified, and its user id compared, before the entry is used).
    ``core.throttling`` reads it in the anonymous-limit look's round trip (ADR 37)."""
    if not settings.JWT_USER_CACHE_SECONDS or jwt_settings.CHECK_REVOKE_TOKEN:
        return None
    token = _bearer_token(request)
    if token is None:
        return None
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        user_id = claims[jwt_settings.USER_ID_CLAIM]
    except Exception:  # not a JWT: authentication answers for it
        return None
    if not isinstance(user_id, int | str) or isinstance(user_id, bool):
        return None
    return user_cache_key(user_id)


# Access tokens this process has verified, by their exact bytes (issue 17, ADR 37): a client
# sends the same token on every call for its lifetime, and verifying it (base64 checks, JSON,
# HMAC, claims) was ~10 % of an authenticated call's CPU. Only the exact bytes that passed
# simplejwt's full verification match (a changed signature or claim is another key, verified
# in full); an entry is used only before the token's ``exp`` (simplejwt allows up to
# ``exp`` + leeway); the tenant claim is checked on every request, and the user (active,
# role, deleted) is read per request as before (``get_user``). Forgotten when the JWT or
# secret-key settings change; bounded (cleared when full).
_VERIFIED: dict[bytes, tuple[float, Any]] = {}
VERIFIED_TOKENS_MAX = 4096


@receiver(setting_changed)
def _forget_verified_tokens(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        _VERIFIED.clear()


def _remember_verified(raw_token: bytes, token: Any) -> None:
    expires = token.payload.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        return
    if len(_VERIFIED) >= VERIFIED_TOKENS_MAX:
        _VERIFIED.clear()
    stored = copy.copy(token)
    stored.payload = dict(token.payload)
    _VERIFIED[bytes(raw_token)] = (float(expires), stored)


def _verified(raw_token: bytes) -> Any:
    """A fresh copy of the token verified earlier from exactly these bytes, unless expired."""
    hit = _VERIFIED.get(raw_token)
    if hit is None:
        return None
    expires, cached = hit
    if time.time() >= expires:
        _VERIFIED.pop(raw_token, None)
        return None
    token = copy.copy(cached)
    token.payload = dict(cached.payload)  # a view that changes its copy changes nothing here
    token.current_time = aware_utcnow()
    return token


def jwt_rate_counter(request: Any) -> tuple[str, str, str] | None:
    """The per-user limit's counter (``RateLimitThrottle``: group, key, rate) of the JWT this
    request carries, when this process has verified exactly these bytes already, the token has
    not expired and was issued for the request's tenant; else None. ``core.throttling`` adds
    one to it in the anonymous-limit look's round trip (ADR 47), so only a holder of a valid
    token of this tenant can count against its user; any other request is counted by the
    throttle after authentication, as before."""
    token = _bearer_token(request) if getattr(settings, "RATELIMIT_ENABLE", True) else None
    if token is None:
        return None
    try:
        raw = token.encode(HTTP_HEADER_ENCODING)
    except UnicodeEncodeError:
        return None
    hit = _VERIFIED.get(raw)
    if hit is None or time.time() >= hit[0]:
        return None
    payload = hit[1].payload
    user_id = payload.get(jwt_settings.USER_ID_CLAIM)
    if payload.get(TENANT_CLAIM) != connection.schema_name or user_id is None:
        return None
    return ("api", f"user:{user_id}", settings.RATE_LIMIT_USER)


class TenantJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        # The user's cache entry when the anonymous-limit look read it (core.throttling).
        self._read_along = getattr(getattr(request, "_request", request), "cache_read_along", {})
        return super().authenticate(request)

    def get_validated_token(self, raw_token):
        token = _verified(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            _remember_verified(raw_token, token)
        check_tenant_claim(token)
        return token

    def get_user(self, validated_token):
        """The token's user from the cache, else from the database (then cached); the same
        checks as simplejwt's (active, revocation claim) either way."""
        user_id = validated_token.get(jwt_settings.USER_ID_CLAIM)
        seconds = settings.JWT_USER_CACHE_SECONDS
        if user_id is None or not seconds or jwt_settings.CHECK_REVOKE_TOKEN:
            return super().get_user(validated_token)
        key = user_cache_key(user_id)
        read_along = getattr(self, "_read_along", {})
        if key in read_along:
            cached = read_along[key]
        else:
            try:
                cached = cache.get(key)
            except Exception:
                cached = USER_CACHE_TOMBSTONE
        if cached is None or isinstance(cached, str):  # absent, or the marker
            user = super().get_user(validated_token)
            if cached is None:
                with contextlib.suppress(Exception):  # best effort
                    cache.add(key, user, seconds)
            return user
        if jwt_settings.CHECK_USER_IS_ACTIVE and not cached.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        return cached


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
        _check_network(request, key)
        _check_signature(request, key)
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
            LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key

    def authenticate_header(self, request) -> str:
        return "Api-Key"


def _check_network(request, key) -> None:
    """The client address (``core.throttling.client_ip``: the peer as the project's proxy set-up
    reports it, never a raw ``X-Forwarded-For``) must lie in one of the key's networks."""
    if not key.allowed_networks:
        return
    try:
        address = ipaddress.ip_address(client_ip(request._request))
    except ValueError:
        address = None
    if address is None or not any(
        address in ipaddress.ip_network(network, strict=False) for network in key.allowed_networks
    ):
        raise CredentialRefused(
            "This API key may not be used from this address.", code="api_key_network"
        )


def _check_signature(request, key) -> None:
    """Check ``X-Signature`` when the call carries one or the key requires one (ADR 31)."""
    meta = request._request.META
    signature = meta.get("HTTP_X_SIGNATURE", "")
    timestamp = meta.get("HTTP_X_SIGNATURE_TIMESTAMP", "")
    if not signature and not timestamp:
        if key.require_signature:
            raise CredentialRefused(
                "This API key requires signed requests (X-Signature, X-Signature-Timestamp).",
                code="signature_required",
            )
        return
    if not key.signing_secret:
        raise CredentialRefused(
            "This API key has no signing secret; create a new key to sign requests.",
            code="signature_invalid",
        )
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        raise CredentialRefused(
            "X-Signature-Timestamp must be Unix seconds.", code="signature_invalid"
        ) from None
    if age > SIGNATURE_MAX_AGE_SECONDS:
        raise CredentialRefused(
            "Signature timestamp outside the 5-minute window.", code="signature_expired"
        )
    try:
        body = request._request.body
    except RawPostDataException:  # a form body already parsed: the raw bytes are gone
        raise CredentialRefused(
            "The request body could not be verified.", code="signature_invalid"
        ) from None
    expected = sign(
        secret=key.signing_secret,
        method=request.method,
        path=request._request.get_full_path(),
        timestamp=timestamp,
        body=body,
    )
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise CredentialRefused("Invalid request signature.", code="signature_invalid")
    try:  # each signature once within the window; a cache outage fails open, like the limiter
        first_use = cache.add(
            f"api-key-signature:{key.prefix}:{expected}", 1, 2 * SIGNATURE_MAX_AGE_SECONDS
        )
    except Exception as exc:  # the cache backend's connection errors vary by client version
        log.warning("signature_replay_check_unavailable", error=str(exc))
        first_use = True
    if not first_use:
        raise CredentialRefused("This signed request was already used.", code="signature_replayed")
