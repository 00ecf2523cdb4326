from django import forms
from django.contrib import admin, messages

from core.exceptions import DomainError
from integrations import services
from integrations.exceptions import WebhookUrlRefused
from integrations.models import (
    NotificationPreference,
    ReportSubscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "is_active", "disabled_reason")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            services.check_webhook_url(url)
        except WebhookUrlRefused as exc:
            raise forms.ValidationError(exc.message) from None
        return url

    def clean_events(self) -> list[str]:
        try:
            return services.webhook_events_clean(self.cleaned_data["events"])
        except services.ValidationFailed as exc:
            raise forms.ValidationError(f"{exc.message} {exc.details}") from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "events", "is_active", "disabled_reason", "failing_since", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    # The secret is shown once by the API at creation, never here.
    exclude = ("secret",)
    readonly_fields = ("failing_since", "created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:
        created = not obj.secret
        if created:
            obj.secret = services.webhook_secret_new()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if created:  # shown once, as the API does
            self.message_user(request, f"Signing secret (shown only now): {obj.secret}")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "status_code", "error", "response_ms", "response_excerpt")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "updated_at",
    )
    list_filter = ("status", "endpoint")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send the selected dead or failed deliveries again")
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                services.webhook_delivery_replay(delivery=delivery)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{delivery}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} deliveries queued again.")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email_enabled", "updated_at")


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "report", "weekday", "is_active", "last_sent_at")
