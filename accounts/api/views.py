from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts import selectors, services, two_factor
from accounts.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    ApiKeySigningSecretSerializer,
    ErasureSerializer,
    LogoutSerializer,
    MeSerializer,
    PersonalDataSerializer,
    SecuritySettingsSerializer,
    TwoFactorCodeSerializer,
    TwoFactorDisableSerializer,
    TwoFactorEnrolmentSerializer,
    TwoFactorRecoverySerializer,
    TwoFactorStatusSerializer,
    UserCreateSerializer,
    UserInviteSerializer,
    UserRoleSerializer,
    UserSerializer,
)
from accounts.exceptions import RateLimited
from accounts.lockout import login_failure_record, login_guard, login_success_record
from accounts.tokens import check_tenant_claim
from core.permissions import Area, IsAuthenticatedAnywhere, IsTenantAdminInPerson
from core.throttling import client_ip, consume


def _login_guard(request, group: str, identity: str) -> None:
    """Stricter limit on credential endpoints: per client IP and identity (username/token)."""
    key = f"{client_ip(request._request)}|{identity.strip().lower()[:200]}"
    usage = consume(request._request, group=group, key=key, rate=settings.RATE_LIMIT_LOGIN)
    if usage and usage["should_limit"]:
        raise _rate_limited(max(int(usage["time_left"]), 1))


def _rate_limited(wait: int) -> RateLimited:
    exc = RateLimited(details={"retry_after_seconds": wait})
    exc.retry_after = wait  # type: ignore[attr-defined]
    return exc


class TokenView(TokenObtainPairView):
    """Log in with ``{"username", "password"}`` → ``{"access", "refresh"}`` for this tenant."""

    api_area = Area.OPEN
    throttle_classes: list = []

    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        username = str(username or "")[:200]
        wait = login_guard(request._request, group="login", username=username)
        if wait:
            raise _rate_limited(wait)
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed as exc:
            # A missing second factor is no failure; a wrong one was counted by two_factor.
            if getattr(exc, "envelope_code", None) not in ("otp_required", "otp_invalid"):
                login_failure_record(username=username)
            raise
        login_success_record(username=username)
        return response


class TokenRefreshTenantView(TokenRefreshView):
    """Rotate a refresh token of this tenant; the old one is blacklisted."""

    api_area = Area.OPEN
    throttle_classes: list = []

    def post(self, request, *args, **kwargs):
        _login_guard(request, "refresh", "refresh")
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    """Blacklist a refresh token of this tenant. Access tokens expire on their own (minutes)."""

    api_area = Area.OPEN
    permission_classes = [AllowAny]

    @extend_schema(request=LogoutSerializer, responses={204: None})
    def post(self, request):
        data = LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
        except TokenError as exc:
            raise AuthenticationFailed(str(exc), code="token_not_valid") from exc
        check_tenant_claim(token)
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    api_area = Area.OPEN
    permission_classes = [IsAuthenticatedAnywhere]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class UserViewSet(ReadOnlyModelViewSet):
    """Users of the tenant (administrators in person only: an API key cannot manage users)."""

    api_area = Area.PEOPLE
    serializer_class = UserSerializer
    permission_classes = [IsTenantAdminInPerson]
    filterset_fields = ("role", "is_active")
    ordering_fields = ("email", "date_joined")

    def get_queryset(self):
        return selectors.user_list(user=self.request.user)

    def get_object(self):
        return selectors.access_user(user=self.request.user, user_id=self.kwargs["pk"])

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserInviteSerializer, responses={201: UserSerializer})
    @action(detail=False, methods=["post"], url_path="invitations")
    def invite(self, request):
        """Invite someone by e-mail: a user without a password is created and e-mailed a link
        (single use, expiring) that sets it on ``/app/invitations/…``. 409 when the address
        belongs to an account that already has a password."""
        data = UserInviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_invite(
            **data.validated_data,
            invited_by=request.user,
            link_for=lambda uidb64, token: request.build_absolute_uri(
                reverse("workspace-invitation", kwargs={"uidb64": uidb64, "token": token})
            ),
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserRoleSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def role(self, request, pk=None):
        data = UserRoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_set_role(user=self.get_object(), role=data.validated_data["role"])
        return Response(UserSerializer(user).data)

    @extend_schema(responses=PersonalDataSerializer)
    @action(detail=True, methods=["get"], url_path="personal-data")
    def personal_data(self, request, pk=None):
        """Everything held about this person (GDPR access request), as JSON."""
        from accounts.privacy import user_personal_data

        return Response(user_personal_data(user=self.get_object()))

    @extend_schema(request=None, responses=ErasureSerializer)
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        """Erase this person (GDPR): irreversible; the records stay without their identity."""
        from accounts.privacy import user_erase

        return Response(user_erase(user=self.get_object(), by=request.user))


class ApiKeyViewSet(ReadOnlyModelViewSet):
    """API keys of the tenant (administrators in person only). The secret is returned once,
    by ``POST``."""

    api_area = Area.PEOPLE
    serializer_class = ApiKeySerializer
    permission_classes = [IsTenantAdminInPerson]
    ordering_fields = ("created_at", "last_used_at")

    def get_queryset(self):
        return selectors.api_key_list(user=self.request.user)

    def get_object(self):
        return selectors.access_api_key(user=self.request.user, key_id=self.kwargs["pk"])

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request):
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, raw = services.api_key_create(user=request.user, **data.validated_data)
        key.key = raw
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySigningSecretSerializer)
    @action(detail=True, methods=["post"], url_path="signing-secret")
    def signing_secret(self, request, pk=None):
        """A new signing secret for the key, shown once; the old one stops working."""
        secret = services.api_key_signing_secret_rotate(key=self.get_object())
        return Response({"signing_secret": secret})

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = services.api_key_revoke(key=self.get_object())
        return Response(ApiKeySerializer(key).data)


