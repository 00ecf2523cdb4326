from __future__ import annotations

from django.db import connection
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ModelViewSet

from accounts.permissions import IsTenantAdminInPerson, IsTenantMember
from core.permissions import VIEWER, Area, _key_allows
from integrations import notifications, reports, selectors, services
from integrations.api import serializers as s
from integrations.exceptions import LinkRefused
from integrations.models import Notification, Report, ReportSchedule, ReportSubscription

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WebhookEndpointViewSet(ModelViewSet):
    """Webhook endpoints, for tenant administrators signed in themselves (not API keys).
    ``POST`` answers the endpoint with its ``secret``, shown only then. Each event is POSTed
    as JSON ``{id, type, created_at, tenant, data}`` signed in ``X-Webhook-Signature``
    (see the README)."""

    api_area = Area.PEOPLE
    serializer_class = s.WebhookEndpointSerializer
    permission_classes = [IsTenantAdminInPerson]
    filterset_fields = ("is_active",)
    ordering_fields = ("id", "created_at")

    def get_queryset(self):
        return selectors.webhook_endpoint_list(user=self.request.user)

    def get_object(self):
        return selectors.access_webhook_endpoint(
            user=self.request.user, endpoint_id=self.kwargs["pk"]
        )

    @extend_schema(responses={201: s.WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            **serializer.validated_data, created_by=request.user
        )
        return Response(s.WebhookEndpointCreatedSerializer(endpoint).data, status=201)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_endpoint_update(
            endpoint=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance)

    @extend_schema(request=None, responses={202: s.WebhookTestSentSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a ``webhook.test`` event to this endpoint (delivered and retried like any
        other)."""
        event = services.webhook_test_send(endpoint=self.get_object(), actor=request.user)
        return Response({"event_id": event.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[s.DeliveryQuerySerializer],
        responses={200: s.WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The endpoint's deliveries, newest first, each with its attempts;
        ``?status=dead`` is the dead-letter list."""
        query = s.DeliveryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        deliveries = selectors.webhook_delivery_list(endpoint=self.get_object())
        if "status" in query.validated_data:
            deliveries = deliveries.filter(status=query.validated_data["status"])
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_delivery_redeliver",
        request=None,
        responses={200: s.WebhookDeliverySerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
        url_name="delivery-redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """Send a dead or failed delivery again now, with a fresh retry schedule."""
        delivery = selectors.access_webhook_delivery(
            endpoint=self.get_object(), delivery_id=delivery_id
        )
        delivery = services.webhook_delivery_replay(delivery=delivery)
        return Response(s.WebhookDeliverySerializer(delivery).data)

    @extend_schema(
        operation_id="webhooks_dead_deliveries_redeliver",
        request=None,
        responses={200: s.ReplayedSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="deliveries/redeliver",
        url_name="deliveries-redeliver",
    )
    def redeliver_dead(self, request, pk=None):
        """Send every dead delivery of the endpoint again."""
        count = services.webhook_deliveries_replay(endpoint=self.get_object())
        return Response({"replayed": count})


class IsTenantUser(IsTenantMember):
    """Any role, reads and writes: for what belongs to the caller alone (own preferences,
    own report subscriptions)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and connection.schema_name != "public"
            and _key_allows(request, view)
            and user.has_role(VIEWER)
        )


class NotificationPreferenceView(APIView):
    """Your own e-mail notifications (stock low, import rejected, sync failed go to
    administrators): ``email_enabled: false`` opts out."""

    api_area = Area.INTEGRATIONS
    permission_classes = [IsTenantUser]

    @extend_schema(responses={200: s.NotificationPreferenceSerializer})
    def get(self, request):
        preference = selectors.notification_preference_get(user=request.user)
        return Response(s.NotificationPreferenceSerializer(preference).data)

    @extend_schema(
        request=s.NotificationPreferenceSerializer,
        responses={200: s.NotificationPreferenceSerializer},
    )
    def put(self, request):
        serializer = s.NotificationPreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.notification_preference_set(
            user=request.user,
            email_enabled=serializer.validated_data["email_enabled"],
            email_digest=serializer.validated_data.get("email_digest"),
        )
        return Response(s.NotificationPreferenceSerializer(preference).data)


class ReportSubscriptionViewSet(ModelViewSet):
    """Your own scheduled reports: ``what_to_order`` (a CSV of the items to order now), mailed
    weekly on ``weekday``. Every role may subscribe."""

    api_area = Area.INTEGRATIONS
    serializer_class = s.ReportSubscriptionSerializer
    permission_classes = [IsTenantUser]
    queryset = ReportSubscription.objects.none()
    ordering_fields = ("id",)

    def get_queryset(self):
        return selectors.report_subscription_list(user=self.request.user)

    def get_object(self):
        return selectors.access_report_subscription(
            user=self.request.user, subscription_id=self.kwargs["pk"]
        )

    def perform_create(self, serializer):
        subscription = serializer.Meta.model(user=self.request.user, **serializer.validated_data)
        serializer.instance = services.report_subscription_save(subscription=subscription)

    def perform_update(self, serializer):
        subscription = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(subscription, name, value)
        serializer.instance = services.report_subscription_save(subscription=subscription)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Your in-app notifications, newest first (``?unread=true`` for the unread ones).
    ``…/unread-count/`` is what the bell polls; ``…/{id}/read/`` and ``…/read-all/`` mark
    them read."""

    serializer_class = s.NotificationSerializer
    permission_classes = [IsTenantUser]
    api_area = Area.INTEGRATIONS
    queryset = Notification.objects.none()
    ordering_fields = ("id", "created_at")

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    def get_object(self):
        return selectors.access_notification(
            user=self.request.user, notification_id=self.kwargs["pk"]
        )

    @extend_schema(parameters=[s.NotificationQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = s.NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        notes = self.get_queryset()
        if query.validated_data.get("unread"):
            notes = notes.filter(read_at__isnull=True)
        page = self.paginate_queryset(notes)
        return self.get_paginated_response(s.NotificationSerializer(page, many=True).data)

    @extend_schema(responses={200: s.UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": selectors.notification_unread_count(user=request.user)})

    @extend_schema(request=None, responses={200: s.NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = notifications.notification_mark_read(notification=self.get_object())
        return Response(s.NotificationSerializer(note).data)

    @extend_schema(request=None, responses={200: s.MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notifications.notifications_mark_all_read(user=request.user)})


class NotificationSubscriptionsView(APIView):
    """Which events you hear of, in-app and by mail: every notifiable type with your choice
    or your role's default (planners: stock low and failed runs)."""

    permission_classes = [IsTenantUser]
    api_area = Area.INTEGRATIONS

    @extend_schema(responses={200: s.SubscriptionsSerializer})
    def get(self, request):
        return Response({"subscriptions": notifications.subscriptions_effective(user=request.user)})

    @extend_schema(request=s.SubscriptionsSerializer, responses={200: s.SubscriptionsSerializer})
    def put(self, request):
        data = s.SubscriptionsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chosen = notifications.subscriptions_set(
            user=request.user, choices=data.validated_data["subscriptions"]
        )
        return Response({"subscriptions": chosen})


class ReportScheduleViewSet(ModelViewSet):
    """Scheduled reports of the tenant: ``kind`` (inventory status, what to order, stockout
    risks, forecast accuracy, simulation results, open purchase orders), ``format`` (csv,
    xlsx), ``frequency`` (daily, weekly on ``weekday``, monthly on ``day_of_month``) at
    ``hour`` in the tenant's time zone. Everyone reads; planners and admins write."""

    serializer_class = s.ReportScheduleSerializer
    api_area = Area.INTEGRATIONS
    permission_classes = [IsTenantMember]
    queryset = ReportSchedule.objects.none()
    filterset_fields = ("kind", "is_active")
    ordering_fields = ("id", "next_run_at")

    def get_queryset(self):
        return selectors.report_schedule_list(user=self.request.user)

    def get_object(self):
        return selectors.access_report_schedule(
            user=self.request.user, schedule_id=self.kwargs["pk"]
        )

    def perform_create(self, serializer):
        schedule = ReportSchedule(created_by=self.request.user, **serializer.validated_data)
        serializer.instance = reports.report_schedule_save(schedule=schedule)

    def perform_update(self, serializer):
        schedule = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(schedule, name, value)
        serializer.instance = reports.report_schedule_save(schedule=schedule)

    @extend_schema(request=None, responses={201: s.ReportSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Make the report now (its schedule is unchanged)."""
        report = reports.report_generate(schedule=self.get_object())
        return Response(s.ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Generated reports, newest first, each with a signed ``download_url`` that expires
    after ``REPORT_LINK_SECONDS``; files older than ``REPORT_RETENTION_DAYS`` are removed."""

    serializer_class = s.ReportSerializer
    permission_classes = [IsTenantMember]
    api_area = Area.INTEGRATIONS
    queryset = Report.objects.none()
    filterset_fields = ("kind", "schedule", "format")
    ordering_fields = ("created_at",)

    def get_queryset(self):
        return selectors.report_list(user=self.request.user)

    def get_object(self):
        return selectors.access_report(user=self.request.user, report_id=self.kwargs["pk"])


class ReportDownloadView(APIView):
    """The file of a report, for whoever holds a valid signed link (mailed or listed): the
    token names the tenant and the report and expires."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    api_area = Area.OPEN  # the signed link is the credential

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, pk: int):
        report = reports.download_check(report_id=pk, token=request.query_params.get("token", ""))
        if report is None:
            raise LinkRefused()
        content_type = "text/csv" if report.format == "csv" else XLSX_CONTENT_TYPE
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.file_name,
            content_type=content_type,
        )
