"""Signed one-time links for people: the invitation that sets a first password and the
password reset. Both use Django's ``PasswordResetTokenGenerator``: the token signs the user's
id, password hash, last login, e-mail and a timestamp with ``SECRET_KEY``, so it expires after
its timeout and dies once used (setting the password changes the hash). Ours also sign the
tenant's schema: user ids repeat across schemas, and a link of tenant A must not work for the
user with the same id in tenant B. Nothing is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode


class TenantTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token, bound to the active tenant schema, with its own salt and timeout."""

    key_salt = "accounts.links.TenantTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return int(settings.PASSWORD_RESET_TIMEOUT)

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{connection.schema_name}|{super()._make_hash_value(user, timestamp)}"

    def check_token(self, user, token) -> bool:
        """Django's check, with this generator's timeout (Django's reads the reset setting)."""
        if not (user and token):
            return False
        try:
            ts_b36, _hash = str(token).split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return (self._num_seconds(self._now()) - timestamp) <= self.timeout_seconds


class InvitationTokenGenerator(TenantTokenGenerator):
    key_salt = "accounts.links.InvitationTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return int(settings.INVITATION_TIMEOUT_SECONDS)


password_reset_tokens = TenantTokenGenerator()
invitation_tokens = InvitationTokenGenerator()


def user_link_parts(user, generator: TenantTokenGenerator) -> tuple[str, str]:
    """(uidb64, token) for the URL of a link."""
    return urlsafe_base64_encode(force_bytes(user.pk)), generator.make_token(user)
