"""The plan's product and location limits (``core.quotas``), counted and enforced here.

Single rows (API, admin, any ORM create) are checked before they are saved; the bulk writers
of the imports check after writing, inside the import's transaction, so a file that would
cross the limit is refused whole and writes nothing.
"""

from __future__ import annotations

from django.db.models.signals import pre_save

from catalog.models import Location, Product
from core import quotas


def products_used() -> int:
    return Product.objects.count()


def locations_used() -> int:
    return Location.objects.count()


def products_and_locations_enforce() -> None:
    """After a bulk write: refuse (and so roll back) when either limit is crossed."""
    quotas.quota_enforce("products", used=products_used())
    quotas.quota_enforce("locations", used=locations_used())


def _before_save(sender, instance, raw=False, **_) -> None:
    if raw or not instance._state.adding:
        return
    limit, count = (
        ("products", products_used) if sender is Product else ("locations", locations_used)
    )
    if quotas.allowed(limit) is not None:
        quotas.quota_enforce(limit, used=count(), adding=1)


def connect() -> None:
    quotas.usage_counter("products")(products_used)
    quotas.usage_counter("locations")(locations_used)
    pre_save.connect(_before_save, sender=Product, dispatch_uid="quota-products")
    pre_save.connect(_before_save, sender=Location, dispatch_uid="quota-locations")
