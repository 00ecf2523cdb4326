"""The plan's user limit (``core.quotas``): active users, checked before a new one is saved
(``user_create``, the back office, any ORM create)."""

from __future__ import annotations

from django.db.models.signals import pre_save

from accounts.models import User
from core import quotas


def users_used() -> int:
    return User.objects.filter(is_active=True).count()


def _before_save(sender, instance, raw=False, **_) -> None:
    """A new active user, or an inactive one reactivated, takes a seat."""
    if raw or not instance.is_active or quotas.allowed("users") is None:
        return
    if instance._state.adding or User.objects.filter(pk=instance.pk, is_active=False).exists():
        quotas.quota_enforce("users", used=users_used(), adding=1)


def connect() -> None:
    quotas.usage_counter("users")(users_used)
    pre_save.connect(_before_save, sender=User, dispatch_uid="quota-users")
