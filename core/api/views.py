from __future__ import annotations

import django_filters
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import StreamingHttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from core import selectors, services
from core.api.serializers import (
    JOB_START_FIELDS,
    AuditLogSerializer,
    EventSerializer,
    JobSerializer,
    JobStartSerializer,
    UploadInputSerializer,
    UploadSerializer,
    UsageSerializer,
)
from core.exports import csv_stream
from core.filters import UtcIsoDateTimeFilter
from core.models import AuditLog, Event, Job
from core.permissions import Area, IsTenantAdmin, IsTenantMember
from core.selectors import AUDIT_CSV_COLUMNS
from core.throttling import HEAVY_THROTTLES


def accepted_body(body: dict) -> Response:
    """202 with a pollable resource (job, import batch, route plan, forecast run): its ``url``
    goes in ``Location``. Every job start answers through here, and every body carries the
    common block (``JOB_START_FIELDS``, ADR 43): a body without it is a programming error."""
    missing = [name for name in JOB_START_FIELDS if body.get(name) in (None, "")]
    if missing:
        raise ImproperlyConfigured(f"A job start's body lacks {missing} (ADR 43).")
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def accepted(job: Job) -> Response:
    """202 with the job body and its polling URL in ``Location``."""
    return accepted_body(JobStartSerializer(job).data)


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


def _comma_list(queryset, field: str, value: str):
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    return queryset.filter(**{f"{field}__in": wanted}) if wanted else queryset


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        method="filter_actor",
        help_text="The acting user's id, or part of their e-mail; 'system' for no user.",
    )
    api_key = django_filters.CharFilter(help_text="The prefix of the API key used.")
    action = django_filters.CharFilter(
        method="filter_action", help_text="create, update, delete or action (comma list)."
    )
    object_type = django_filters.CharFilter(
        method="filter_object_type",
        help_text="app.model labels, comma-separated (purchasing.purchaseorder).",
    )
    object_id = django_filters.CharFilter()
    request_id = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="At or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Before (ISO 8601)."
    )

    class Meta:
        model = AuditLog
        fields = (
            "actor",
            "api_key",
            "action",
            "object_type",
            "object_id",
            "request_id",
            "created_after",
            "created_before",
        )

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        if value == "system":
            return queryset.filter(actor__isnull=True, actor_label="")
        if value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset.filter(actor_label__icontains=value)

    def filter_action(self, queryset, name, value):
        return _comma_list(queryset, "action", value)

    def filter_object_type(self, queryset, name, value):
        return _comma_list(queryset, "object_type", value.lower())


class _NoFormatOverride(DefaultContentNegotiation):
    """The CSV export answers CSV whatever ``Accept`` says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditLogViewSet(ReadOnlyModelViewSet):
    """Every write in the tenant: who (user, API key), what (action, object, the changed
    fields as ``{field: [old, new]}``), when and from where (request id, IP). Tenant
    administrators only; entries are never changed. ``…/export/`` streams the filtered
    entries as CSV."""

    api_area = Area.AUDIT
    serializer_class = AuditLogSerializer
    permission_classes = [IsTenantAdmin]
    # The export streams up to AUDIT_EXPORT_MAX_ROWS: heavy work, limited per tenant.
    heavy_work = "export"
    heavy_actions = ("export",)
    throttle_classes = HEAVY_THROTTLES
    filterset_class = AuditLogFilter
    ordering_fields = ("created_at",)
    queryset = AuditLog.objects.none()

    def get_queryset(self):
        return selectors.audit_log_list(user=self.request.user)

    @extend_schema(responses={(200, "text/csv"): bytes})
    @action(detail=False, methods=["get"], content_negotiation_class=_NoFormatOverride)
    def export(self, request):
        """The filtered entries as CSV, newest first (at most ``AUDIT_EXPORT_MAX_ROWS``)."""
        entries = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            csv_stream(AUDIT_CSV_COLUMNS, selectors.audit_log_rows(entries)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response


class EventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(
        method="filter_type",
        help_text="Event types, comma-separated; an entry ending in '.' matches every type "
        "that starts with it (purchase_order.).",
    )
    type__startswith = django_filters.CharFilter(field_name="type", lookup_expr="startswith")
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcIsoDateTimeFilter(
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


class UsageView(APIView):
    """The tenant's plan and, per limit, what it allows and what is used (tenant admins)."""

    api_area = Area.SETTINGS
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=UsageSerializer)
    def get(self, request):
        from core.quotas import usage_report

        return Response(UsageSerializer(usage_report()).data)
