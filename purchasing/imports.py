"""Import writers of purchasing (``etl.specs``: suppliers, supplier-products,
purchase-history). Each reads the validated, typed relation ``t`` and writes in a few
set-based statements inside the import's transaction; re-importing the same file changes
nothing.
"""

from __future__ import annotations

from psycopg import sql

from catalog.bulk import (
    CREATED,
    UpsertColumns,
    WriteCounts,
    _from_file,
    natural_upsert,
    upsert_counts,
)
from purchasing.learning import lead_times_learn
from purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Supplier,
    SupplierProduct,
)
from purchasing.services import LINK_SQL

SUPPLIER_COLUMNS: UpsertColumns = {
    **CREATED,
    "updated_at": ("updated_at", "now()", "now()"),
    "contact_name": ("contact_name", "''", "''"),
    **_from_file(
        {
            "name": ("name", "''"),
            "kind": ("kind", "'buy'"),
            "email": ("email", "''"),
            "phone": ("phone", "''"),
            "lead_time_days": ("lead_time_days", "NULL"),
            "min_order_value": ("min_order_value", "0"),
            "order_cycle_days": ("order_cycle_days", "NULL"),
        }
    ),
    "currency": ("currency", "coalesce(upper(t.currency), 'EUR')", "'EUR'"),
}


def suppliers_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """Upsert suppliers by code, then link catalogue products whose ``supplier_code`` names
    one of them (a preferred supplier product where the product has none)."""
    inserted, updated = natural_upsert(
        cursor,
        relation=relation,
        table=Supplier._meta.db_table,
        key="code",
        columns=SUPPLIER_COLUMNS,
        present=present,
    )
    cursor.execute(LINK_SQL)
    return WriteCounts(inserted, updated, {"supplier_products": cursor.rowcount})


T_SP = sql.Identifier(SupplierProduct._meta.db_table)

# file column -> (database column, value, default on new rows)
_TERMS = {
    "supplier_sku": ("supplier_sku", "coalesce(t.supplier_sku, '')", "''"),
    "price": ("unit_price", "t.price", "0"),
    "pack_size": ("pack_size", "coalesce(t.pack_size, 1)", "1"),
    "moq": ("moq", "coalesce(t.moq, 0)", "0"),
    "lead_time_days": ("lead_time_days", "t.lead_time_days", "NULL"),
    "preferred": ("is_preferred", "coalesce(t.preferred, false)", "false"),
}


def supplier_products_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """Upsert supplier terms by (supplier, product). A row with ``preferred`` true takes the
    preference from the product's other suppliers; a product left without a preferred supplier
    prefers the one its catalogue ``supplier_code`` names, else its only supplier."""
    r = sql.Identifier(relation)
    source = sql.SQL(
        "FROM {r} t JOIN purchasing_supplier s ON s.code = t.supplier "
        "JOIN inventory_product p ON p.sku = t.sku"
    ).format(r=r)
    if "preferred" in present:
        cursor.execute(
            sql.SQL(
                "UPDATE {sp} x SET is_preferred = false, updated_at = now() "
                "FROM (SELECT s.id AS supplier_id, p.id AS product_id {source} "
                "WHERE t.preferred) k WHERE x.product_id = k.product_id "
                "AND x.supplier_id <> k.supplier_id AND x.is_preferred"
            ).format(sp=T_SP, source=source)
        )
    insert = ["supplier_id", "product_id", "created_at", "updated_at"]
    select = ["s.id", "p.id", "now()", "now()"]
    updated_columns = []
    for name, (db, value, default) in _TERMS.items():
        insert.append(db)
        select.append(value if name in present else default)
        if name in present:
            updated_columns.append(db)
    statement = sql.SQL(
        "INSERT INTO {sp} AS target ({insert}) SELECT {select} {source} "
        "ON CONFLICT (supplier_id, product_id) DO UPDATE SET {set}, updated_at = now() "
        "WHERE ({current}) IS DISTINCT FROM ({incoming})"
    ).format(
        sp=T_SP,
        insert=sql.SQL(", ").join(map(sql.Identifier, insert)),
        select=sql.SQL(", ").join(map(sql.SQL, select)),
        source=source,
        set=sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in updated_columns
        ),
        current=sql.SQL(", ").join(
            sql.SQL("target.{}").format(sql.Identifier(c)) for c in updated_columns
        ),
        incoming=sql.SQL(", ").join(
            sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in updated_columns
        ),
    )
    inserted, updated = upsert_counts(cursor, statement)
    # Products without a preferred supplier: the catalogue's supplier, else the only one.
    cursor.execute(
        """
        UPDATE purchasing_supplierproduct x SET is_preferred = true, updated_at = now()
        FROM (
            SELECT DISTINCT ON (sp.product_id) sp.id
            FROM purchasing_supplierproduct sp
            JOIN purchasing_supplier s ON s.id = sp.supplier_id
            JOIN inventory_product p ON p.id = sp.product_id
            WHERE NOT EXISTS (SELECT 1 FROM purchasing_supplierproduct o
                              WHERE o.product_id = sp.product_id AND o.is_preferred)
              AND (s.code = p.supplier_code
                   OR (SELECT count(*) FROM purchasing_supplierproduct c
                       WHERE c.product_id = sp.product_id) = 1)
            ORDER BY sp.product_id, (s.code = p.supplier_code) DESC, sp.id
        ) pick WHERE x.id = pick.id
        """
    )
    return WriteCounts(inserted, updated)


