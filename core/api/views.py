from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from core import selectors, services
from core.api.serializers import (
    AuditLogSerializer,
    EventSerializer,
    JobSerializer,
    UploadInputSerializer,
    UploadSerializer,
)
from core.models import AuditLog, Event, Job
from core.permissions import Area, IsTenantAdmin, IsTenantMember


def accepted_body(body: dict) -> Response:
    """202 with a pollable resource (job, import batch, route plan): its ``url`` goes in
    ``Location``."""
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def accepted(job: Job) -> Response:
    """202 with the job body and its polling URL in ``Location``."""
    return accepted_body(JobSerializer(job).data)


class JobFilter(django_filters.FilterSet):
    class Meta:
        model = Job
        fields = {"kind": ["exact"], "status": ["exact", "in"], "created_at": ["gte", "lte"]}


class JobViewSet(ReadOnlyModelViewSet):
    """Long operations of the tenant; poll ``/api/v1/jobs/{id}/`` until ``status`` is final."""

    api_area = Area.JOBS
    serializer_class = JobSerializer
    permission_classes = [IsTenantMember]
    filterset_class = JobFilter
    ordering_fields = ("created_at", "status", "kind")

    def get_queryset(self):
        return selectors.job_list(user=self.request.user)

    def get_object(self):
        return selectors.access_job(user=self.request.user, job_id=self.kwargs["pk"])


class AuditLogViewSet(ReadOnlyModelViewSet):
    api_area = Area.AUDIT
    serializer_class = AuditLogSerializer
    permission_classes = [IsTenantAdmin]
    filterset_fields = ("action", "object_type", "object_id")
    ordering_fields = ("created_at",)
    queryset = AuditLog.objects.none()

    def get_queryset(self):
        return selectors.audit_log_list(user=self.request.user)


class EventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(
        method="filter_type",
        help_text="Event types, comma-separated; an entry ending in '.' matches every type "
        "that starts with it (purchase_order.).",
    )
    type__startswith = django_filters.CharFilter(field_name="type", lookup_expr="startswith")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = Event
        fields = ("type", "type__startswith", "created_after", "created_before")

    def filter_type(self, queryset, name, value):
        wanted = Q()
        for entry in filter(None, (part.strip() for part in value.split(","))):
            wanted |= Q(type__startswith=entry) if entry.endswith(".") else Q(type=entry)
        return queryset.filter(wanted) if wanted else queryset


class EventViewSet(ReadOnlyModelViewSet):
    """What happened in the tenant (the event outbox), newest first. The same events are
    delivered to webhooks by the integrations app."""

    api_area = Area.INTEGRATIONS
    serializer_class = EventSerializer
    # Same audience as the audit log: events name actors and the tenant's activity.
    permission_classes = [IsTenantAdmin]
    filterset_class = EventFilter
    ordering_fields = ("created_at",)
    ordering = ("-created_at", "-id")
    queryset = Event.objects.none()

    def get_queryset(self):
        return selectors.event_list(user=self.request.user)


class UploadViewSet(ReadOnlyModelViewSet):
    """Files sent for imports. ``POST`` takes a CSV, XLSX or JSON file, checked by content
    (never by extension) and at most ``UPLOAD_MAX_BYTES``."""

    api_area = Area.ETL
    serializer_class = UploadSerializer
    permission_classes = [IsTenantMember]
    parser_classes = [MultiPartParser]
    ordering_fields = ("created_at",)

    def get_queryset(self):
        return selectors.upload_list(user=self.request.user)

    def get_object(self):
        return selectors.access_upload(user=self.request.user, upload_id=self.kwargs["pk"])

    @extend_schema(
        request={"multipart/form-data": UploadInputSerializer}, responses={201: UploadSerializer}
    )
    def create(self, request):
        data = UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = services.upload_store(
            uploaded=data.validated_data["file"],
            user=request.user,
            allowed={"csv", "xlsx", "json"},
        )
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)
