"""The catalogue's move from ``inventory`` to ``catalog`` (ADR 19) is state only: a tenant whose
schema was migrated before the move, with data in it, migrates across it and keeps every row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import (
    Category,
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    StockLevel,
    StockMovement,
)
from forecasting.models import MethodOverride

SCHEMA = "move_check"
BEFORE = [
    ("inventory", "0006_service_level_allocation"),
    ("forecasting", "0001_runs_values_scores_registry"),
    ("routing", "0002_two_dimensions_windows_breaks_skills"),
]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db
def test_a_tenant_migrated_before_the_move_keeps_every_row_after_it():
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    connection.set_schema(SCHEMA)
    try:
        _migrate(BEFORE)
        applied = MigrationExecutor(connection).loader.applied_migrations
        assert ("catalog", "0001_initial") not in applied
        assert ("inventory", "0007_catalog_models_moved") not in applied
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO inventory_category (id, name) VALUES (1, 'Tools');
                INSERT INTO inventory_product (id, sku, name, category_id, uom, unit_cost,
                    unit_price, product_type, supplier_code, lead_time_days, moq, pack_size,
                    is_active, created_at, updated_at)
                VALUES (1, 'HAM-1', 'Hammer', 1, 'unit', 4, 9, 'finished', 'ACME', 5, 0, 1,
                        true, now(), now());
                INSERT INTO inventory_location (id, code, name, kind, is_active, created_at)
                VALUES (1, 'DC', 'Depot', 'warehouse', true, now());
                INSERT INTO inventory_stocklevel (id, product_id, location_id, on_hand,
                    reserved, on_order, updated_at) VALUES (1, 1, 1, 12, 0, 0, now());
                INSERT INTO inventory_stockmovement (id, product_id, location_id, kind,
                    quantity, reference, occurred_at, created_at)
                VALUES (1, 1, 1, 'receipt', 12, 'first', now(), now());
                INSERT INTO inventory_demandhistory (product_id, location_id, date, quantity,
                    on_promotion) VALUES (1, 1, '2026-01-05', 3, false);
                INSERT INTO inventory_productexclusion (id, product_id, reason, scopes,
                    created_at, updated_at) VALUES (1, 1, 'old', '{abc}', now(), now());
                INSERT INTO forecasting_methodoverride (product_id, location_id, method,
                    note, created_at, updated_at)
                VALUES (1, 1, 'ses', 'kept', now(), now());
                SELECT setval(pg_get_serial_sequence('inventory_product', 'id'), 1);
                SET CONSTRAINTS ALL IMMEDIATE;
                """
            )
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        applied = MigrationExecutor(connection).loader.applied_migrations
        assert ("inventory", "0007_catalog_models_moved") in applied

        product = Product.objects.select_related("category").get()
        assert (product.sku, product.category.name, product.supplier_code) == (
            "HAM-1",
            "Tools",
            "ACME",
        )
        assert Category.objects.count() == 1
        assert Location.objects.get().code == "DC"
        assert StockLevel.objects.get().on_hand == 12
        assert StockMovement.objects.get().reference == "first"
        assert DemandHistory.objects.get().quantity == 3
        assert ProductExclusion.objects.get().scopes == ["abc"]
        # A model of another app still reaches the moved tables through its foreign keys.
        override = MethodOverride.objects.select_related("product", "location").get()
        assert (override.product.sku, override.location.code) == ("HAM-1", "DC")
        # The catalogue is still writable after the move (sequences kept their tables).
        Product.objects.create(sku="HAM-2", name="Hammer 2")
        assert Product.objects.count() == 2
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