class TwoFactorView(APIView):
    """Your two-factor authentication (TOTP). ``GET``: whether it is on. People only: an API
    key cannot see or change it."""

    api_area = Area.PEOPLE
    permission_classes = [IsAuthenticatedAnywhere]

    @extend_schema(responses=TwoFactorStatusSerializer)
    def get(self, request):
        return Response({"enabled": two_factor.otp_enabled(user=request.user)})


class TwoFactorEnrolView(APIView):
    """Start enrolment: answers the ``otpauth://`` URI (and the same as an SVG QR code) for an
    authenticator app; confirm with a first code at ``confirm``."""

    api_area = Area.PEOPLE
    permission_classes = [IsAuthenticatedAnywhere]

    @extend_schema(request=None, responses={201: TwoFactorEnrolmentSerializer})
    def post(self, request):
        uri = two_factor.otp_enrol_start(user=request.user)
        return Response(
            {"otpauth_uri": uri, "qr_svg": two_factor.qr_svg(uri)}, status=status.HTTP_201_CREATED
        )


class TwoFactorConfirmView(APIView):
    """Confirm enrolment with a code from the app: 2FA is on from now, and the answer holds
    ten recovery codes, each usable once, shown only here."""

    api_area = Area.PEOPLE
    permission_classes = [IsAuthenticatedAnywhere]

    @extend_schema(request=TwoFactorCodeSerializer, responses=TwoFactorRecoverySerializer)
    def post(self, request):
        data = TwoFactorCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = two_factor.otp_enrol_confirm(
            request=request._request, user=request.user, code=data.validated_data["code"]
        )
        return Response({"recovery_codes": codes})


class TwoFactorDisableView(APIView):
    """Turn 2FA off with your password and a current code (or a recovery code)."""

    api_area = Area.PEOPLE
    permission_classes = [IsAuthenticatedAnywhere]

    @extend_schema(request=TwoFactorDisableSerializer, responses={204: None})
    def post(self, request):
        data = TwoFactorDisableSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        two_factor.otp_disable(request=request._request, user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SecuritySettingsView(APIView):
    """The tenant's security settings (administrators in person): ``require_2fa_for_admins``
    (off by default) makes every administrator turn two-factor authentication on before
    using the pages, the back office or the token endpoint."""

    api_area = Area.PEOPLE
    permission_classes = [IsTenantAdminInPerson]

    @extend_schema(responses=SecuritySettingsSerializer)
    def get(self, request):
        return Response(SecuritySettingsSerializer(services.security_settings_get()).data)

    @extend_schema(request=SecuritySettingsSerializer, responses=SecuritySettingsSerializer)
    def put(self, request):
        data = SecuritySettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = getattr(request._request, "session", None)
        row = services.security_settings_update(
            require_2fa_for_admins=data.validated_data.get("require_2fa_for_admins", False),
            keep_session_key=getattr(session, "session_key", None),
        )
        return Response(SecuritySettingsSerializer(row).data)
