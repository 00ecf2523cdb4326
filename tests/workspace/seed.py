"""Small what-to-order data: products at two locations with metrics of every status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from catalog.models import Category, Location, Product, StockLevel
from inventory.models import InventoryMetrics

STATUSES = ["critical", "reorder_now", "ok", "overstock", "dead_stock", "critical", "ok", "no_data"]


def seed_metrics(count: int, *, prefix: str = "WT") -> list[InventoryMetrics]:
    """``count`` products × 1 location (``count`` rows), statuses cycling through STATUSES;
    risk falls with the index, order-by dates rise with it, every third has stock on order."""
    tools, _ = Category.objects.get_or_create(name=f"{prefix} tools", parent=None)
    paint, _ = Category.objects.get_or_create(name=f"{prefix} paint", parent=None)
    north, _ = Location.objects.get_or_create(code=f"{prefix}-N", defaults={"name": "North"})
    south, _ = Location.objects.get_or_create(code=f"{prefix}-S", defaults={"name": "South"})
    today = timezone.localdate()
    rows = []
    for i in range(count):
        product = Product.objects.create(
            sku=f"{prefix}-{i:03d}",
            name=f"{'Hammer' if i % 2 else 'Paint'} {i}",
            category=tools if i % 2 else paint,
            supplier_code="SUP-1" if i % 3 else "SUP-2",
        )
        location = north if i % 4 else south
        if i % 3 == 0:
            StockLevel.objects.create(
                product=product, location=location, on_hand=Decimal(5), on_order=Decimal(40 + i)
            )
        rows.append(
            InventoryMetrics(
                product=product,
                location=location,
                mean_daily_demand=2.0,
                lead_time_days=7,
                on_hand=10 + i,
                inventory_position=10 + i,
                reorder_point=20.0,
                order_up_to=60.0,
                days_of_cover=(10 + i) / 2,
                stockout_risk=max(0.0, 0.9 - 0.1 * i),
                status=STATUSES[i % len(STATUSES)],
                recommended_order_qty=50 - i,
                latest_order_date=today + dt.timedelta(days=i),
                abc_class="ABC"[i % 3],
                xyz_class="XYZ"[i % 3],
                computed_at=timezone.now(),
            )
        )
    return InventoryMetrics.objects.bulk_create(rows)


def page_queries(client, url: str) -> list[str]:
    """The SQL of one GET (200 expected), without django-tenants' ``SET search_path``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET ")]
