from __future__ import annotations

from rest_framework import serializers

from integrations.models import (
    Notification,
    NotificationPreference,
    Report,
    ReportSchedule,
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
        fields = ("email_enabled", "email_digest", "updated_at")
        extra_kwargs = {"email_enabled": {"required": True}}


class ReportSubscriptionSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, default=0, help_text="0 = Monday … 6 = Sunday"
    )

    class Meta:
        model = ReportSubscription
        fields = ("id", "report", "weekday", "is_active", "last_sent_at", "created_at")
        read_only_fields = ("last_sent_at", "created_at")


class NotificationSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="event_id", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "event", "type", "title", "body", "is_read", "read_at", "created_at")
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, help_text="Only unread ones.")


class SubscriptionChoiceSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    email = serializers.BooleanField()
    default = serializers.BooleanField(read_only=True, help_text="Still the role's default.")


class SubscriptionsSerializer(serializers.Serializer):
    subscriptions = serializers.DictField(
        child=SubscriptionChoiceSerializer(),
        help_text="Event type → {enabled, email}; types left out keep their setting.",
    )


class ReportScheduleSerializer(serializers.ModelSerializer):
    hour = serializers.IntegerField(
        min_value=0, max_value=23, default=6, help_text="Local hour (the tenant's time zone)."
    )
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, default=0, help_text="Weekly: 0 = Monday … 6 = Sunday."
    )
    day_of_month = serializers.IntegerField(
        min_value=1, max_value=28, default=1, help_text="Monthly: 1–28."
    )
    recipients = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=50, default=list
    )

    class Meta:
        model = ReportSchedule
        fields = (
            "id",
            "name",
            "kind",
            "format",
            "frequency",
            "hour",
            "weekday",
            "day_of_month",
            "recipients",
            "is_active",
            "next_run_at",
            "last_run_at",
            "created_at",
        )
        read_only_fields = ("next_run_at", "last_run_at", "created_at")


class ReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="A signed link, valid REPORT_LINK_SECONDS, that needs no other credential."
    )

    class Meta:
        model = Report
        fields = (
            "id",
            "schedule",
            "kind",
            "format",
            "file_name",
            "size",
            "rows",
            "created_at",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, report: Report) -> str:
        from integrations.reports import download_path

        return download_path(report)
