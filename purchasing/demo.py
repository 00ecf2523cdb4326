"""Demo purchasing data: the demo catalogue's suppliers, their terms, a year of purchase
history with realistic late deliveries (so lead times are learned) and a few open orders.

Purchasing sits below ``etl`` and ``demo`` and imports neither: the caller (``seed_demo``)
hands in ``run_import(kind, data) -> report``, the real import path, through which every file
here goes. Idempotent: a second run on the same day changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

# code, name, currency, typed lead time (days), minimum order value, typical delay (days)
SUPPLIERS = (
    ("SUP-ACC", "Barista Accessoires SARL", "EUR", 10, 150, 1.0),
    ("SUP-DOUX", "Douceurs de Lyon", "EUR", 5, 80, 0.5),
    ("SUP-EQP", "Brewtech Equipment GmbH", "EUR", 21, 500, 4.0),
    ("SUP-GRN", "Green Coffee Importers Inc.", "USD", 30, 2000, 6.0),
    ("SUP-PACK", "Emballages Rhône", "EUR", 14, 300, 2.0),
    ("SUP-THE", "Maison du Thé", "EUR", 12, 200, 2.5),
)
USD_RATE = Decimal("0.92")  # one USD in EUR
OPEN_ORDER_NOTE = "demo open order"


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def purchasing_demo_seed(
    *, today: date, run_import: Callable[[str, bytes], Any], seed: int = 13
) -> dict[str, Any]:
    """Seed purchasing for the demo tenant (the catalogue must be loaded). Returns the import
    reports per kind and the open orders created."""
    from django.db import transaction

    from catalog.models import Location, Product
    from purchasing import services
    from purchasing.models import ExchangeRate, PurchaseOrder, SupplierProduct

    rng = np.random.default_rng(seed)
    warehouse = (
        Location.objects.filter(kind=Location.Kind.WAREHOUSE, is_active=True)
        .order_by("code")
        .first()
    )
    if warehouse is None:
        return {"reports": {}, "open_orders": 0}
    codes = [s[0] for s in SUPPLIERS]
    products = list(
        Product.objects.filter(supplier_code__in=codes)
        .order_by("sku")
        .values_list("sku", "supplier_code", "unit_cost")
    )
    typed = {s[0]: s[3] for s in SUPPLIERS}
    delay = {s[0]: s[5] for s in SUPPLIERS}
    files: list[tuple[str, bytes]] = [
        (
            "suppliers",
            _csv(
                ["code", "name", "kind", "currency", "lead_time_days", "min_order_value"],
                [[c, n, "buy", cur, lt, mov] for c, n, cur, lt, mov, _ in SUPPLIERS],
            ),
        ),
        (
            "supplier-products",
            _csv(
                ["supplier", "sku", "price", "supplier_sku", "pack_size", "moq", "preferred"],
                [
                    [
                        code,
                        sku,
                        f"{float(cost) / (float(USD_RATE) if code == 'SUP-GRN' else 1):.2f}",
                        f"{code[4:]}-{i:04d}",
                        [1, 6, 12][i % 3],
                        [0, 12, 24][i % 3],
                        "yes",
                    ]
                    for i, (sku, code, cost) in enumerate(products)
                ],
            ),
        ),
    ]
    # A year of monthly orders per supplier (one reference, every product of the supplier),
    # each line received after the typed lead time plus a right-skewed delay: most on time,
    # some days late, a few much later (the gamma tail).
    history = []
    start = today - timedelta(days=365)
    for month in range(12):
        ordered = start + timedelta(days=30 * month + int(rng.integers(0, 5)))
        for code in codes:
            reference = f"HIST-{code[4:]}-{ordered:%y%m}"
            for sku, supplier_code, cost in products:
                if supplier_code != code:
                    continue
                late = rng.gamma(0.8, delay[code]) - delay[code] * 0.4
                received = ordered + timedelta(days=max(1, round(typed[code] + late)))
                if received >= today:
                    continue
                history.append(
                    [
                        reference,
                        code,
                        sku,
                        warehouse.code,
                        ordered.isoformat(),
                        received.isoformat(),
                        int(rng.integers(2, 12)) * 6,
                        f"{float(cost) * float(rng.uniform(0.97, 1.05)):.2f}",
                        (ordered + timedelta(days=typed[code])).isoformat(),
                    ]
                )
    files.append(
        (
            "purchase-history",
            _csv(
                [
                    "reference",
                    "supplier",
                    "sku",
                    "location",
                    "ordered_on",
                    "received_on",
                    "quantity",
                    "unit_price",
                    "expected_on",
                ],
                history,
            ),
        )
    )
    reports: dict[str, Any] = {}
    opened = 0
    with transaction.atomic():
        ExchangeRate.objects.update_or_create(currency="USD", defaults={"rate": USD_RATE})
        for kind, data in files:
            report = run_import(kind, data)
            if report.status != "imported":
                raise RuntimeError(f"demo {kind} rejected: {report.errors[:5]}")
            reports[kind] = report
        if not PurchaseOrder.objects.filter(note=OPEN_ORDER_NOTE).exists():
            for index, code in enumerate(("SUP-THE", "SUP-ACC", "SUP-PACK")):
                terms = list(
                    SupplierProduct.objects.filter(supplier__code=code, is_preferred=True)
                    .select_related("supplier")
                    .order_by("product_id")[:3]
                )
                if not terms:
                    continue
                order = services.purchase_order_create(
                    supplier=terms[0].supplier,
                    location=warehouse,
                    lines=[
                        services.OrderLineInput(
                            product_id=t.product_id, quantity=max(t.moq, t.pack_size * 4)
                        )
                        for t in terms
                    ],
                    note=OPEN_ORDER_NOTE,
                    today=today,
                )
                if index < 2:
                    services.purchase_order_approve(order=order, user=None)
                if index == 0:
                    services.purchase_order_send(order=order, user=None)
                opened += 1
    return {"reports": reports, "open_orders": opened}
