"""factory-boy factories for the rows tests keep building: the catalogue, users, forecast runs
and the routing fleet. Each factory saves in the active schema (tenant alpha unless the test
switches). Stock never goes straight into ``StockLevel``: ``stock()`` posts a movement through
``catalog.services.stock_change`` so the ledger stays balanced.

    product = ProductFactory(unit_cost=Decimal("3"))      # SKU-0001, SKU-0002, …
    stock(product, LocationFactory(), 10)                 # a receipt (negative: an adjustment)
    planner = UserFactory(role=User.Role.PLANNER)         # through accounts.services.user_create
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.services import user_create
from catalog.models import Category, DemandHistory, Location, Product, ProductExclusion
from catalog.services import StockChange, stock_change
from forecasting.models import ForecastRun
from routing.models import DeliveryOrder, Vehicle

PASSWORD = "correct-horse-battery-7"  # the same as tests.conftest.PASSWORD


# --- Catalogue -----------------------------------------------------------------------------------


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n:04}")
    parent = None


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04}")
    name = factory.LazyAttribute(lambda o: f"Product {o.sku}")
    category = None
    unit_cost = Decimal("2.00")
    unit_price = Decimal("5.00")


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC-{n:04}")
    name = factory.LazyAttribute(lambda o: f"Location {o.code}")
    kind = Location.Kind.WAREHOUSE


class DepotFactory(LocationFactory):
    """A warehouse with coordinates (central Paris), as routing needs."""

    code = factory.Sequence(lambda n: f"DEPOT-{n:04}")
    latitude = Decimal("48.856600")
    longitude = Decimal("2.352200")


class DemandHistoryFactory(DjangoModelFactory):
    """One day of sales, on a different past day for every row built (pass ``date`` to pin
    it); ``sales()`` writes a run of days in one insert."""

    class Meta:
        model = DemandHistory

    product = factory.SubFactory(ProductFactory)
    location = factory.SubFactory(LocationFactory)
    date = factory.Sequence(lambda n: timezone.localdate() - dt.timedelta(days=n + 1))
    quantity = Decimal("4")
    revenue = factory.LazyAttribute(lambda o: o.quantity * o.product.unit_price)


class ProductExclusionFactory(DjangoModelFactory):
    class Meta:
        model = ProductExclusion

    product = factory.SubFactory(ProductFactory)
    reason = "discontinued"
    scopes = factory.LazyFunction(lambda: [ProductExclusion.Scope.ABC])


def sales(
    product: Product, location: Location, quantities: list[int | str | Decimal], **fields: Any
) -> list[DemandHistory]:
    """Daily sales of ``product`` at ``location``, the last quantity yesterday, in one insert."""
    today = timezone.localdate()
    count = len(quantities)
    return DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - dt.timedelta(days=count - i),
            quantity=Decimal(quantity),
            revenue=Decimal(quantity) * product.unit_price,
            **fields,
        )
        for i, quantity in enumerate(quantities)
    )


def stock(
    product: Product,
    location: Location,
    quantity: int | str | Decimal,
    *,
    kind: str | None = None,
    **options: Any,
) -> Decimal:
    """Change on-hand stock through the ledger: a receipt when ``quantity`` is positive, an
    adjustment when negative (or ``kind``). Returns the quantity posted."""
    amount = Decimal(quantity)
    kind = kind or ("receipt" if amount > 0 else "adjustment")
    stock_change(changes=[StockChange(product.pk, location.pk, amount, kind)], **options)
    return amount


# --- Users ---------------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    """A tenant user made by ``accounts.services.user_create`` (validated password, the role's
    staff flag, the audit row), in the active schema."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user-{n:04}@example.com")
    role = User.Role.PLANNER
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(**kwargs)


# --- Forecasting ---------------------------------------------------------------------------------


class ForecastRunFactory(DjangoModelFactory):
    """A finished (succeeded) run of the naive method: it holds no forecast values, and never
    counts as the tenant's one active run unless built with ``status="queued"``/``"running"``."""

    class Meta:
        model = ForecastRun

    status = ForecastRun.Status.SUCCEEDED
    trigger = ForecastRun.Trigger.MANUAL
    horizon = 7
    methods = factory.LazyFunction(lambda: ["naive"])
    folds = 3
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(seconds=2))
    duration_seconds = 2.0


# --- Routing -------------------------------------------------------------------------------------


class VehicleFactory(DjangoModelFactory):
    class Meta:
        model = Vehicle

    code = factory.Sequence(lambda n: f"VAN-{n:04}")
    capacity = Decimal("100")
    start_depot = factory.SubFactory(DepotFactory)
    shift_start = dt.time(8)
    shift_end = dt.time(18)
    fixed_cost = Decimal("10.00")


class DeliveryOrderFactory(DjangoModelFactory):
    """An order a few kilometres from ``DepotFactory``'s depot (the offset grows per order)."""

    class Meta:
        model = DeliveryOrder

    reference = factory.Sequence(lambda n: f"DO-{n:04}")
    date = dt.date(2026, 3, 2)
    latitude = factory.Sequence(lambda n: Decimal("48.840000") + Decimal(n % 7) / 200)
    longitude = factory.Sequence(lambda n: Decimal("2.310000") + Decimal(n % 11) / 200)
    demand = Decimal("3")
    service_minutes = 5
