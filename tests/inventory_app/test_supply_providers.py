"""Providers registered by the apps above inventory feed the refresh: learned lead times, and
open supply that counts in the position only when due within the protection interval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from catalog.models import DemandHistory, Location, Product, StockLevel
from inventory import supply
from inventory.metrics import inventory_refresh
from inventory.models import InventoryMetrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    saved = dict(supply._lead_time_providers), dict(supply._open_supply_providers)
    yield
    supply._lead_time_providers.clear()
    supply._lead_time_providers.update(saved[0])
    supply._open_supply_providers.clear()
    supply._open_supply_providers.update(saved[1])


def _pair():
    location = Location.objects.create(code="SP-L", name="l")
    product = Product.objects.create(sku="SP-P", name="p", lead_time_days=7)
    today = timezone.localdate()
    DemandHistory.objects.bulk_create(
        DemandHistory(
            product=product,
            location=location,
            date=today - timedelta(days=d),
            quantity=Decimal("10"),
        )
        for d in range(60)
    )
    StockLevel.objects.create(product=product, location=location, on_hand=0, on_order=100)
    return product, location


def test_a_lead_time_provider_overrides_the_catalogue(registered):
    product, location = _pair()
    supply.register_lead_times(
        "test",
        lambda: supply.LeadTimes(np.array([product.pk]), np.array([12.5]), np.array([2.0])),
    )
    inventory_refresh()
    row = InventoryMetrics.objects.get(product=product, location=location)
    assert (row.lead_time_days, row.lead_time_std_days) == (12.5, 2.0)


def test_open_supply_due_after_the_protection_interval_leaves_the_position(registered):
    product, location = _pair()
    today = np.datetime64(timezone.localdate(), "D")
    supply.register_open_supply(
        "test",
        lambda: supply.OpenSupply(
            np.array([product.pk, product.pk]),
            np.array([location.pk, location.pk]),
            np.array([today + 3, today + 90]),
            np.array([40.0, 60.0]),
        ),
    )
    inventory_refresh()
    row = InventoryMetrics.objects.get(product=product, location=location)
    # 100 on order, of which 60 are due in 90 days: beyond 7 days' lead time + the review.
    assert row.inventory_position == pytest.approx(40.0)
