"""JWTs bound to a tenant.

Every token carries a ``tenant`` claim, the schema it was issued in. Authentication, refresh
and logout refuse a token whose claim differs from the schema of the request: user ids repeat
across schemas, so without this check a token from tenant A would log in as whoever has the
same id on tenant B.
"""

from __future__ import annotations

from django.contrib.auth.models import update_last_login
from django.db import connection
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenObtainSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

TENANT_CLAIM = "tenant"


def check_tenant_claim(token: Token) -> None:
    if token.get(TENANT_CLAIM) != connection.schema_name:
        raise exceptions.AuthenticationFailed(
            "Token was not issued for this tenant.", code="token_wrong_tenant"
        )


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    otp = serializers.CharField(
        required=False,
        write_only=True,
        max_length=32,
        help_text="The two-factor code (or a recovery code) when the account has 2FA on.",
    )

    def validate(self, attrs):
        """Credentials first (simplejwt), then the second factor, then the tokens: no token
        is made for a user who has 2FA on and gave no valid code (ADR 31)."""
        from accounts.two_factor import login_otp_check

        code = attrs.pop("otp", None)
        data = TokenObtainSerializer.validate(self, attrs)
        request = self.context.get("request")
        login_otp_check(request=getattr(request, "_request", None), user=self.user, code=code)
        refresh = self.get_token(self.user)
        data["refresh"] = str(refresh)
        data["access"] = str(refresh.access_token)
        if api_settings.UPDATE_LAST_LOGIN:
            update_last_login(None, self.user)
        return data

    @classmethod
    def get_token(cls, user) -> RefreshToken:
        token = super().get_token(user)
        token[TENANT_CLAIM] = connection.schema_name
        token["role"] = "staff" if user.is_superuser else user.role
        return token


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs):
        # Parse once to check the claim before simplejwt rotates and blacklists anything.
        from rest_framework_simplejwt.exceptions import TokenError

        try:
            check_tenant_claim(RefreshToken(attrs["refresh"], verify=True))
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc), code="token_not_valid") from exc
        return super().validate(attrs)
