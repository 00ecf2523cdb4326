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
        from django.db.models.signals import post_delete, post_save

        from accounts.authentication import jwt_rate_counter, jwt_user_cache_key, user_changed
        from core.throttling import count_along, read_along

        read_along(jwt_user_cache_key)
        count_along(jwt_rate_counter)

        post_save.connect(user_changed, sender=User, dispatch_uid="accounts.user_cache_save")
        post_delete.connect(user_changed, sender=User, dispatch_uid="accounts.user_cache_delete")
