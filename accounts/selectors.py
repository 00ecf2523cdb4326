from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import ApiKey, User
from core.selectors import get_or_not_found


def user_list(*, user: Any) -> QuerySet[User]:
    return User.objects.order_by("email")


def access_user(*, user: Any, user_id: Any) -> User:
    return get_or_not_found(user_list(user=user), "No such user.", pk=user_id)


def api_key_list(*, user: Any) -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user").all()


def access_api_key(*, user: Any, key_id: Any) -> ApiKey:
    return get_or_not_found(api_key_list(user=user), "No such API key.", pk=key_id)
