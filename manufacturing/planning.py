"""The MRP run as a service: load one query per dataset into arrays, call the pure core
(``manufacturing.mrp.plan_mrp``), write planned orders and pegs by binary COPY.

Items are product × location pairs: a finished good's demand at a location is made (or bought)
there, and a made item's components are needed at the same location. The items of a run are
the pairs with independent demand and, through the active BOMs, all their components.

Inputs (conventions in ``manufacturing.mrp.plan`` and ADR 21):

- gross requirements: the latest successful forecast run's selected forecast per product ×
  location × day (``source=forecast``) or the MPS rows (``source=mps``), from today to the
  horizon;
- on hand: ``StockLevel.on_hand - reserved``; safety stock: ``InventoryMetrics.safety_stock``;
- open supply: open working orders on their due dates, firmed buy orders of earlier runs on
  their due dates, and ``StockLevel.on_order`` (open purchase orders) due today;
- lot rules and lead times: a bought item takes purchasing's terms (``purchasing_link``), a
  made item the product's ``lead_time_days``, ``moq`` and ``pack_size``.

A run replaces the unfirmed planned orders of earlier runs; firmed ones became working orders
(or sit in the purchasing cart) and count as open supply.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Location, Product, StockLevel
from core.audit import audit_status_change
from core.events import emit_event
from core.jobs import ProgressFn
from core.pgcopy import copy_from_query, copy_to_table
from forecasting.models import ForecastValue
from forecasting.selectors import latest_successful_run
from inventory.models import InventoryMetrics
from manufacturing import purchasing_link
from manufacturing.exceptions import MrpInputError
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MasterProductionSchedule,
    MrpException,
    MrpRun,
    Operation,
    Peg,
    PlannedOrder,
    WorkCentre,
    WorkingOrder,
    WorkingOrderComponent,
)
from manufacturing.mrp import CycleError, MrpInputs, find_cycle, plan_mrp
from manufacturing.mrp.capacity import overloaded_days, work_centre_load
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from purchasing.selectors import OPEN_STATUSES as PURCHASE_OPEN_STATUSES

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper
    from numpy.typing import NDArray

    from accounts.models import User
    from manufacturing.mrp import MrpResult

LOCATION_BITS = 24  # pair key = product_id << 24 | location_id
OPEN_STATUSES = (
    WorkingOrder.Status.PLANNED,
    WorkingOrder.Status.RELEASED,
    WorkingOrder.Status.IN_PROGRESS,
)


def _key(product: np.ndarray, location: np.ndarray) -> np.ndarray:
    return (np.asarray(product, np.int64) << LOCATION_BITS) | np.asarray(location, np.int64)


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``wanted`` in sorted ``keys`` and whether each is there."""
    if keys.size == 0:
        return np.zeros(wanted.size, np.int64), np.zeros(wanted.size, bool)
    at = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
    return at, keys[at] == wanted


def _days(dates: np.ndarray, today: date) -> np.ndarray:
    return (np.asarray(dates, "datetime64[D]") - np.datetime64(today, "D")).astype(np.int64)


def mrp_run_create(
    *, source: str = MrpRun.Source.FORECAST, horizon_days: int = 90, user: User | None = None
) -> MrpRun:
    if source not in MrpRun.Source.values:
        raise MrpInputError(f"Unknown source {source!r}.", details={"source": ["forecast, mps"]})
    if not 1 <= int(horizon_days) <= 730:
        raise MrpInputError("horizon must be 1..730 days.", details={"horizon": ["1..730"]})
    return MrpRun.objects.create(
        source=source,
        horizon_days=int(horizon_days),
        created_by=user if getattr(user, "pk", None) else None,
    )


