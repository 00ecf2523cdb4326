"""Writes for users and API keys, in the active schema."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.authentication import hash_key
from accounts.models import ApiKey, SecuritySettings, User
from core.exceptions import Conflict, ValidationFailed
from core.permissions import KEY_SCOPES, expand_scopes


def user_create(
    *,
    email: str,
    password: str | None,
    role: str = User.Role.VIEWER,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user whose username is the e-mail. The password must pass the validators."""
    email = User.objects.normalize_email(email).lower()
    if role not in User.Role.values:
        raise ValidationFailed("Unknown role.", details={"role": [f"one of {User.Role.values}"]})
    if User.objects.filter(username=email).exists():
        raise Conflict("A user with this e-mail exists.", details={"email": email})
    user = User(
        username=email,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff or role == User.Role.ADMIN,
        is_superuser=is_superuser,
    )
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "Password rejected.", details={"password": exc.messages}
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def user_invite(
    *,
    email: str,
    role: str,
    link_for: Callable[[str, str], str],
    invited_by: User | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user without a password and e-mail them an invitation link that sets it.

    ``link_for(uidb64, token)`` turns the link's parts into the absolute URL on the tenant's
    host (the caller knows the host). Inviting again someone whose invitation is still
    pending sends a fresh link (the old one keeps working until it expires); an e-mail that
    belongs to an account with a password is a 409.
    """
    from django.conf import settings

    from accounts.links import invitation_tokens, user_link_parts

    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(username=email).first()
    if existing is not None and (existing.has_usable_password() or existing.last_login):
        raise Conflict("A user with this e-mail exists.", details={"email": email})
    with transaction.atomic():
        user = existing or user_create(
            email=email, password=None, role=role, first_name=first_name, last_name=last_name
        )
        if existing is not None and existing.role != role:
            user = user_set_role(user=existing, role=role)
        uidb64, token = user_link_parts(user, invitation_tokens)
        link = link_for(uidb64, token)
        tenant_name = getattr(getattr(connection, "tenant", None), "name", "") or "the platform"
        inviter = (invited_by.get_full_name() or invited_by.email) if invited_by else "An admin"
        days = max(int(settings.INVITATION_TIMEOUT_SECONDS) // 86400, 1)
        # Sent inside the transaction: when the mail cannot be handed over, no user is left
        # invited without an invitation.
        send_mail(
            f"You are invited to {tenant_name} (demand planning)",
            render_to_string(
                "accounts/invitation_email.txt",
                {
                    "tenant": tenant_name,
                    "inviter": inviter,
                    "role": user.get_role_display(),
                    "link": link,
                    "days": days,
                },
            ),
            None,
            [email],
        )
    return user


def user_set_role(*, user: User, role: str) -> User:
    """Change ``user``'s role. The tenant's last active administrator cannot lose the role
    (nobody could manage the tenant's users, keys and settings any more): 409."""
    if role not in User.Role.values:
        raise ValidationFailed("Unknown role.", details={"role": [f"one of {User.Role.values}"]})
    with transaction.atomic():
        _refuse_losing_last_admin(user=user, stays_admin=role == User.Role.ADMIN)
        return _set_role(user=user, role=role)


def user_set_active(*, user: User, is_active: bool) -> User:
    """Activate or deactivate ``user``; the last active administrator cannot be deactivated."""
    with transaction.atomic():
        _refuse_losing_last_admin(user=user, stays_admin=is_active)
        user.is_active = is_active
        user.save(update_fields=["is_active"])
    return user


def _refuse_losing_last_admin(*, user: User, stays_admin: bool) -> None:
    if stays_admin or not (user.is_active and user.role == User.Role.ADMIN):
        return
    # Lock the tenant's active admins so two concurrent demotions cannot both pass.
    admins = list(
        User.objects.select_for_update()
        .filter(role=User.Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if set(admins) <= {user.pk}:
        raise Conflict(
            "This is the tenant's last administrator; make another user an administrator first.",
            details={"user": user.pk},
        )


def _set_role(*, user: User, role: str) -> User:
    user.role = role
    user.is_staff = role == User.Role.ADMIN or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    return user


def _networks_parse(networks: list[str]) -> list[str]:
    parsed, bad = [], []
    for network in networks:
        try:
            parsed.append(str(ipaddress.ip_network(str(network).strip(), strict=False)))
        except ValueError:
            bad.append(network)
    if bad:
        raise ValidationFailed(
            "Allowed networks must be IP addresses or CIDR blocks.",
            details={"allowed_networks": bad},
        )
    return sorted(set(parsed))


def api_key_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    allowed_networks: list[str] | None = None,
    require_signature: bool = False,
) -> tuple[ApiKey, str]:
    """Create a key for ``user``. ``scopes`` are ``<area>:read|write``; ``read`` and ``write``
    still mean every area's read, or everything a key may do. Returns the key row and the full
    secret, shown only once (the row carries ``signing_secret``, shown only then too)."""
    scopes = expand_scopes(scopes)
    unknown = [scope for scope in scopes if scope not in KEY_SCOPES]
    if not scopes or unknown:
        raise ValidationFailed(
            "Scopes must be a non-empty subset of " + ", ".join(KEY_SCOPES) + ".",
            details={"scopes": unknown or scopes},
        )
    networks = _networks_parse(allowed_networks or [])
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            "Expiry must be in the future.", details={"expires_at": str(expires_at)}
        )
    with transaction.atomic():
        prefix = secrets.token_hex(4)
        while ApiKey.objects.filter(prefix=prefix).exists():  # 2^32 space: practically never
            prefix = secrets.token_hex(4)
        raw = f"dp_{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            key_hash=hash_key(raw),
            scopes=scopes,
            allowed_networks=networks,
            signing_secret=secrets.token_hex(32),
            require_signature=require_signature,
            user=user,
            expires_at=expires_at,
        )
    return key, raw


def api_key_signing_secret_rotate(*, key: ApiKey) -> str:
    """A new signing secret for ``key`` (the old one stops working at once). Returns it; it
    is shown only then. Keys made before request signing get their first one this way."""
    secret = secrets.token_hex(32)
    key.signing_secret = secret
    key.save(update_fields=["signing_secret"])
    return secret


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def demo_users_ensure(*, domain: str, password: str) -> list[dict[str, Any]]:
    """One user of each role (``admin@<domain>`` …), created if missing. Idempotent."""
    created = []
    for role in (User.Role.ADMIN, User.Role.PLANNER, User.Role.VIEWER):
        email = f"{role}@{domain}"
        if not User.objects.filter(username=email).exists():
            user_create(email=email, password=password, role=role, first_name=role.title())
        created.append({"email": email, "role": role})
    return created


def security_settings_get() -> SecuritySettings:
    """The tenant's one row of security settings (made with the defaults when missing)."""
    settings_row, _ = SecuritySettings.objects.get_or_create(pk=1)
    return settings_row


def security_settings_update(
    *, require_2fa_for_admins: bool, keep_session_key: str | None = None
) -> SecuritySettings:
    """Turning ``require_2fa_for_admins`` on ends the sessions and refresh tokens of every
    administrator without 2FA (except ``keep_session_key``, the acting request's session):
    they log in again, and the login makes them turn 2FA on."""
    from accounts.two_factor import otp_enabled

    with transaction.atomic():
        settings_row = security_settings_get()
        turned_on = require_2fa_for_admins and not settings_row.require_2fa_for_admins
        settings_row.require_2fa_for_admins = require_2fa_for_admins
        settings_row.save(update_fields=["require_2fa_for_admins", "updated_at"])
        if turned_on:
            for admin in User.objects.filter(role=User.Role.ADMIN, is_active=True):
                if not otp_enabled(user=admin):
                    user_sessions_end(user=admin, keep_session_key=keep_session_key)
    return settings_row


def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> dict[str, int]:
    """End the user's open sessions but ``keep_session_key`` (the request that asked) and
    blacklist every refresh token issued to them: after their password or second factor
    changed, nothing opened before goes on. Access tokens expire on their own (minutes)."""
    from django.contrib.sessions.models import Session
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
        and session.pk != keep_session_key
    ]
    Session.objects.filter(pk__in=doomed).delete()
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
    open_tokens = outstanding.filter(blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in open_tokens], ignore_conflicts=True
    )
    return {"sessions": len(doomed), "refresh_tokens": outstanding.count()}
