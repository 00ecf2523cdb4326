"""A small seeded tenant for forecasting tests: two categories, three SKUs, two locations,
120 days of daily sales with a weekly pattern (one SKU intermittent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from catalog.models import Category, DemandHistory, Location, Product

END = dt.date(2026, 4, 30)
DAYS = 120


def seed(prefix: str = "FC", *, days: int = DAYS, end: dt.date = END, scale: float = 1.0):
    """Products ``{prefix}-A``, ``-B`` (category Drinks) and ``-C`` (Food) at locations
    ``{prefix}-L1`` and ``-L2``. Returns (products, locations)."""
    drinks = Category.objects.create(name=f"{prefix} Drinks")
    food = Category.objects.create(name=f"{prefix} Food")
    products = [
        Product.objects.create(
            sku=f"{prefix}-A", name="A", category=drinks, unit_price=Decimal("2.00")
        ),
        Product.objects.create(
            sku=f"{prefix}-B", name="B", category=drinks, unit_price=Decimal("5.00")
        ),
        Product.objects.create(
            sku=f"{prefix}-C", name="C", category=food, unit_price=Decimal("1.00")
        ),
    ]
    locations = [
        Location.objects.create(code=f"{prefix}-L1", name="One"),
        Location.objects.create(code=f"{prefix}-L2", name="Two"),
    ]
    rng = np.random.default_rng(7)
    week = np.array([1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 0.6])
    rows = []
    for p_index, product in enumerate(products):
        for l_index, location in enumerate(locations):
            base = (20.0 + 10 * p_index + 5 * l_index) * scale
            t = np.arange(days)
            if p_index == 2:  # intermittent
                quantity = np.where(rng.random(days) < 0.3, rng.integers(1, 4, days), 0)
            else:
                quantity = np.round(rng.poisson(base * week[(t + end.toordinal()) % 7]))
            for offset, q in enumerate(quantity):
                if q:
                    rows.append(
                        DemandHistory(
                            product=product,
                            location=location,
                            date=end - dt.timedelta(days=days - 1 - offset),
                            quantity=Decimal(int(q)),
                            revenue=Decimal(int(q)) * product.unit_price,
                        )
                    )
    DemandHistory.objects.bulk_create(rows)
    return products, locations


def cleanup(prefix: str = "FC") -> None:
    from forecasting.models import (
        BacktestScore,
        ForecastRun,
        ForecastValue,
        MethodOverride,
        ModelRegistryEntry,
        Scenario,
        SeriesClassification,
    )

    ids = list(Product.objects.filter(sku__startswith=f"{prefix}-").values_list("id", flat=True))
    Scenario.objects.all().delete()
    for model in (ForecastValue, BacktestScore, SeriesClassification):
        model.objects.all().delete()
    ForecastRun.objects.all().delete()
    MethodOverride.objects.filter(product_id__in=ids).delete()
    ModelRegistryEntry.objects.filter(product_id__in=ids).delete()
    DemandHistory.objects.filter(product_id__in=ids).delete()
    Product.objects.filter(id__in=ids).delete()
    Location.objects.filter(code__startswith=f"{prefix}-").delete()
    Category.objects.filter(name__startswith=f"{prefix} ").delete()
