from __future__ import annotations

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ModelViewSet

from accounts.permissions import IsTenantAdminInPerson, IsTenantMember
from core.permissions import VIEWER, Area, _key_allows
from integrations import selectors, services
from integrations.api import serializers as s
from integrations.models import ReportSubscription


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
            user=request.user, email_enabled=serializer.validated_data["email_enabled"]
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
