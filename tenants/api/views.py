from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from core.permissions import IsPlatformStaff
from tenants import selectors, services
from tenants.api.serializers import (
    TenantCreatedSerializer,
    TenantCreateSerializer,
    TenantSerializer,
)


class TenantViewSet(ReadOnlyModelViewSet):
    """Tenants of the platform (platform staff only, on the platform host)."""

    serializer_class = TenantSerializer
    permission_classes = [IsPlatformStaff]
    lookup_field = "slug"
    filterset_fields = ("plan", "is_active")
    ordering_fields = ("slug", "created_at")

    def get_queryset(self):
        return selectors.customer_tenants()

    def get_object(self):
        return selectors.access_tenant(slug=self.kwargs["slug"])

    @extend_schema(request=TenantCreateSerializer, responses={201: TenantCreatedSerializer})
    def create(self, request):
        data = TenantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.tenant_provision(**data.validated_data)
        tenant = selectors.access_tenant(slug=result.tenant.slug)
        tenant.admin_email = result.admin_email
        tenant.admin_password = result.generated_password
        return Response(
            TenantCreatedSerializer(tenant).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, slug=None):
        services.tenant_set_active(slug=slug, active=False)
        return Response(TenantSerializer(selectors.access_tenant(slug=slug)).data)

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, slug=None):
        services.tenant_set_active(slug=slug, active=True)
        return Response(TenantSerializer(selectors.access_tenant(slug=slug)).data)
