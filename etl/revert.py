"""Undo one import batch (ADR 28): the rows it overwrote get their old values back from its
change log, the rows it inserted (tagged with its id) are deleted, in one transaction.

Refused (409, nothing written) when a later batch that is not itself reverted overwrote rows
this batch wrote (its change log names this batch as the rows' previous writer), when other
rows still refer to rows this batch created (sales history of another batch, stock, orders:
the database's foreign keys, checked at once), or when later stock movements changed the
levels it counted.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from psycopg import sql

from catalog import bulk
from catalog.models import DemandHistory, Location, Product, StockLevel, StockMovement
from etl.exceptions import AlreadyReverted, NotRevertible, RevertConflict
from etl.models import ImportBatch, ImportChange

T_LOG = sql.Identifier(ImportChange._meta.db_table)
T_BATCH = sql.Identifier(ImportBatch._meta.db_table)


def _model_for(table: str):
    return next(m for m in apps.get_models() if m._meta.db_table == table)


def revert_check(batch: ImportBatch) -> tuple[str, ...]:
    """The tables to undo, in order, or the reason the batch cannot be reverted."""
    if batch.status == ImportBatch.Status.REVERTED:
        raise AlreadyReverted(details={"batch": str(batch.pk)})
    if batch.status != ImportBatch.Status.IMPORTED:
        raise NotRevertible(
            f"Only an imported batch can be reverted; this one is {batch.status}.",
            details={"status": batch.status},
        )
    tables = bulk.VERSIONED_TABLES.get(batch.kind)
    if tables is None:
        raise NotRevertible(
            f"{batch.kind} imports are not revertible (revertible kinds: "
            f"{', '.join(sorted(bulk.VERSIONED_TABLES))}).",
            details={"kind": batch.kind},
        )
    if not batch.revertible:
        raise NotRevertible(
            "This batch was imported before imports recorded what they changed.",
            details={"kind": batch.kind},
        )
    return tables


def _later_batch(cursor, batch: ImportBatch) -> None:
    """409 naming the earliest live batch that overwrote rows this batch wrote."""
    cursor.execute(
        sql.SQL(
            "SELECT b.id, b.kind, b.source_name, b.created_at FROM {log} c "
            "JOIN {batch} b ON b.id = c.batch_id WHERE c.old_batch = %s AND b.status <> %s "
            "ORDER BY b.created_at LIMIT 1"
        ).format(log=T_LOG, batch=T_BATCH),
        [batch.pk, ImportBatch.Status.REVERTED],
    )
    found = cursor.fetchone()
    if found:
        later, kind, name, created_at = found
        raise RevertConflict(
            f"The later import {later} ({kind}, {name}, {created_at:%Y-%m-%d %H:%M}) changed "
            "rows this batch wrote: revert that batch first.",
            details={"later_batch": str(later)},
        )


def _stock_moved_since(cursor, batch: ImportBatch) -> None:
    """Levels this batch counted must not have moved since (a later import, a receipt …)."""
    cursor.execute(
        sql.SQL(
            "SELECT m.id, m.kind, m.import_batch FROM {mv} m JOIN {lv} lv "
            "ON lv.product_id = m.product_id AND lv.location_id = m.location_id "
            "WHERE lv.import_batch = %s AND m.import_batch IS DISTINCT FROM %s "
            "AND m.created_at >= %s ORDER BY m.id LIMIT 1"
        ).format(
            mv=sql.Identifier(StockMovement._meta.db_table),
            lv=sql.Identifier(StockLevel._meta.db_table),
        ),
        [batch.pk, batch.pk, batch.created_at],
    )
    found = cursor.fetchone()
    if found:
        movement, kind, other = found
        by = f"the later import {other}" if other else f"stock movement {movement} ({kind})"
        raise RevertConflict(
            f"Stock this batch counted has moved since, by {by}.",
            details={"later_batch": str(other)} if other else {"stock_movement": movement},
        )


def _history_refers(cursor, batch: ImportBatch, table: str) -> None:
    """Sales history has no foreign keys (ADR 10): check by hand that none of another batch
    refers to a product or location this batch created."""
    column = "product_id" if table == Product._meta.db_table else "location_id"
    cursor.execute(
        sql.SQL(
            "SELECT h.import_batch FROM {h} h JOIN {t} x ON x.id = h.{c} "
            "WHERE x.import_batch = %s LIMIT 1"
        ).format(
            h=sql.Identifier(DemandHistory._meta.db_table),
            t=sql.Identifier(table),
            c=sql.Identifier(column),
        ),
        [batch.pk],
    )
    found = cursor.fetchone()
    if found:
        other = found[0]
        what = f"the import {other}" if other else "sales history entered otherwise"
        rows = "products" if column == "product_id" else "locations"
        raise RevertConflict(
            f"Sales history from {what} refers to {rows} this batch created.",
            details={"later_batch": str(other)} if other else {},
        )


def _restore(cursor, batch: ImportBatch, table: str) -> int:
    """Old values back on the rows the batch overwrote (only the columns it had logged)."""
    model = _model_for(table)
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    assignments = sql.SQL(", ").join(
        sql.SQL("{c} = CASE WHEN c.old ? {name} THEN o.{c} ELSE target.{c} END").format(
            c=sql.Identifier(column), name=sql.Literal(column)
        )
        for column in columns
    )
    cursor.execute(
        sql.SQL(
            "UPDATE {t} AS target SET {set} FROM {log} c "
            "CROSS JOIN LATERAL jsonb_populate_record(NULL::{t}, c.old) o "
            "WHERE c.batch_id = %s AND c.table_name = %s AND target.id = c.row_id"
        ).format(t=sql.Identifier(table), set=assignments, log=T_LOG),
        [batch.pk, table],
    )
    return cursor.rowcount


def _delete_inserted(cursor, batch: ImportBatch, table: str) -> int:
    cursor.execute(
        sql.SQL("DELETE FROM {} WHERE import_batch = %s").format(sql.Identifier(table)), [batch.pk]
    )
    return cursor.rowcount


def batch_revert(batch: ImportBatch) -> dict[str, Any]:
    """Undo ``batch`` (locked by the caller, inside its transaction). Returns, per table, the
    rows restored and deleted. Raises a ``Conflict`` (and the caller's transaction rolls
    back) when it cannot."""
    tables = revert_check(batch)
    counts: dict[str, Any] = {}
    with connection.cursor() as cursor:
        if DemandHistory._meta.db_table in tables:
            bulk.demand_history_lock(cursor)  # no sales import writes while we undo
        _later_batch(cursor, batch)
        if StockLevel._meta.db_table in tables:
            _stock_moved_since(cursor, batch)
        # Foreign keys are checked per statement here, so a row still in use is a clear 409
        # (the rest of the transaction rolls back) rather than an error at commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            with transaction.atomic():
                for table in tables:
                    restored = _restore(cursor, batch, table)
                    if table in (Product._meta.db_table, Location._meta.db_table):
                        _history_refers(cursor, batch, table)
                    deleted = _delete_inserted(cursor, batch, table)
                    counts[table] = {"restored": restored, "deleted": deleted}
        except IntegrityError as exc:
            cause = getattr(exc.__cause__, "diag", None)
            detail = getattr(cause, "message_detail", None) or str(exc).splitlines()[0]
            raise RevertConflict(
                f"Rows this batch created are still in use: {detail}",
                details={"reason": detail},
            ) from None
        finally:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return counts