def purchase_history_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """Closed orders from the tenant's ERP: received purchase orders (one per reference),
    their lines and receipts (source ``import``), then lead-time learning for the pairs
    touched. No stock movement: this is history. Receipts are unique on reference + SKU +
    location + received_on, so a second import of the same file inserts nothing."""
    r = sql.Identifier(relation)
    unit_price = "t.unit_price" if "unit_price" in present else "NULL::numeric"
    expected = "t.expected_on" if "expected_on" in present else "NULL::date"
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE purchasing_history ON COMMIT DROP AS "
            "SELECT t.row_no, t.reference, s.id AS supplier_id, s.currency, p.id AS product_id, "
            "l.id AS location_id, t.ordered_on, t.received_on, t.quantity, "
            "coalesce({price}, sp.unit_price, p.unit_cost) AS unit_price, "
            "coalesce({expected}, t.ordered_on + coalesce(sp.lead_time_days, s.lead_time_days, "
            "p.lead_time_days)::int) AS expected_on "
            "FROM {r} t JOIN purchasing_supplier s ON s.code = t.supplier "
            "JOIN inventory_product p ON p.sku = t.sku "
            "JOIN inventory_location l ON l.code = t.location "
            "LEFT JOIN purchasing_supplierproduct sp ON sp.supplier_id = s.id "
            "AND sp.product_id = p.id"
        ).format(r=r, price=sql.SQL(unit_price), expected=sql.SQL(expected))
    )
    cursor.execute(
        f"""
        INSERT INTO {PurchaseOrder._meta.db_table} (reference, supplier_id, location_id, status,
            currency, source, ordered_on, closed_at, status_reason, note, created_at, updated_at)
        SELECT DISTINCT ON (reference) reference, supplier_id, location_id, 'received', currency,
               'import', ordered_on, now(), '', '', now(), now()
        FROM purchasing_history ORDER BY reference, row_no
        ON CONFLICT (reference) DO NOTHING
        """  # noqa: S608 (table name from the model)
    )
    orders = cursor.rowcount
    line_table = PurchaseOrderLine._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {line_table} (order_id, product_id, location_id, quantity, received_quantity,
                                  unit_price, expected_date)
        SELECT o.id, h.product_id, h.location_id, sum(h.quantity), sum(h.quantity),
               (array_agg(h.unit_price ORDER BY h.row_no))[1], min(h.expected_on)
        FROM purchasing_history h JOIN {PurchaseOrder._meta.db_table} o
             ON o.reference = h.reference
        GROUP BY o.id, h.product_id, h.location_id
        ON CONFLICT (order_id, product_id, location_id) DO NOTHING
        """  # noqa: S608
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE purchasing_new_receipts ON COMMIT DROP AS WITH made AS (
        INSERT INTO {Receipt._meta.db_table} (line_id, supplier_id, product_id, quantity,
               received_on, lead_time_days, on_time, source, created_at)
        SELECT ln.id, h.supplier_id, h.product_id, h.quantity, h.received_on,
               h.received_on - o.ordered_on, h.received_on <= h.expected_on, 'import', now()
        FROM purchasing_history h
        JOIN {PurchaseOrder._meta.db_table} o ON o.reference = h.reference
        JOIN {line_table} ln ON ln.order_id = o.id AND ln.product_id = h.product_id
                            AND ln.location_id = h.location_id
        ON CONFLICT (line_id, received_on) WHERE source = 'import' DO NOTHING
        RETURNING line_id, supplier_id, product_id) SELECT * FROM made
        """  # noqa: S608
    )
    cursor.execute("SELECT count(*) FROM purchasing_new_receipts")
    inserted = cursor.fetchone()[0]
    # A line's received quantity is the sum of its receipts (a later file may add receipts).
    cursor.execute(
        f"""
        UPDATE {line_table} ln SET received_quantity = x.received,
               quantity = greatest(ln.quantity, x.received)
        FROM (SELECT line_id, sum(quantity) AS received FROM {Receipt._meta.db_table}
              WHERE line_id IN (SELECT line_id FROM purchasing_new_receipts)
              GROUP BY line_id) x
        WHERE ln.id = x.line_id AND ln.received_quantity IS DISTINCT FROM x.received
        """  # noqa: S608
    )
    cursor.execute("SELECT DISTINCT supplier_id, product_id FROM purchasing_new_receipts")
    pairs = cursor.fetchall()
    cursor.execute("DROP TABLE purchasing_history, purchasing_new_receipts")
    if pairs:
        lead_times_learn(pairs=pairs)
    return WriteCounts(inserted, 0, {"purchase_orders": orders})
