from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from core import audit, quotas
        from integrations.models import (
            NotificationPreference,
            NotificationSubscription,
            ReportSchedule,
            ReportSubscription,
            WebhookEndpoint,
        )

        # The secret never reaches the trail: core.audit leaves out fields named ``secret``.
        for model in (
            WebhookEndpoint,
            ReportSubscription,
            ReportSchedule,
            NotificationSubscription,
            NotificationPreference,
        ):
            audit.track(model)

        @quotas.storage_part("reports")
        def reports_bytes() -> int:
            """Generated report files the tenant keeps (until retention prunes them)."""
            from django.db.models import Sum

            from integrations.models import Report

            return int(Report.objects.aggregate(total=Sum("size"))["total"] or 0)
