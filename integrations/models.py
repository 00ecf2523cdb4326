"""Webhook endpoints and their deliveries, notification preferences and report subscriptions.
See docs/adr/0024-webhooks.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WebhookEndpoint(models.Model):
    """A URL that receives the tenant's events, signed with ``secret`` (HMAC-SHA256). ``events``
    lists the event types it wants, or ``["*"]`` for all."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    # Start of the current run of failed attempts (cleared by a success); an endpoint failing
    # for WEBHOOK_DISABLE_AFTER_HOURS in a row is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint. ``pending``: not tried yet; ``failed``: the last attempt
    failed and another is due at ``next_attempt_at``; ``succeeded``; ``dead``: out of attempts
    (the dead-letter list)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        FAILED = "failed"
        SUCCEEDED = "succeeded"
        DEAD = "dead"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(fields=("endpoint", "event"), name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """Every HTTP attempt of a delivery: status code, duration, error, a body excerpt."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


class NotificationPreference(models.Model):
    """A user's choice about e-mail notifications; without a row a user gets them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(default=True)
    # One mail a day with everything new instead of one mail per event.
    email_digest = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {'on' if self.email_enabled else 'off'}"


class ReportSubscription(models.Model):
    """A user's weekly report by e-mail (a CSV attachment)."""

    class Report(models.TextChoices):
        WHAT_TO_ORDER = "what_to_order", "What to order"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.CharField(max_length=32, choices=Report.choices, default=Report.WHAT_TO_ORDER)
    # 0 = Monday … 6 = Sunday, in the platform's time zone.
    weekday = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=("user", "report"), name="report_subscription_once")
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.user_id}"


class NotificationSubscription(models.Model):
    """A user's choice for one event type, overriding the defaults of their role
    (``integrations.notifications.ROLE_DEFAULTS``): in-app notifications on or off, and
    whether they are also mailed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_subscriptions",
    )
    event_type = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("event_type",)
        constraints = [
            models.UniqueConstraint(fields=("user", "event_type"), name="notification_sub_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event_type} ({'on' if self.enabled else 'off'})"


class Notification(models.Model):
    """One event told to one user, made by the outbox dispatcher. ``wants_email``: the user's
    subscription mails it (at once, or in the daily digest); ``emailed_at`` once it went."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    wants_email = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-id",)
        constraints = [models.UniqueConstraint(fields=("user", "event"), name="notification_once")]
        indexes = [
            models.Index(
                fields=("user", "id"),
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} → {self.user_id}"


class ReportSchedule(models.Model):
    """A tenant-defined report made on schedule: daily, weekly (``weekday``) or monthly
    (``day_of_month``) at ``hour`` in the tenant's time zone, kept as a file, announced by a
    ``report.generated`` event and mailed to ``recipients`` with a signed link."""

    class Kind(models.TextChoices):
        INVENTORY_STATUS = "inventory_status", "Inventory status"
        WHAT_TO_ORDER = "what_to_order", "What to order"
        STOCKOUT_RISKS = "stockout_risks", "Stockout risks"
        FORECAST_ACCURACY = "forecast_accuracy", "Forecast accuracy"
        SIMULATION_RESULTS = "simulation_results", "Simulation results"
        OPEN_PURCHASE_ORDERS = "open_purchase_orders", "Open purchase orders"

    class Format(models.TextChoices):
        CSV = "csv"
        XLSX = "xlsx"

    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"
        MONTHLY = "monthly"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    hour = models.PositiveSmallIntegerField(default=6)
    # 0 = Monday … 6 = Sunday (weekly); 1–28 (monthly: every month has it).
    weekday = models.PositiveSmallIntegerField(default=0)
    day_of_month = models.PositiveSmallIntegerField(default=1)
    recipients = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.frequency})"


def _report_path(instance: Report, filename: str) -> str:
    from django.db import connection

    return f"reports/{connection.schema_name}/{filename}"


class Report(models.Model):
    """One generated report file; served only through a signed, expiring link."""

    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    kind = models.CharField(max_length=32, choices=ReportSchedule.Kind.choices)
    format = models.CharField(max_length=8, choices=ReportSchedule.Format.choices)
    file = models.FileField(upload_to=_report_path, max_length=300)
    file_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.file_name
