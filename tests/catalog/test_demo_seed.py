"""seed_demo: catalogue, network, daily sales and stock through the import path; idempotent;
confined to its tenant."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from catalog.models import Category, DemandHistory, Location, Product, StockLevel, StockMovement
from demo.catalogue import CATALOGUE, FAST, LUMPY, RAW, catalogue_build, sales_generate

pytestmark = pytest.mark.django_db

DAYS = 60
SOLD = [row for row in CATALOGUE if row[5] != RAW]


def _seed(tenant, *extra: str) -> None:
    call_command("seed_demo", "--schema", tenant.schema_name, "--days", str(DAYS), *extra)


def _snapshot() -> dict:
    history = DemandHistory.objects.aggregate(
        rows=Count("id"),
        units=Sum("quantity"),
        revenue=Sum("revenue"),
        promo=Count("id", filter=Q(on_promotion=True)),
        stockout=Count("id", filter=Q(stockout=True)),
    )
    return {
        "products": list(Product.objects.values_list("sku", "unit_cost", "unit_price", "moq")),
        "categories": Category.objects.count(),
        "locations": list(Location.objects.values_list("code", "latitude", "replenished_from")),
        "history": history,
        "levels": list(StockLevel.objects.values_list("product_id", "location_id", "on_hand")),
        "movements": StockMovement.objects.count(),
    }


def test_seed_fills_catalogue_network_sales_and_stock(tenant_a):
    _seed(tenant_a)

    # 60 catalogue products and the 3 roasted blends of the demo plant (manufacturing.demo).
    assert Product.objects.count() == len(CATALOGUE) + 3 == 63
    assert Product.objects.filter(product_type="raw").count() == 6
    assert Category.objects.count() == 7  # six sales categories and raw materials
    assert not Product.objects.filter(unit_cost__gt=F("unit_price")).exists()
    assert not Product.objects.filter(moq__lt=F("pack_size")).exists()

    kinds = dict(Location.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds == {"warehouse": 1, "store": 4, "plant": 1}
    dc = Location.objects.get(kind="warehouse")
    for location in Location.objects.all():  # around Lyon
        assert Decimal("45.6") < location.latitude < Decimal("45.9")
        assert Decimal("4.7") < location.longitude < Decimal("5.0")
    assert set(
        Location.objects.filter(kind="store").values_list("replenished_from", flat=True)
    ) == {dc.pk}

    yesterday = timezone.localdate() - timedelta(days=1)
    history = DemandHistory.objects.all()
    assert history.count() == len(SOLD) * 4 * DAYS  # zero days are kept
    dates = sorted(set(history.values_list("date", flat=True)))
    assert dates[0] == yesterday - timedelta(days=DAYS - 1)
    assert dates[-1] == yesterday
    assert len(dates) == DAYS
    stores = set(Location.objects.filter(kind="store").values_list("id", flat=True))
    assert set(history.values_list("location_id", flat=True).distinct()) == stores
    # revenue = quantity × list price, to the cent
    prices = dict(Product.objects.values_list("id", "unit_price"))
    for product_id, quantity, revenue in history.values_list("product_id", "quantity", "revenue")[
        :2000
    ]:
        assert revenue == (quantity * prices[product_id]).quantize(Decimal("0.01"))
    assert history.filter(on_promotion=True).exists()

    # Stock through the ledger: every level equals the sum of its movements.
    levels = StockLevel.objects.all()
    assert levels.count() == len(SOLD) * 5 + 6  # DC and stores; raw materials at the plant
    sums = {
        (row["product_id"], row["location_id"]): row["total"]
        for row in StockMovement.objects.values("product_id", "location_id").annotate(
            total=Sum("quantity")
        )
    }
    for level in levels:
        assert level.on_hand == sums.get((level.product_id, level.location_id), Decimal("0"))
    assert levels.filter(on_hand__gt=0).count() > levels.count() * 0.8
    plant = Location.objects.get(kind="plant")
    assert set(levels.filter(location=plant).values_list("product__product_type", flat=True)) == {
        "raw"
    }


def test_intermittent_items_have_many_zero_days_and_fast_movers_few(tenant_a):
    _seed(tenant_a)
    share = {
        row["product__sku"]: row["zeros"] / row["days"]
        for row in DemandHistory.objects.values("product__sku").annotate(
            days=Count("id"), zeros=Count("id", filter=Q(quantity=0))
        )
    }
    lumpy = [row[0] for row in SOLD if row[5] == LUMPY]
    fast = [row[0] for row in SOLD if row[5] == FAST]
    assert len(lumpy) >= 10
    assert all(share[sku] >= 0.6 for sku in lumpy), {sku: share[sku] for sku in lumpy}
    assert sum(share[sku] for sku in lumpy) / len(lumpy) >= 0.75
    assert all(share[sku] <= 0.2 for sku in fast), {sku: share[sku] for sku in fast}


def test_stockout_days_sell_nothing():
    catalogue = catalogue_build()
    sales = sales_generate(catalogue, end=date(2025, 12, 31), days=730)
    assert sales.stockout.any()
    assert (sales.quantity[sales.stockout] == 0).all()


def test_a_day_has_the_same_sales_whatever_the_window():
    catalogue = catalogue_build()
    short = sales_generate(catalogue, end=date(2026, 3, 1), days=30)
    long = sales_generate(catalogue, end=date(2026, 3, 1), days=400)
    assert (short.quantity == long.quantity[:, :, -30:]).all()
    assert (short.stockout == long.stockout[:, :, -30:]).all()
    assert (short.on_promotion == long.on_promotion[:, :, -30:]).all()
    later = sales_generate(catalogue, end=date(2026, 3, 11), days=30)  # seeded ten days later
    assert (later.quantity[:, :, :20] == short.quantity[:, :, 10:]).all()


def test_seeding_twice_changes_nothing(tenant_a, capsys):
    _seed(tenant_a)
    first = _snapshot()
    capsys.readouterr()
    _seed(tenant_a)
    assert _snapshot() == first
    out = capsys.readouterr().out
    # catalogue: locations, products, sales, stock; purchasing: suppliers, terms, history;
    # routing: vehicles, tomorrow's delivery orders
    assert out.count(" 0 inserted, 0 updated") == 9, out
    assert "open purchase orders created: 0" in out
    assert "flags (promotion / stockout) changed: 0" in out
    flagged = DemandHistory.objects.filter(stockout=True)
    assert flagged.exists()
    assert not flagged.exclude(quantity=0).exists()


def test_seeding_writes_nothing_to_the_other_tenant(tenant_a, tenant_b):
    with schema_context(tenant_b.schema_name):
        before = _snapshot()
    _seed(tenant_a)
    with schema_context(tenant_b.schema_name):
        assert _snapshot() == before
    assert Product.objects.count() == 63


def test_skip_sales_loads_catalogue_and_stock_only(tenant_a):
    _seed(tenant_a, "--skip-sales")
    assert Product.objects.count() == 63
    assert StockLevel.objects.exists()
    assert not DemandHistory.objects.exists()
