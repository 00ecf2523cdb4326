from __future__ import annotations

from rest_framework import serializers

from integrations.models import (
    NotificationPreference,
    ReportSubscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        help_text='Event types to receive (see /api/v1/events/), or ["*"] for all.',
    )
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = (
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_reason",
            "failing_since",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("disabled_reason", "failing_since", "created_at", "updated_at")


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The endpoint as created, with its signing secret: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ("number", "status_code", "error", "response_ms", "response_excerpt", "created_at")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    tries = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "response_ms",
            "created_at",
            "updated_at",
            "tries",
        )


class DeliveryQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)


class WebhookTestSentSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()


class ReplayedSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    # A preference never saved has no time yet.
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = NotificationPreference
        fields = ("email_enabled", "updated_at")
        extra_kwargs = {"email_enabled": {"required": True}}


class ReportSubscriptionSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, default=0, help_text="0 = Monday … 6 = Sunday"
    )

    class Meta:
        model = ReportSubscription
        fields = ("id", "report", "weekday", "is_active", "last_sent_at", "created_at")
        read_only_fields = ("last_sent_at", "created_at")