def mrp_run_fail(*, run_id: int, error: str) -> None:
    failed = MrpRun.objects.filter(pk=run_id).update(
        status=MrpRun.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    if failed:
        started_by = MrpRun.objects.filter(pk=run_id).values_list("created_by_id", flat=True)
        audit_status_change(
            MrpRun, run_id, status=MrpRun.Status.FAILED, error=error, started_by=started_by[0]
        )


# --- Loading ------------------------------------------------------------------------------------


def _load_demand(
    cursor: CursorWrapper, run: MrpRun, today: date, end: date
) -> dict[str, np.ndarray]:
    """Independent demand records: product, location, date, quantity, kind (0 forecast,
    1 mps) and reference (the MPS row id; 0 for forecasts)."""
    columns = [("p", "int8"), ("l", "int8"), ("d", "date"), ("q", "float8"), ("r", "int8")]
    if run.source == MrpRun.Source.MPS:
        rows = copy_from_query(
            cursor,
            f"SELECT product_id, location_id, date, quantity::float8, id "  # noqa: S608
            f"FROM {MasterProductionSchedule._meta.db_table} "
            f"WHERE date >= %(today)s AND date < %(end)s AND quantity > 0",
            {"today": today, "end": end},
            columns,
        )
        kind = 1
    else:
        forecast_run = latest_successful_run()
        if forecast_run is None:
            raise MrpInputError("No successful forecast run: run a forecast or use --source mps.")
        rows = copy_from_query(
            cursor,
            f"SELECT product_id, location_id, date, forecast, 0::int8 "  # noqa: S608
            f"FROM {ForecastValue._meta.db_table} WHERE run_id = %(run)s AND selected "
            f"AND date >= %(today)s AND date < %(end)s AND forecast > 0",
            {"run": forecast_run.pk, "today": today, "end": end},
            columns,
        )
        kind = 0
    return {
        "product": rows["p"],
        "location": rows["l"],
        "day": _days(rows["d"].astype("timedelta64[D]") + np.datetime64("2000-01-01"), today),
        "quantity": rows["q"],
        "kind": np.full(rows.size, kind, np.int16),
        "ref": rows["r"],
    }


def _load_bom_edges(
    cursor: CursorWrapper, today: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the active BOMs valid today (parent product, component product, stock units
    per parent unit, scrap %); variants without a BOM of their own take their parent's."""
    bom, line = BillOfMaterials._meta.db_table, BomLine._meta.db_table
    product = Product._meta.db_table
    rows = copy_from_query(
        cursor,
        f"""
        WITH active AS (
            SELECT id, product_id FROM {bom} WHERE is_active
               AND (valid_from IS NULL OR valid_from <= %(today)s)
               AND (valid_to IS NULL OR valid_to >= %(today)s)),
        owner AS (
            SELECT product_id AS item, id AS bom_id FROM active
            UNION ALL
            SELECT v.id, a.id FROM {product} v JOIN active a ON a.product_id = v.parent_id
             WHERE NOT EXISTS (SELECT 1 FROM active own WHERE own.product_id = v.id))
        SELECT o.item, l.component_id, (l.quantity * l.factor)::float8, l.scrap_pct::float8
          FROM owner o JOIN {line} l ON l.bom_id = o.bom_id
        """,  # noqa: S608
        {"today": today},
        [("p", "int8"), ("c", "int8"), ("q", "float8"), ("s", "float8")],
    )
    return rows["p"], rows["c"], rows["q"], rows["s"]


def _item_closure(demand_keys: np.ndarray, parent: np.ndarray, component: np.ndarray) -> np.ndarray:
    """Sorted pair keys: the demand pairs and, through the BOM edges, every component pair
    at the same location."""
    items = np.unique(demand_keys)
    order = np.argsort(parent, kind="stable")
    parent_sorted, component_sorted = parent[order], component[order]
    frontier = items
    for _ in range(64):  # deeper than any real BOM; a cycle is caught by the core
        if frontier.size == 0:
            break
        product = frontier >> LOCATION_BITS
        location = frontier & ((1 << LOCATION_BITS) - 1)
        lo = np.searchsorted(parent_sorted, product, "left")
        hi = np.searchsorted(parent_sorted, product, "right")
        count = hi - lo
        if count.sum() == 0:
            break
        row = np.repeat(np.arange(frontier.size), count)
        within = np.arange(row.size) - np.repeat(np.cumsum(count) - count, count)
        new = _key(component_sorted[lo[row] + within], location[row])
        new = np.unique(new)
        new = new[~np.isin(new, items)]
        items = np.union1d(items, new)
        frontier = new
    return items


def _per_product(cursor: CursorWrapper, product_ids: np.ndarray) -> dict[str, np.ndarray]:
    rows = copy_from_query(
        cursor,
        f"SELECT id, lead_time_days::int4, moq::float8, pack_size::float8, "  # noqa: S608
        f"(product_type IN ('finished', 'both')) FROM {Product._meta.db_table} "
        f"WHERE id = ANY(%(ids)s) ORDER BY id",
        {"ids": product_ids.tolist()},
        [("id", "int8"), ("lead", "int4"), ("moq", "float8"), ("pack", "float8"), ("fin", "bool")],
    )
    return {name: rows[name] for name in rows.dtype.names or ()}


def _per_pair(
    cursor: CursorWrapper, sql_text: str, items: np.ndarray, columns: list[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """Values per item from a query returning (product_id, location_id, values …)."""
    products = np.unique(items >> LOCATION_BITS)
    rows = copy_from_query(
        cursor, sql_text, {"ids": products.tolist()}, [("p", "int8"), ("l", "int8"), *columns]
    )
    at, found = _lookup(items, _key(rows["p"], rows["l"]))
    out = {}
    for name, _ in columns:
        values = np.zeros(items.size)
        np.add.at(values, at[found], rows[name][found].astype(float))
        out[name] = values
    return out


def _open_supply(cursor: CursorWrapper, items: np.ndarray, today: date) -> tuple[np.ndarray, ...]:
    """(item index, day, quantity) of open supply: open working orders on their due dates,
    firmed buy orders of earlier runs, open purchase order lines on their confirmed (else
    expected) dates, and what is on order beyond those (e.g. loaded with the stock), due today.
    Supply dated before today counts today."""
    wo, po = WorkingOrder._meta.db_table, PlannedOrder._meta.db_table
    lines, orders = PurchaseOrderLine._meta.db_table, PurchaseOrder._meta.db_table
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    open_po = ", ".join(f"'{s}'" for s in PURCHASE_OPEN_STATUSES)
    rows = copy_from_query(
        cursor,
        f"""
        WITH po_open AS (
            SELECT l.product_id, l.location_id,
                   coalesce(l.confirmed_date, l.expected_date, %(today)s::date) AS due,
                   (l.quantity - l.received_quantity)::float8 AS quantity
              FROM {lines} l JOIN {orders} o ON o.id = l.order_id
             WHERE o.status IN ({open_po}) AND l.quantity > l.received_quantity
        )
        SELECT product_id, location_id, due_date, quantity::float8 FROM {wo}
         WHERE status IN ({statuses})
        UNION ALL
        SELECT product_id, location_id, due_date, quantity FROM {po}
         WHERE firmed AND kind = 0 AND due_date >= %(today)s
        UNION ALL
        SELECT product_id, location_id, due, quantity FROM po_open
        UNION ALL
        SELECT s.product_id, s.location_id, %(today)s::date,
               (s.on_order - coalesce(w.quantity, 0) - coalesce(p.quantity, 0))::float8
          FROM {StockLevel._meta.db_table} s LEFT JOIN (
               SELECT product_id, location_id, sum(quantity) AS quantity FROM {wo}
                WHERE status IN ('released', 'in_progress') GROUP BY 1, 2) w
            ON w.product_id = s.product_id AND w.location_id = s.location_id
          LEFT JOIN (
               SELECT product_id, location_id, sum(quantity) AS quantity FROM po_open
                GROUP BY 1, 2) p
            ON p.product_id = s.product_id AND p.location_id = s.location_id
         WHERE s.on_order - coalesce(w.quantity, 0) - coalesce(p.quantity, 0) > 0
        """,  # noqa: S608
        {"today": today},
        [("p", "int8"), ("l", "int8"), ("d", "date"), ("q", "float8")],
    )
    at, found = _lookup(items, _key(rows["p"], rows["l"]))
    days = _days(rows["d"].astype("timedelta64[D]") + np.datetime64("2000-01-01"), today)
    return at[found], days[found], rows["q"][found]


# --- The run ------------------------------------------------------------------------------------


def mrp_run_execute(
    *, run_id: int, progress: ProgressFn | None = None, today: date | None = None
) -> MrpRun:
    """Plan every item over the run's horizon and store planned orders, pegs and exceptions.
    See the module docstring for the inputs. Returns the run (succeeded); raises
    MrpInputError (no forecast run) and CycleError-based MrpInputError (a cyclic BOM)."""
    report: ProgressFn = progress or (lambda percent, message: None)
    started = time.perf_counter()
    run = MrpRun.objects.get(pk=run_id)
    today = today or timezone.localdate()
    horizon = int(run.horizon_days)
    end = today + timedelta(days=horizon)
    MrpRun.objects.filter(pk=run_id).update(
        status=MrpRun.Status.RUNNING, started_at=timezone.now(), plan_date=today
    )
    report(5, "loading")
    with connection.cursor() as cursor:
        demand = _load_demand(cursor, run, today, end)
        parent, component, qty_per, scrap = _load_bom_edges(cursor, today)
        demand_keys = _key(demand["product"], demand["location"])
        items = _item_closure(demand_keys, parent, component)
        n = items.size
        item_product = items >> LOCATION_BITS
        item_location = items & ((1 << LOCATION_BITS) - 1)
        products = np.unique(item_product)
        facts = _per_product(cursor, products)
        pidx = np.searchsorted(facts["id"], item_product)
        has_bom = np.isin(item_product, parent)
        stock = _per_pair(
            cursor,
            f"SELECT product_id, location_id, (on_hand - reserved)::float8 "  # noqa: S608
            f"FROM {StockLevel._meta.db_table} WHERE product_id = ANY(%(ids)s)",
            items,
            [("net", "float8")],
        )
        safety = _per_pair(
            cursor,
            f"SELECT product_id, location_id, coalesce(safety_stock, 0)::float8 "  # noqa: S608
            f"FROM {InventoryMetrics._meta.db_table} WHERE product_id = ANY(%(ids)s)",
            items,
            [("ss", "float8")],
        )
        supply_item, supply_day, supply_qty = _open_supply(cursor, items, today)

    lead = facts["lead"][pidx].astype(np.int64)
    moq = facts["moq"][pidx].copy()
    pack = facts["pack"][pidx].copy()
    bought_products = np.unique(item_product[~has_bom])
    terms = purchasing_link.buy_terms(bought_products.tolist())
    no_supplier_products = np.array(
        sorted(p for p, t in terms.items() if t.supplier_code is None), dtype=np.int64
    )
    if terms:
        t_ids = np.array(sorted(terms), dtype=np.int64)
        t_lead = np.array([terms[p].lead_time_days for p in t_ids], dtype=np.int64)
        t_moq = np.array([terms[p].moq for p in t_ids])
        t_pack = np.array([terms[p].pack_size for p in t_ids])
        at, found = _lookup(t_ids, item_product)
        buy = found & ~has_bom
        lead[buy], moq[buy], pack[buy] = t_lead[at[buy]], t_moq[at[buy]], t_pack[at[buy]]

    # BOM edges per item: each item whose product has lines gets them at its own location.
    order = np.argsort(parent, kind="stable")
    p_sorted = parent[order]
    lo = np.searchsorted(p_sorted, item_product, "left")
    count = np.searchsorted(p_sorted, item_product, "right") - lo
    edge_item = np.repeat(np.arange(n), count)
    within = np.arange(edge_item.size) - np.repeat(np.cumsum(count) - count, count)
    edge = order[lo[edge_item] + within]
    edge_component, _ = _lookup(items, _key(component[edge], item_location[edge_item]))

    demand_item, _ = _lookup(items, demand_keys)
    inputs = MrpInputs(
        horizon_days=horizon,
        on_hand=stock["net"],
        safety_stock=safety["ss"],
        lead_time_days=lead,
        moq=moq,
        pack_size=pack,
        has_bom=has_bom,
        bom_parent=edge_item,
        bom_component=edge_component,
        bom_qty_per=qty_per[edge],
        bom_scrap_pct=scrap[edge],
        demand_item=demand_item,
        demand_day=demand["day"],
        demand_qty=demand["quantity"],
        demand_id=np.arange(demand_item.size),
        supply_item=supply_item,
        supply_day=supply_day,
        supply_qty=supply_qty,
    )
    report(30, "planning")
    core_started = time.perf_counter()
    try:
        result = plan_mrp(inputs)
    except CycleError:
        skus = dict(Product.objects.filter(pk__in=products.tolist()).values_list("id", "sku"))
        codes = dict(Location.objects.values_list("id", "code"))
        labels = [
            f"{skus[p]}@{codes[loc]}" for p, loc in zip(item_product, item_location, strict=True)
        ]
        cycle = find_cycle(edge_item, edge_component, labels) or []
        raise MrpInputError(
            "The BOM has a cycle: " + " → ".join(cycle), details={"cycle": cycle}
        ) from None
    core_seconds = time.perf_counter() - core_started
    steps = {"load": round(core_started - started, 3), "core": round(core_seconds, 3)}
    report(60, "writing")

    with transaction.atomic():
        counts = _write(
            run=run,
            today=today,
            result=result,
            item_product=item_product,
            item_location=item_location,
            product_finished=facts["fin"][pidx].astype(bool),
            no_supplier_products=no_supplier_products,
            demand=demand,
            horizon=horizon,
        )
        steps["write"] = round(time.perf_counter() - started - sum(steps.values()), 3)
        counts["core_seconds"] = round(core_seconds, 3)
        counts["step_seconds"] = steps
        counts["items"] = int(n)
        counts["seconds"] = round(time.perf_counter() - started, 3)
        handed = _hand_over(run, result, item_product, item_location, today)
        counts["buy_orders_handed_to_purchasing"] = handed
        MrpRun.objects.filter(pk=run.pk).update(
            status=MrpRun.Status.SUCCEEDED, finished_at=timezone.now(), summary=counts, error=""
        )
        audit_status_change(
            MrpRun,
            run.pk,
            status=MrpRun.Status.SUCCEEDED,
            previous=MrpRun.Status.RUNNING,
            started_by=run.created_by_id,
        )
        emit_event("mrp_run.completed", {"mrp_run_id": run.pk, **counts}, actor=run.created_by_id)
    report(100, "done")
    run.refresh_from_db()
    return run


def _hand_over(
    run: MrpRun,
    result: MrpResult,
    item_product: NDArray[np.int64],
    item_location: NDArray[np.int64],
    today: date,
) -> int:
    """All buy orders of the run go to purchasing's cart (one COPY)."""
    buy = np.flatnonzero(result.order_kind == 0)
    item = result.order_item[buy]
    day0 = np.datetime64(today, "D")
    return purchasing_link.hand_over_buy_arrays(
        run_id=run.pk,
        product_id=item_product[item],
        location_id=item_location[item],
        quantity=result.order_quantity[buy],
        needed_by=day0 + result.order_due_day[buy].astype("timedelta64[D]"),
        release_date=day0 + result.order_release_day[buy].astype("timedelta64[D]"),
    )


def _reserve_ids(cursor: CursorWrapper, table: str, count: int) -> int:
    """First of ``count`` consecutive ids taken from ``table``'s id sequence (runs of one
    tenant are serialised by an advisory lock, so nothing else takes ids meanwhile)."""
    if count == 0:
        return 0
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
        "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        [table, table, count],
    )
    return int(cursor.fetchone()[0]) - count + 1


def _write(
    *,
    run: MrpRun,
    today: date,
    result: MrpResult,
    item_product: NDArray[np.int64],
    item_location: NDArray[np.int64],
    product_finished: NDArray[np.bool_],
    no_supplier_products: NDArray[np.int64],
    demand: dict[str, np.ndarray],
    horizon: int,
) -> dict[str, Any]:
    po_table, peg_table = PlannedOrder._meta.db_table, Peg._meta.db_table
    base = np.datetime64(today, "D")
    n_orders = result.order_item.size
    o_product = item_product[result.order_item]
    o_location = item_location[result.order_item]
    flags = np.zeros(n_orders, np.int16)
    flags[result.late] |= PlannedOrder.LATE
    buy = result.order_kind == 0
    flags[buy & np.isin(o_product, no_supplier_products)] |= PlannedOrder.NO_SUPPLIER
    flags[buy & product_finished[result.order_item]] |= PlannedOrder.NO_BOM
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.mrp'))")
        # A run can always be repeated: its commit need not wait for the WAL flush (no risk of
        # corruption, only of losing the last run if the server crashes in that instant).
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Re-run: unfirmed planned orders of earlier runs are replaced by this run's.
        cursor.execute(
            f"DELETE FROM {peg_table} WHERE run_id <> %s AND planned_order_id IN "  # noqa: S608
            f"(SELECT id FROM {po_table} WHERE NOT firmed)",
            [run.pk],
        )
        cursor.execute(
            f"DELETE FROM {po_table} WHERE run_id <> %s AND NOT firmed",  # noqa: S608
            [run.pk],
        )
        first_id = _reserve_ids(cursor, po_table, n_orders)
        order_ids = np.arange(first_id, first_id + n_orders, dtype=np.int64)
        copy_to_table(
            cursor,
            po_table,
            {
                "id": ("int8", order_ids),
                "run_id": ("int8", np.full(n_orders, run.pk, np.int64)),
                "product_id": ("int8", o_product),
                "location_id": ("int8", o_location),
                "kind": ("int2", result.order_kind.astype(np.int16)),
                "quantity": ("float8", result.order_quantity.astype(float)),
                "release_date": ("date", base + result.order_release_day),
                "due_date": ("date", base + result.order_due_day),
                "low_level_code": (
                    "int2",
                    result.low_level_code[result.order_item].astype(np.int16),
                ),
                "exception_flags": ("int2", flags),
                "firmed": ("bool", np.zeros(n_orders, np.uint8)),
            },
        )
        n_pegs = result.peg_order.size
        independent = result.peg_demand_kind == 0
        ref = result.peg_demand_ref
        d_ref = np.where(independent, ref, 0)
        parent_order = np.where(independent, 0, ref)
        parent_item = result.order_item[parent_order]
        peg_kind = np.where(independent, demand["kind"][d_ref], 2).astype(np.int16)
        peg_ref = np.where(
            independent,
            demand["ref"][d_ref] if demand["ref"].size else 0,
            order_ids[parent_order] if n_orders else 0,
        )
        peg_product = np.where(
            independent,
            demand["product"][d_ref] if demand["product"].size else 0,
            item_product[parent_item],
        )
        peg_location = np.where(
            independent,
            demand["location"][d_ref] if demand["location"].size else 0,
            item_location[parent_item],
        )
        peg_day = np.where(
            independent,
            np.maximum(demand["day"][d_ref], 0) if demand["day"].size else 0,
            np.maximum(result.order_release_day[parent_order], 0),
        )
        first_peg = _reserve_ids(cursor, peg_table, n_pegs)
        if n_pegs:
            copy_to_table(
                cursor,
                peg_table,
                {
                    "id": ("int8", np.arange(first_peg, first_peg + n_pegs, dtype=np.int64)),
                    "run_id": ("int8", np.full(n_pegs, run.pk, np.int64)),
                    "planned_order_id": ("int8", order_ids[result.peg_order]),
                    "demand_kind": ("int2", peg_kind),
                    "demand_ref": ("int8", peg_ref.astype(np.int64)),
                    "product_id": ("int8", peg_product.astype(np.int64)),
                    "location_id": ("int8", peg_location.astype(np.int64)),
                    "demand_date": ("date", base + peg_day),
                    "quantity": ("float8", result.peg_quantity.astype(float)),
                },
            )
        exceptions = _write_exceptions(cursor, run, today, horizon, result, order_ids, item_product)
    kinds = np.bincount(result.order_kind.astype(np.int64), minlength=2)
    return {
        "planned_orders": int(n_orders),
        "buy_orders": int(kinds[0]),
        "make_orders": int(kinds[1]),
        "pegs": int(result.peg_order.size),
        "exceptions": exceptions,
        "source": run.source,
        "horizon_days": horizon,
        "plan_date": today.isoformat(),
    }


def _write_exceptions(
    cursor: CursorWrapper,
    run: MrpRun,
    today: date,
    horizon: int,
    result: MrpResult,
    order_ids: NDArray[np.int64],
    item_product: NDArray[np.int64],
) -> dict[str, int]:
    po, exc = PlannedOrder._meta.db_table, MrpException._meta.db_table
    product = Product._meta.db_table
    cols = "run_id, kind, product_id, location_id, planned_order_id, date, message"
    for flag, kind, message in (
        (PlannedOrder.LATE, "late", "'release date ' || po.release_date || ' is in the past'"),
        (PlannedOrder.NO_SUPPLIER, "no_supplier", "p.sku || ' is bought but has no supplier'"),
        (
            PlannedOrder.NO_BOM,
            "no_bom",
            "p.sku || ' is a ' || p.product_type || ' product without an active BOM'",
        ),
    ):
        cursor.execute(
            f"INSERT INTO {exc} ({cols}) SELECT %(run)s, %(kind)s, po.product_id, "  # noqa: S608
            f"po.location_id, po.id, po.release_date, left({message}, 500) FROM {po} po "
            f"JOIN {product} p ON p.id = po.product_id "
            f"WHERE po.run_id = %(run)s AND po.exception_flags & %(flag)s <> 0",
            {"run": run.pk, "kind": kind, "flag": flag},
        )
    # Released working orders whose components the location does not hold.
    wo, woc = WorkingOrder._meta.db_table, WorkingOrderComponent._meta.db_table
    level = StockLevel._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {exc} (run_id, kind, product_id, location_id, working_order_id, date, message)
        SELECT %(run)s, 'component_short', c.component_id, o.location_id, o.id, o.due_date,
               left(o.reference || ' needs ' || trim_scale(c.required_quantity
               - c.consumed_quantity) || ' of ' || p.sku || ', ' || trim_scale(coalesce(
               s.on_hand, 0)) || ' on hand', 500)
          FROM {woc} c JOIN {wo} o ON o.id = c.order_id JOIN {product} p ON p.id = c.component_id
          LEFT JOIN {level} s ON s.product_id = c.component_id AND s.location_id = o.location_id
         WHERE o.status IN ('released', 'in_progress')
           AND coalesce(s.on_hand, 0) < c.required_quantity - c.consumed_quantity
        """,  # noqa: S608
        {"run": run.pk},
    )
    _write_overloads(run, today, horizon, result, item_product)
    cursor.execute(
        f"SELECT kind, count(*) FROM {exc} WHERE run_id = %s GROUP BY kind",  # noqa: S608
        [run.pk],
    )
    return dict(cursor.fetchall())


def _write_overloads(
    run: MrpRun, today: date, horizon: int, result: MrpResult, item_product: NDArray[np.int64]
) -> None:
    """Overloaded work-centre days from this run's make orders and the open working orders."""
    centres = list(WorkCentre.objects.order_by("id"))
    ops = list(
        Operation.objects.filter(bom__is_active=True).values_list(
            "bom__product_id", "work_centre_id", "setup_minutes", "run_minutes"
        )
    )
    if not centres or not ops:
        return
    make = np.flatnonzero(result.order_kind == 1)
    o_product = item_product[result.order_item[make]]
    o_qty = result.order_quantity[make]
    o_rel = result.order_release_day[make]
    o_due = result.order_due_day[make]
    open_orders = list(
        WorkingOrder.objects.filter(status__in=OPEN_STATUSES).values_list(
            "product_id", "quantity", "start_date", "due_date", "product__lead_time_days"
        )
    )
    if open_orders:
        w_product = np.array([o[0] for o in open_orders], np.int64)
        w_qty = np.array([float(o[1]) for o in open_orders])
        w_due = np.array([(o[3] - today).days for o in open_orders], np.int64)
        w_rel = np.array(
            [((o[2] or (o[3] - timedelta(days=o[4]))) - today).days for o in open_orders],
            np.int64,
        )
        o_product = np.concatenate((o_product, w_product))
        o_qty = np.concatenate((o_qty, w_qty))
        o_rel = np.concatenate((o_rel, w_rel))
        o_due = np.concatenate((o_due, w_due))
    op_products = np.unique(np.array([p for p, *_ in ops], np.int64))
    keep = np.isin(o_product, op_products) & (o_due >= 0) & (o_rel < horizon)
    centre_index = {c.pk: i for i, c in enumerate(centres)}
    load = work_centre_load(
        order_item=np.searchsorted(op_products, o_product[keep]),
        order_quantity=o_qty[keep],
        order_release_day=o_rel[keep],
        order_due_day=o_due[keep],
        op_item=np.searchsorted(op_products, np.array([p for p, *_ in ops], np.int64)),
        op_work_centre=np.array([centre_index[w] for _, w, _, _ in ops], np.int64),
        op_setup_minutes=np.array([float(s) for *_, s, _ in ops]),
        op_run_minutes=np.array([float(r) for *_, r in ops]),
        n_work_centres=len(centres),
        horizon_days=horizon,
    )
    weekday = (np.arange(horizon) + today.weekday()) % 7
    capacity = np.array(
        [np.where(np.isin(weekday, c.working_days), float(c.hours_per_day), 0.0) for c in centres]
    )
    centre, day = overloaded_days(load, capacity)
    MrpException.objects.bulk_create(
        [
            MrpException(
                run=run,
                kind=MrpException.Kind.OVERLOADED,
                work_centre_id=centres[c].pk,
                date=today + timedelta(days=int(d)),
                message=(
                    f"{centres[c].code} needs {load[c, d]:.1f} h on "
                    f"{today + timedelta(days=int(d))}, capacity {capacity[c, d]:.1f} h"
                ),
            )
            for c, d in zip(centre.tolist(), day.tolist(), strict=True)
        ]
    )
