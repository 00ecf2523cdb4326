"""Purchasing speed on generated data in a throw-away database:

- the cart build (``purchasing.cart_service.cart_build``) from ``--products`` × ``--locations``
  inventory metrics rows, all to order, with a budget;
- lead-time learning (``purchasing.learning.lead_times_learn``) over ``--receipts`` receipt rows;
- receiving a ``--lines``-line purchase order in one API request (``POST …/receive/``).

    python benchmarks/purchasing.py --products 25000 --locations 4 --receipts 1000000

Prints one JSON object. Goals (issue 13): cart of 100,000 rows ≤ 2 s; learning from 1,000,000
receipts ≤ 10 s; receiving 1,000 lines in one request ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from decimal import Decimal

from _benchdb import bench_database, migrate_platform


def generate(products: int, locations: int, suppliers: int) -> None:
    from django.db import connection

    from catalog.models import Location

    dc = Location.objects.create(code="DC", name="DC", kind="warehouse")
    Location.objects.bulk_create(
        Location(code=f"S{i:03}", name=f"Store {i}", kind="store", replenished_from=dc)
        for i in range(1, locations)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_product (sku, name, uom, unit_cost, unit_price, product_type,
                supplier_code, lead_time_days, lead_time_std_days, moq, pack_size, is_active,
                created_at, updated_at)
            SELECT 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || i, 'unit', 2 + mod(i, 17),
                   5 + mod(i, 23), 'finished', 'SUP-' || mod(i, %(s)s), 7, 0, 0, 1, true, now(),
                   now()
            FROM generate_series(1, %(p)s) i
            """,
            {"p": products, "s": suppliers},
        )
        cursor.execute(
            """
            INSERT INTO purchasing_supplier (code, name, kind, currency, contact_name, email,
                phone, lead_time_days, min_order_value, is_active, created_at, updated_at)
            SELECT 'SUP-' || i, 'Supplier ' || i, 'buy', CASE WHEN mod(i, 5) = 0 THEN 'USD'
                   ELSE 'EUR' END, '', '', '', 5 + mod(i, 20), 100, true, now(), now()
            FROM generate_series(0, %(s)s - 1) i
            """,
            {"s": suppliers},
        )
        cursor.execute(
            "INSERT INTO purchasing_exchangerate (currency, rate, updated_at) "
            "VALUES ('USD', 0.92, now())"
        )
        cursor.execute(
            """
            INSERT INTO purchasing_supplierproduct (supplier_id, product_id, supplier_sku,
                unit_price, pack_size, moq, lead_time_days, is_preferred, created_at, updated_at)
            SELECT s.id, p.id, '', p.unit_cost, (ARRAY[1, 6, 12])[1 + p.id % 3], p.id % 20,
                   NULL, true, now(), now()
            FROM inventory_product p JOIN purchasing_supplier s ON s.code = p.supplier_code
            """
        )
        # Every pair needs an order; the DC has stock of a tenth of the products.
        cursor.execute(
            """
            INSERT INTO inventory_inventorymetrics (product_id, location_id, mean_daily_demand,
                demand_std, lead_time_days, lead_time_std_days, on_hand, inventory_value,
                service_level, safety_stock, reorder_point, order_up_to, eoq, days_of_cover,
                inventory_position, stockout_risk, status, recommended_order_qty,
                latest_order_date, abc_class, xyz_class, computed_at)
            SELECT p.id, l.id, 1 + p.id % 7, 1 + p.id % 3, 7, 0, 1, 1, 0.95, 5, 10, 20, 30,
                   p.id % 5, 2, (p.id % 100) / 100.0,
                   CASE WHEN p.id % 2 = 0 THEN 'critical' ELSE 'reorder_now' END,
                   10 + p.id % 40, current_date, 'A', 'X', now()
            FROM inventory_product p CROSS JOIN inventory_location l
            """
        )
        cursor.execute(
            """
            INSERT INTO inventory_stocklevel (product_id, location_id, on_hand, reserved,
                on_order, updated_at)
            SELECT p.id, l.id, 100, 0, 0, now() FROM inventory_product p, inventory_location l
            WHERE l.code = 'DC' AND p.id % 10 = 0
            """
        )


