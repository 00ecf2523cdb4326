from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from core.api.serializers import UsageSerializer
from core.exceptions import NotFound
from core.permissions import Area, IsPlatformStaff
from tenants import backup, selectors, services, tasks
from tenants.api.serializers import (
    BackupSerializer,
    ExportQueuedSerializer,
    PlatformHealthSerializer,
    TenantCreatedSerializer,
    TenantCreateSerializer,
    TenantImportedSerializer,
    TenantImportSerializer,
    TenantSerializer,
)


class TenantViewSet(ReadOnlyModelViewSet):
    """Tenants of the platform (platform staff only, on the platform host)."""

    api_area = Area.PEOPLE
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

    @extend_schema(request=None, responses={202: ExportQueuedSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request, slug=None):
        """Queue a backup of the tenant into the backup store (BACKUP_TARGET); download it when
        ready."""
        tenant = selectors.access_tenant(slug=slug)
        name = backup.backup_name(tenant)
        job = tasks.backup_tenant.delay(tenant.slug, name)
        url = reverse("tenant-backup-download", kwargs={"slug": tenant.slug, "name": name})
        return Response(
            {
                "job": job.id,
                "status": "queued",
                "name": name,
                "download_url": request.build_absolute_uri(url),
            },
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"], url_path="request-deletion")
    def request_deletion(self, request, slug=None):
        """Deactivate now; the schema is dropped after TENANT_DELETION_GRACE_DAYS unless
        restored (``POST …/restore/``)."""
        services.tenant_deletion_request(slug=slug, actor=request.user)
        return Response(TenantSerializer(selectors.access_tenant(slug=slug)).data)

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, slug=None):
        """Cancel a deletion request within the grace period."""
        services.tenant_restore(slug=slug, actor=request.user)
        return Response(TenantSerializer(selectors.access_tenant(slug=slug)).data)

    @extend_schema(responses=UsageSerializer)
    @action(detail=True, methods=["get"])
    def usage(self, request, slug=None):
        """The tenant's plan and usage per limit (what its admins see at /api/v1/usage/)."""
        tenant = selectors.access_tenant(slug=slug)
        return Response(UsageSerializer(selectors.tenant_usage(tenant=tenant)).data)

    @extend_schema(responses=BackupSerializer(many=True))
    @action(detail=True, methods=["get"])
    def backups(self, request, slug=None):
        """The tenant's complete backups, newest first."""
        tenant = selectors.access_tenant(slug=slug)
        return Response(BackupSerializer(backup.backups_list(tenant.slug), many=True).data)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"backups/(?P<name>[A-Za-z0-9._-]+)",
        url_name="backup-download",
    )
    def backup_download(self, request, slug=None, name=None):
        tenant = selectors.access_tenant(slug=slug)
        stream = backup.backup_open(tenant.slug, name or "")
        if stream is None:
            raise NotFound("No such backup (yet).", details={"name": name})
        return FileResponse(stream, as_attachment=True, filename=name)

    @extend_schema(request=TenantImportSerializer, responses={201: TenantImportedSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_archive(self, request):
        """Restore an archive into a new tenant (schema taken literally). All or nothing."""
        data = TenantImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("file")
        result = backup.import_tenant(upload, **values)
        tenant = selectors.access_tenant(slug=result.tenant.slug)
        tenant.rows = result.rows
        tenant.migrated_forward = result.migrated_forward
        return Response(TenantImportedSerializer(tenant).data, status=status.HTTP_201_CREATED)


class PlatformHealthView(APIView):
    """Detailed health for platform staff: the readiness checks plus worker heartbeat, beat's
    last run, queue depth and versions (``core.health.details``)."""

    api_area = Area.PEOPLE
    permission_classes = [IsPlatformStaff]

    @extend_schema(responses=PlatformHealthSerializer)
    def get(self, request):
        from core import health

        report = health.details()
        return Response(report, status=200 if report["status"] == "ok" else 503)
