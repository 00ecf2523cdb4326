"""JWTs bound to a tenant.

Every token carries a ``tenant`` claim, the schema it was issued in. Authentication, refresh
and logout refuse a token whose claim differs from the schema of the request: user ids repeat
across schemas, so without this check a token from tenant A would log in as whoever has the
same id on tenant B.
"""

from __future__ import annotations

from django.db import connection
from rest_framework import exceptions
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.tokens import RefreshToken, Token

TENANT_CLAIM = "tenant"


def check_tenant_claim(token: Token) -> None:
    if token.get(TENANT_CLAIM) != connection.schema_name:
        raise exceptions.AuthenticationFailed(
            "Token was not issued for this tenant.", code="token_wrong_tenant"
        )


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
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