def generate_receipts(receipts: int) -> int:
    """One imported purchase order per supplier with a line per product, and ``receipts``
    receipts spread over those lines; returns the number of supplier × product pairs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO purchasing_purchaseorder (reference, supplier_id, location_id, status,
                currency, source, ordered_on, status_reason, note, created_at, updated_at)
            SELECT 'HIST-' || s.id, s.id, (SELECT min(id) FROM inventory_location), 'received',
                   s.currency, 'import', current_date - 400, '', '', now(), now()
            FROM purchasing_supplier s
            """
        )
        cursor.execute(
            """
            INSERT INTO purchasing_purchaseorderline (order_id, product_id, location_id,
                quantity, received_quantity, unit_price, expected_date)
            SELECT o.id, sp.product_id, o.location_id, 1000, 1000, sp.unit_price,
                   current_date - 390
            FROM purchasing_supplierproduct sp
            JOIN purchasing_purchaseorder o ON o.supplier_id = sp.supplier_id
            """
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_lines AS SELECT row_number() OVER (ORDER BY l.id) AS n, "
            "l.id, o.supplier_id, l.product_id FROM purchasing_purchaseorderline l "
            "JOIN purchasing_purchaseorder o ON o.id = l.order_id"
        )
        cursor.execute("SELECT count(*) FROM bench_lines")
        (lines,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO purchasing_receipt (line_id, supplier_id, product_id, quantity,
                received_on, lead_time_days, on_time, source, created_at)
            SELECT b.id, b.supplier_id, b.product_id, 1, current_date - mod(i, 365)::int,
                   3 + mod(i::int8 * 7919, 15), mod(i::int8 * 7919, 15) < 10, 'import', now()
            FROM generate_series(0, %(r)s - 1) i
            JOIN bench_lines b ON b.n = 1 + mod(i, %(lines)s)
            """,
            {"r": receipts, "lines": lines},
        )
        cursor.execute("ANALYZE purchasing_receipt")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=25_000)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--suppliers", type=int, default=50)
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    with bench_database("purchasing", keep=args.keep):
        from django.db import transaction
        from django_tenants.utils import schema_context
        from rest_framework.test import APIClient

        from accounts.models import User
        from accounts.services import user_create
        from accounts.tokens import TenantTokenObtainPairSerializer
        from catalog.models import Location, Product
        from purchasing import services
        from purchasing.cart_service import cart_build
        from purchasing.learning import lead_times_learn
        from purchasing.models import OrderSuggestion, Supplier
        from tenants.services import tenant_provision

        migrate_platform()
        tenant = tenant_provision(slug="purchbench", name="Purchasing bench").tenant
        host = tenant.domains.first().domain
        with schema_context(tenant.schema_name):
            started = time.perf_counter()
            generate(args.products, args.locations, args.suppliers)
            pairs = generate_receipts(args.receipts)
            generate_seconds = time.perf_counter() - started

            cart_times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                result = cart_build(budget=Decimal("250000"))
                cart_times.append(time.perf_counter() - started)
            cart_lines = OrderSuggestion.objects.count()

            learn_times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                with transaction.atomic():
                    learned = lead_times_learn()
                learn_times.append(time.perf_counter() - started)

            # A purchase order of --lines lines, approved, received in one request.
            supplier = Supplier.objects.order_by("id").first()
            dc = Location.objects.get(code="DC")
            user = user_create(
                email="bench@example.com",
                password="bench-password-1",  # noqa: S106
                role=User.Role.PLANNER,
            )
            client = APIClient(HTTP_HOST=host)
            token = TenantTokenObtainPairSerializer.get_token(user).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            receive_times = []
            product_ids = list(
                Product.objects.order_by("id").values_list("id", flat=True)[: args.lines]
            )
            for _ in range(args.runs):
                order = services.purchase_order_create(
                    supplier=supplier,
                    location=dc,
                    lines=[
                        services.OrderLineInput(product_id=p, quantity=Decimal("10"))
                        for p in product_ids
                    ],
                )
                services.purchase_order_approve(order=order, user=None)
                body = {
                    "lines": [
                        {"line": line_id, "quantity": "10"}
                        for line_id in order.lines.values_list("id", flat=True)
                    ]
                }
                started = time.perf_counter()
                response = client.post(
                    f"/api/v1/purchase-orders/{order.pk}/receive/", body, format="json"
                )
                receive_times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content[:500]
                assert response.json()["status"] == "received"
    print(
        json.dumps(
            {
                "benchmark": "purchasing",
                "metrics_rows": args.products * args.locations,
                "cart_lines": cart_lines,
                "cart_kept": result.kept,
                "cart_seconds": round(min(cart_times), 3),
                "cart_seconds_median": round(statistics.median(cart_times), 3),
                "receipts": args.receipts,
                "supplier_product_pairs": pairs,
                "learned_pairs": learned,
                "learning_seconds": round(min(learn_times), 3),
                "learning_seconds_median": round(statistics.median(learn_times), 3),
                "receive_lines": args.lines,
                "receive_request_seconds": round(min(receive_times), 3),
                "receive_request_seconds_median": round(statistics.median(receive_times), 3),
                "generate_seconds": round(generate_seconds, 1),
                "goal": {"cart_seconds": 2, "learning_seconds": 10, "receive_seconds": 1},
            }
        )
    )


if __name__ == "__main__":
    main()
