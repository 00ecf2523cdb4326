"""The shared factories keep the rules of the services they stand in for: stock goes through
the ledger, users through ``user_create``, runs are finished and never the active one."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from catalog.exceptions import InsufficientStock
from catalog.models import StockLevel, StockMovement
from forecasting.services import forecast_run_active
from tests.factories import (
    ForecastRunFactory,
    LocationFactory,
    ProductFactory,
    UserFactory,
    VehicleFactory,
    sales,
    stock,
)

pytestmark = pytest.mark.django_db


def test_stock_posts_movements_and_keeps_on_hand_their_sum():
    product, location = ProductFactory(), LocationFactory()
    stock(product, location, 10)
    stock(product, location, "-2.5")
    level = StockLevel.objects.get(product=product, location=location)
    movements = StockMovement.objects.filter(product=product, location=location)
    assert level.on_hand == Decimal("7.5") == sum(m.quantity for m in movements)
    assert sorted(m.kind for m in movements) == ["adjustment", "receipt"]
    with pytest.raises(InsufficientStock):
        stock(product, location, -8)


def test_products_and_locations_get_distinct_keys():
    skus = {product.sku for product in ProductFactory.create_batch(3)}
    codes = {location.code for location in LocationFactory.create_batch(3)}
    assert len(skus) == len(codes) == 3


def test_sales_end_yesterday_one_row_a_day():
    product, location = ProductFactory(unit_price=Decimal("2")), LocationFactory()
    rows = sales(product, location, [1, 0, 3])
    dates = [row.date for row in rows]
    assert [row.quantity for row in rows] == [1, 0, 3] and rows[-1].revenue == Decimal("6")
    assert all((later - earlier).days == 1 for earlier, later in itertools.pairwise(dates))
    assert dates[-1] == timezone.localdate() - dt.timedelta(days=1)


def test_users_come_from_user_create_with_their_role():
    admin = UserFactory(role=User.Role.ADMIN)
    viewer = UserFactory(role=User.Role.VIEWER)
    assert admin.is_staff and not viewer.is_staff
    assert admin.username == admin.email and admin.check_password("correct-horse-battery-7")


def test_a_forecast_run_is_finished_and_not_the_active_one():
    run = ForecastRunFactory()
    assert run.status == "succeeded" and run.finished_at > run.started_at
    assert forecast_run_active() is None
    queued = ForecastRunFactory(status="queued")
    assert forecast_run_active() == queued


def test_a_vehicle_starts_at_a_depot_with_coordinates():
    vehicle = VehicleFactory()
    assert vehicle.start_depot.latitude is not None and vehicle.shift_end > vehicle.shift_start
