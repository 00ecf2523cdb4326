from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import ApiKey, User
from core.exceptions import NotFound


def user_list(*, user: Any) -> QuerySet[User]:
    return User.objects.order_by("email")


def access_user(*, user: Any, user_id: Any) -> User:
    try:
        return user_list(user=user).get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such user.") from None


def api_key_list(*, user: Any) -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user").all()


def access_api_key(*, user: Any, key_id: Any) -> ApiKey:
    try:
        return api_key_list(user=user).get(pk=key_id)
    except (ApiKey.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such API key.") from None
