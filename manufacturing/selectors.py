"""Reads of manufacturing: BOMs (effective BOM of a variant, cost roll-up, the tree), working
orders, MRP runs and their planned orders, pegging and the work-centre load."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog.models import Location, Product
from core.selectors import get_or_not_found
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MrpException,
    MrpRun,
    Operation,
    Peg,
    PlannedOrder,
    WorkCentre,
    WorkingOrder,
)
from manufacturing.mrp.capacity import overloaded_days, work_centre_load

if TYPE_CHECKING:
    from accounts.models import User
    from inventory.supply import OpenSupply

MINUTES_PER_HOUR = Decimal("60")


def is_bom_valid_on(bom: BillOfMaterials, on: date) -> bool:
    return (bom.valid_from is None or bom.valid_from <= on) and (
        bom.valid_to is None or bom.valid_to >= on
    )


def effective_bom_for(*, product: Product, on: date | None = None) -> BillOfMaterials | None:
    """The active BOM valid on ``on`` of ``product``, else of its parent (a variant uses its
    parent's BOM when it has none of its own)."""
    on = on or timezone.localdate()
    for product_id in (product.pk, product.parent_id):
        if product_id is None:
            continue
        bom = (
            BillOfMaterials.objects.filter(product_id=product_id, is_active=True)
            .prefetch_related("lines")
            .first()
        )
        if bom is not None and is_bom_valid_on(bom, on):
            return bom
    return None


def bom_list(*, user: User | None = None) -> QuerySet[BillOfMaterials]:
    return BillOfMaterials.objects.select_related("product").prefetch_related(
        Prefetch("lines", queryset=BomLine.objects.select_related("component")),
        Prefetch("operations", queryset=Operation.objects.select_related("work_centre")),
    )


def access_bom(*, user: User, bom_id: Any) -> BillOfMaterials:
    return cast("BillOfMaterials", get_or_not_found(bom_list(user=user), "No such BOM.", pk=bom_id))


def work_centre_list(*, user: User | None = None) -> QuerySet[WorkCentre]:
    return WorkCentre.objects.all()


def working_order_list(*, user: User | None = None) -> QuerySet[WorkingOrder]:
    return WorkingOrder.objects.select_related("product", "location").prefetch_related(
        "components__component"
    )


def access_working_order(*, user: User, order_id: Any) -> WorkingOrder:
    return cast(
        "WorkingOrder",
        get_or_not_found(working_order_list(user=user), "No such working order.", pk=order_id),
    )


def mrp_run_list(*, user: User | None = None) -> QuerySet[MrpRun]:
    return MrpRun.objects.all()


def access_mrp_run(*, user: User, run_id: Any) -> MrpRun:
    return cast("MrpRun", get_or_not_found(mrp_run_list(user=user), "No such MRP run.", pk=run_id))


def latest_mrp_run() -> MrpRun | None:
    return (
        MrpRun.objects.filter(status=MrpRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def planned_order_list(*, run: MrpRun) -> QuerySet[PlannedOrder]:
    return PlannedOrder.objects.filter(run=run).select_related("product", "location")


def access_planned_order(*, run: MrpRun, order_id: Any) -> PlannedOrder:
    return cast(
        "PlannedOrder",
        get_or_not_found(planned_order_list(run=run), "No such planned order.", pk=order_id),
    )


def mrp_exception_list(*, run: MrpRun) -> QuerySet[MrpException]:
    return MrpException.objects.filter(run=run).select_related("product")


# --- Cost roll-up -------------------------------------------------------------------------------


def active_boms() -> dict[int, BillOfMaterials]:
    """Active BOMs by product id, lines, components and operations loaded (4 queries)."""
    boms = bom_list().filter(is_active=True)
    return {bom.product_id: bom for bom in boms}


def bom_cost_rollup(
    bom: BillOfMaterials, *, active: dict[int, BillOfMaterials] | None = None
) -> dict[str, Any]:
    """Cost of one unit of ``bom``'s product: material (each line's quantity in stock units ×
    (1 + scrap %) × the component's unit cost, or the component's own roll-up when it has an
    active BOM) plus operations ((setup minutes / lot + run minutes) × cost per hour / 60, the
    lot being the product's MOQ, at least 1). Money in the tenant's currency."""
    active = active_boms() if active is None else active
    memo: dict[int, Decimal] = {}

    def unit_cost(product: Product, depth: int = 0) -> Decimal:
        own = active.get(product.pk) or (
            active.get(product.parent_id) if product.parent_id else None
        )
        if own is None or depth > 50:
            return product.unit_cost
        if product.pk not in memo:
            memo[product.pk] = _rollup(own, product, depth)["total"]
        return memo[product.pk]

    def _rollup(b: BillOfMaterials, product: Product, depth: int) -> dict[str, Any]:
        lines = []
        material = Decimal("0")
        for line in b.lines.all():
            per_unit = line.quantity * line.factor * (1 + line.scrap_pct / Decimal("100"))
            cost = unit_cost(line.component, depth + 1)
            lines.append(
                {
                    "component": line.component.sku,
                    "quantity_per_unit": per_unit,
                    "unit_cost": cost.quantize(Decimal("0.0001")),
                    "cost": (per_unit * cost).quantize(Decimal("0.0001")),
                }
            )
            material += per_unit * cost
        lot = max(product.moq, Decimal("1"))
        operations = Decimal("0")
        for op in b.operations.all():
            minutes = op.setup_minutes / lot + op.run_minutes
            operations += minutes * op.work_centre.cost_per_hour / MINUTES_PER_HOUR
        q = Decimal("0.0001")
        return {
            "material": material.quantize(q),
            "operations": operations.quantize(q),
            "total": (material + operations).quantize(q),
            "lines": lines,
        }

    return _rollup(bom, bom.product, 0)


def bom_tree(*, product: Product, quantity: Decimal = Decimal("1")) -> list[dict[str, Any]]:
    """The indented BOM tree of ``product``: rows of (depth, sku, name, quantity for
    ``quantity`` units of the top, unit cost), depth first."""
    active = active_boms()
    rows: list[dict[str, Any]] = []

    def walk(item: Product, qty: Decimal, depth: int, seen: frozenset[int]) -> None:
        bom = active.get(item.pk) or (active.get(item.parent_id) if item.parent_id else None)
        cost = bom_cost_rollup(bom, active=active)["total"] if bom else item.unit_cost
        rows.append(
            {
                "depth": depth,
                "indent": "    " * depth,
                "product_id": item.pk,
                "sku": item.sku,
                "name": item.name,
                "quantity": qty.quantize(Decimal("0.001")),
                "unit_cost": cost,
                "cost": (qty * cost).quantize(Decimal("0.01")),
                "make": bom is not None,
            }
        )
        if bom is None or item.pk in seen:
            return
        for line in bom.lines.all():
            per = line.quantity * line.factor * (1 + line.scrap_pct / Decimal("100"))
            walk(line.component, qty * per, depth + 1, seen | {item.pk})

    walk(product, quantity, 0, frozenset())
    return rows


# --- Capacity -----------------------------------------------------------------------------------


def capacity_load(*, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Hours required per work centre per day from planned and released (and in-progress)
    working orders against capacity, over ``date_from``..``date_to``; ``overloaded`` flags
    the days where load exceeds capacity. An order's hours are spread over the working days
    from its start date (or due date − product lead time) to the day before its due date."""
    days = (date_to - date_from).days + 1
    if days <= 0:
        return []
    centres = list(WorkCentre.objects.order_by("code"))
    orders = list(
        WorkingOrder.objects.filter(
            status__in=[
                WorkingOrder.Status.PLANNED,
                WorkingOrder.Status.RELEASED,
                WorkingOrder.Status.IN_PROGRESS,
            ]
        ).values_list(
            "product_id",
            "product__parent_id",
            "quantity",
            "start_date",
            "due_date",
            "product__lead_time_days",
        )
    )
    ops = list(
        Operation.objects.filter(bom__is_active=True).values_list(
            "bom__product_id", "work_centre_id", "setup_minutes", "run_minutes"
        )
    )
    centre_index = {c.pk: i for i, c in enumerate(centres)}
    products_with_ops = {p for p, *_ in ops}
    item_of: dict[int, int] = {}
    for p, *_ in ops:
        item_of.setdefault(p, len(item_of))
    order_item, quantity, release, due = [], [], [], []
    for product_id, parent_id, qty, start, due_date, lead in orders:
        key = product_id if product_id in products_with_ops else parent_id
        if key not in item_of:
            continue
        start = start or (due_date - timedelta(days=int(lead)))
        order_item.append(item_of[key])
        quantity.append(float(qty))
        release.append((start - date_from).days)
        due.append((due_date - date_from).days)
    load = np.zeros((len(centres), days))
    if order_item and centres:
        # Orders wholly outside the window add nothing (the core clips to it otherwise).
        o_item, o_qty = np.array(order_item), np.array(quantity)
        o_rel, o_due = np.array(release), np.array(due)
        inside = (o_due >= 0) & (o_rel < days)
        load = work_centre_load(
            order_item=o_item[inside],
            order_quantity=o_qty[inside],
            order_release_day=o_rel[inside],
            order_due_day=o_due[inside],
            op_item=np.array([item_of[p] for p, *_ in ops], dtype=np.int64),
            op_work_centre=np.array([centre_index[w] for _, w, _, _ in ops], dtype=np.int64),
            op_setup_minutes=np.array([float(s) for *_, s, _ in ops]),
            op_run_minutes=np.array([float(r) for *_, r in ops]),
            n_work_centres=len(centres),
            horizon_days=days,
        )
    result = []
    for i, centre in enumerate(centres):
        working = set(centre.working_days)
        capacity = np.array(
            [
                float(centre.hours_per_day)
                if (date_from + timedelta(days=d)).weekday() in working
                else 0.0
                for d in range(days)
            ]
        )
        over_centre, over_day = overloaded_days(load[i : i + 1], capacity[None, :])
        over = set(over_day.tolist())
        del over_centre
        result.append(
            {
                "work_centre": centre.code,
                "work_centre_id": centre.pk,
                "days": [
                    {
                        "date": date_from + timedelta(days=d),
                        "load_hours": round(float(load[i, d]), 3),
                        "capacity_hours": capacity[d],
                        "overloaded": d in over,
                    }
                    for d in range(days)
                ],
            }
        )
    return result


def pegging_chain(*, order: PlannedOrder) -> dict[str, Any]:
    """Why is this order here? Every route from ``order`` up through parent planned orders to
    the finished-good demand (forecast or MPS row) it serves, with quantities."""
    paths: list[dict[str, Any]] = []
    orders: dict[int, PlannedOrder] = {order.pk: order}
    stack: list[tuple[list[int], float | None]] = [([order.pk], None)]
    pegs_of: dict[int, list[Peg]] = defaultdict(list)
    frontier = {order.pk}
    # Load level by level: one query for the pegs, one for the parent orders, per level.
    while frontier:
        pegs = list(Peg.objects.filter(planned_order_id__in=frontier).order_by("id"))
        for peg in pegs:
            pegs_of[peg.planned_order_id].append(peg)
        parents = {p.demand_ref for p in pegs if p.demand_kind == Peg.DemandKind.ORDER}
        new = parents - set(orders)
        orders.update(
            {o.pk: o for o in PlannedOrder.objects.filter(pk__in=new).select_related("product")}
        )
        frontier = new
    skus = dict(
        Product.objects.filter(
            pk__in={p.product_id for ps in pegs_of.values() for p in ps}
        ).values_list("id", "sku")
    )
    codes = dict(
        Location.objects.filter(
            pk__in={p.location_id for ps in pegs_of.values() for p in ps}
        ).values_list("id", "code")
    )

    def describe(o: PlannedOrder) -> dict[str, Any]:
        return {
            "planned_order_id": o.pk,
            "sku": o.product.sku,
            "kind": o.get_kind_display(),
            "quantity": o.quantity,
            "release_date": o.release_date,
            "due_date": o.due_date,
        }

    while stack:
        route, _ = stack.pop()
        current = route[-1]
        links = pegs_of.get(current, [])
        if not links:
            paths.append({"orders": [describe(orders[i]) for i in route], "demand": None})
            continue
        for peg in reversed(links):
            if peg.demand_kind == Peg.DemandKind.ORDER and peg.demand_ref in orders:
                if peg.demand_ref not in route:
                    stack.append(([*route, peg.demand_ref], peg.quantity))
                continue
            paths.append(
                {
                    "orders": [describe(orders[i]) for i in route],
                    "demand": {
                        "kind": peg.get_demand_kind_display(),
                        "label": peg_label(peg, skus, codes),
                        "sku": skus.get(peg.product_id),
                        "location": codes.get(peg.location_id),
                        "date": peg.demand_date,
                        "quantity": peg.quantity,
                    },
                }
            )
    return {"planned_order": describe(order), "paths": paths}


def peg_label(peg: Peg, skus: dict[int, str], codes: dict[int, str]) -> str:
    """The ``pegged_to`` token of one peg: ``forecast:SKU@LOC:YYYY-MM-DD``, ``mps:<row id>``
    or ``order:<parent planned order id>``."""
    if peg.demand_kind == Peg.DemandKind.FORECAST:
        sku, code = skus.get(peg.product_id), codes.get(peg.location_id)
        return f"forecast:{sku}@{code}:{peg.demand_date.isoformat()}"
    if peg.demand_kind == Peg.DemandKind.MPS:
        return f"mps:{peg.demand_ref}"
    return f"order:{peg.demand_ref}"


def open_working_order_supply() -> OpenSupply:
    """Released and in-progress working orders as ``inventory.supply.OpenSupply``: the
    finished quantity each will add at its location on its due date (release puts it in
    ``StockLevel.on_order``, completion or cancellation takes it out)."""
    from inventory.supply import OpenSupply

    rows = list(
        WorkingOrder.objects.filter(
            status__in=[WorkingOrder.Status.RELEASED, WorkingOrder.Status.IN_PROGRESS]
        ).values_list("product_id", "location_id", "due_date", "quantity")
    )
    return OpenSupply(
        product_id=np.array([r[0] for r in rows], dtype=np.int64),
        location_id=np.array([r[1] for r in rows], dtype=np.int64),
        due_date=np.array([r[2] for r in rows], dtype="datetime64[D]"),
        quantity=np.array([float(r[3]) for r in rows], dtype=np.float64),
    )


def planned_order_export_rows() -> Iterator[tuple[Any, ...]]:
    """Rows of ``export_data planned-orders`` for the latest successful MRP run:
    ``sku, location, kind, quantity, release_date, due_date, pegged_to`` ordered by SKU,
    location, due date. ``pegged_to`` joins the order's pegs with ``;`` (see ``peg_label``)."""
    from django.db import connection

    run = latest_mrp_run()
    if run is None:
        return iter(())
    po, peg = PlannedOrder._meta.db_table, Peg._meta.db_table
    product, location = Product._meta.db_table, Location._meta.db_table

    def rows() -> Iterator[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT p.sku, l.code, CASE o.kind WHEN 1 THEN 'make' ELSE 'buy' END,
                       trim_scale(round(o.quantity::numeric, 3)), o.release_date, o.due_date,
                       coalesce((SELECT string_agg(CASE g.demand_kind
                           WHEN 0 THEN 'forecast:' || dp.sku || '@' || dl.code || ':'
                                       || to_char(g.demand_date, 'YYYY-MM-DD')
                           WHEN 1 THEN 'mps:' || g.demand_ref
                           ELSE 'order:' || g.demand_ref END, ';' ORDER BY g.id)
                         FROM {peg} g LEFT JOIN {product} dp ON dp.id = g.product_id
                         LEFT JOIN {location} dl ON dl.id = g.location_id
                        WHERE g.planned_order_id = o.id), '')
                  FROM {po} o JOIN {product} p ON p.id = o.product_id
                  JOIN {location} l ON l.id = o.location_id
                 WHERE o.run_id = %s ORDER BY p.sku, l.code, o.due_date, o.id
                """,  # noqa: S608
                [run.pk],
            )
            while batch := cursor.fetchmany(5000):
                yield from batch

    return rows()
