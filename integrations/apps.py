from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from core import audit
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
