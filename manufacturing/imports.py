"""Set-based writers of the manufacturing imports (``etl.specs``: boms, mps, work-centres,
operations). Each reads the validated, typed relation and writes in a few statements; the
import runs them inside its transaction, so a rejected file writes nothing."""

from __future__ import annotations

import itertools

import numpy as np
from psycopg import sql

from catalog.bulk import WriteCounts, natural_upsert, upsert_counts
from catalog.models import Location, Product, ProductUnit
from core.exceptions import ImportRowsRejected
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MasterProductionSchedule,
    Operation,
    WorkCentre,
)
from manufacturing.mrp.bom import find_cycle

T_PRODUCT = sql.Identifier(Product._meta.db_table)
T_LOCATION = sql.Identifier(Location._meta.db_table)
T_UNIT = sql.Identifier(ProductUnit._meta.db_table)
T_BOM = sql.Identifier(BillOfMaterials._meta.db_table)
T_LINE = sql.Identifier(BomLine._meta.db_table)
T_OPERATION = sql.Identifier(Operation._meta.db_table)
T_CENTRE = sql.Identifier(WorkCentre._meta.db_table)
T_MPS = sql.Identifier(MasterProductionSchedule._meta.db_table)


def boms_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """``parent_sku,component_sku,quantity[,scrap_pct,uom,version]``: the lines of each
    (parent, version) in the file replace that version's lines; without ``version`` it is 1.
    The highest version of each parent in the file becomes its active BOM. A file whose BOMs
    would form a cycle is rejected, naming the cycle on the rows that close it."""
    r = sql.Identifier(relation)
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE mfg_bom_rows ON COMMIT DROP AS SELECT t.row_no, "
            "pp.id AS parent_id, pp.sku AS parent_sku, cp.id AS component_id, "
            "cp.sku AS component_sku, coalesce(t.version, 1) AS version, t.quantity, "
            "coalesce(t.scrap_pct, 0) AS scrap_pct, coalesce(t.uom, '') AS uom, "
            "CASE WHEN t.uom IS NULL OR t.uom = cp.uom THEN 1 ELSE u.factor END AS factor "
            "FROM {r} t JOIN {p} pp ON pp.sku = t.parent_sku JOIN {p} cp ON cp.sku = "
            "t.component_sku LEFT JOIN {u} u ON u.product_id = cp.id AND u.name = t.uom"
        ).format(r=r, p=T_PRODUCT, u=T_UNIT)
    )
    cursor.execute(
        sql.SQL(
            "INSERT INTO {b} (product_id, version, is_active, created_at, updated_at) "
            "SELECT DISTINCT parent_id, version, false, now(), now() FROM mfg_bom_rows "
            "ON CONFLICT (product_id, version) DO NOTHING"
        ).format(b=T_BOM)
    )
    created = cursor.rowcount
    # The newest version of each parent in the file becomes the active one.
    cursor.execute(
        sql.SQL(
            "UPDATE {b} b SET is_active = false, updated_at = now() FROM (SELECT parent_id, "
            "max(version) AS version FROM mfg_bom_rows GROUP BY parent_id) f "
            "WHERE b.product_id = f.parent_id AND b.version <> f.version AND b.is_active"
        ).format(b=T_BOM)
    )
    cursor.execute(
        sql.SQL(
            "UPDATE {b} b SET is_active = true, updated_at = now() FROM (SELECT parent_id, "
            "max(version) AS version FROM mfg_bom_rows GROUP BY parent_id) f "
            "WHERE b.product_id = f.parent_id AND b.version = f.version AND NOT b.is_active"
        ).format(b=T_BOM)
    )
    cursor.execute(
        sql.SQL(
            "DELETE FROM {l} l USING {b} b, (SELECT DISTINCT parent_id, version FROM "
            "mfg_bom_rows) f WHERE l.bom_id = b.id AND b.product_id = f.parent_id "
            "AND b.version = f.version"
        ).format(l=T_LINE, b=T_BOM)
    )
    cursor.execute(
        sql.SQL(
            "INSERT INTO {l} (bom_id, component_id, quantity, scrap_pct, uom, factor) "
            "SELECT b.id, f.component_id, f.quantity, f.scrap_pct, f.uom, f.factor "
            "FROM mfg_bom_rows f JOIN {b} b ON b.product_id = f.parent_id "
            "AND b.version = f.version"
        ).format(l=T_LINE, b=T_BOM)
    )
    inserted = cursor.rowcount
    _reject_cycles(cursor)
    cursor.execute("DROP TABLE mfg_bom_rows")
    return WriteCounts(inserted=inserted, updated=0, created={"boms": created})


