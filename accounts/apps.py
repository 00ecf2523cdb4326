from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and API keys"

    def ready(self) -> None:
        from accounts import (
            quota_limits,
            schema,  # noqa: F401  (registers OpenAPI extensions)
        )
        from accounts.models import ApiKey, User
        from core import audit

        audit.track(User)
        quota_limits.connect()
        audit.track(ApiKey)