def _reject_cycles(cursor) -> None:
    cursor.execute(
        sql.SQL(
            "SELECT b.product_id, l.component_id, p.sku, c.sku FROM {l} l "
            "JOIN {b} b ON b.id = l.bom_id AND b.is_active JOIN {p} p ON p.id = b.product_id "
            "JOIN {p} c ON c.id = l.component_id"
        ).format(l=T_LINE, b=T_BOM, p=T_PRODUCT)
    )
    edges = cursor.fetchall()
    if not edges:
        return
    sku = {}
    for parent, component, parent_sku, component_sku in edges:
        sku[parent], sku[component] = parent_sku, component_sku
    ids = sorted(sku)
    index = {pk: i for i, pk in enumerate(ids)}
    cycle = find_cycle(
        np.array([index[e[0]] for e in edges], dtype=np.int64),
        np.array([index[e[1]] for e in edges], dtype=np.int64),
        [sku[pk] for pk in ids],
    )
    if not cycle:
        return
    path = " → ".join(cycle)
    links = list(itertools.pairwise(cycle))
    cursor.execute(
        "SELECT row_no + 1, component_sku FROM mfg_bom_rows WHERE (parent_sku, component_sku) "
        "IN (SELECT * FROM unnest(%s::text[], %s::text[])) ORDER BY row_no",
        [[a for a, _ in links], [b for _, b in links]],
    )
    rows = cursor.fetchall() or [(None, "")]
    raise ImportRowsRejected(
        [
            {"row": row, "column": "component_sku", "value": value, "why": f"BOM cycle: {path}"}
            for row, value in rows
        ],
        message=f"BOM cycle: {path}",
    )


def mps_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """``date,sku,location,quantity``: upsert one MPS row per product × location × date."""
    inserted, updated = upsert_counts(
        cursor,
        sql.SQL(
            "INSERT INTO {m} AS target (product_id, location_id, date, quantity) "
            "SELECT p.id, l.id, t.date, t.quantity FROM {r} t JOIN {p} p ON p.sku = t.sku "
            "JOIN {loc} l ON l.code = t.location ON CONFLICT (product_id, location_id, date) "
            "DO UPDATE SET quantity = EXCLUDED.quantity "
            "WHERE target.quantity IS DISTINCT FROM EXCLUDED.quantity"
        ).format(m=T_MPS, r=sql.Identifier(relation), p=T_PRODUCT, loc=T_LOCATION),
    )
    return WriteCounts(inserted, updated)


def work_centres_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """``code,name,hours_per_day[,cost_per_hour]``; new centres work Monday to Friday."""
    inserted, updated = natural_upsert(
        cursor,
        relation=relation,
        table=WorkCentre._meta.db_table,
        key="code",
        columns={
            "name": ("name", "t.name", "''"),
            "hours_per_day": ("hours_per_day", "t.hours_per_day", "8"),
            "cost_per_hour": ("cost_per_hour", "coalesce(t.cost_per_hour, 0)", "0"),
            "working_days": ("working_days", "NULL", "ARRAY[0, 1, 2, 3, 4]::smallint[]"),
        },
        present=present,
    )
    return WriteCounts(inserted, updated)


def operations_write(cursor, *, relation: str, present: set[str], **_) -> WriteCounts:
    """``sku,sequence,work_centre,run_minutes[,setup_minutes]``: upsert the operations of the
    SKU's active BOM by sequence."""
    setup = "coalesce(t.setup_minutes, 0)" if "setup_minutes" in present else "0"
    keep_setup = "" if "setup_minutes" in present else "target.setup_minutes"
    inserted, updated = upsert_counts(
        cursor,
        sql.SQL(
            "INSERT INTO {o} AS target (bom_id, sequence, work_centre_id, run_minutes, "
            "setup_minutes) SELECT b.id, t.sequence, w.id, t.run_minutes, {setup} FROM {r} t "
            "JOIN {p} p ON p.sku = t.sku JOIN {b} b ON b.product_id = p.id AND b.is_active "
            "JOIN {w} w ON w.code = t.work_centre ON CONFLICT (bom_id, sequence) DO UPDATE SET "
            "work_centre_id = EXCLUDED.work_centre_id, run_minutes = EXCLUDED.run_minutes, "
            "setup_minutes = {set_setup} WHERE (target.work_centre_id, target.run_minutes, "
            "target.setup_minutes) IS DISTINCT FROM (EXCLUDED.work_centre_id, "
            "EXCLUDED.run_minutes, {set_setup})"
        ).format(
            o=T_OPERATION,
            setup=sql.SQL(setup),
            r=sql.Identifier(relation),
            p=T_PRODUCT,
            b=T_BOM,
            w=T_CENTRE,
            set_setup=sql.SQL(keep_setup or "EXCLUDED.setup_minutes"),
        ),
    )
    return WriteCounts(inserted, updated)
