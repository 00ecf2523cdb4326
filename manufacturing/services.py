"""Every write of manufacturing: BOMs (cycle-checked), work centres and operations, the MPS,
working orders and their life cycle. The MRP run is in ``manufacturing.planning``.

Stock moves only through ``catalog.services`` (``stock_change`` for consumption and output,
``stock_reserve`` for reservations), which lock stock levels in one fixed order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, ProductUnit
from catalog.services import (
    ReservationChange,
    StockChange,
    stock_change,
    stock_levels_lock,
    stock_reserve,
)
from core.events import emit_event
from core.exceptions import ValidationFailed
from manufacturing import purchasing_link
from manufacturing.exceptions import BomCycle, IllegalTransition
from manufacturing.models import (
    BillOfMaterials,
    BomLine,
    MasterProductionSchedule,
    Operation,
    WorkCentre,
    WorkingOrder,
    WorkingOrderComponent,
)
from manufacturing.mrp.bom import find_cycle
from manufacturing.selectors import effective_bom_for, is_bom_valid_on

if TYPE_CHECKING:
    from accounts.models import User
    from manufacturing.models import PlannedOrder

QTY = Decimal("0.001")
ZERO = Decimal("0")
ONE = Decimal("1")


@dataclass(frozen=True)
class BomLineInput:
    component_id: int
    quantity: Decimal
    scrap_pct: Decimal = Decimal("0")
    uom: str = ""


@dataclass(frozen=True)
class OperationInput:
    sequence: int
    work_centre_id: int
    run_minutes: Decimal
    setup_minutes: Decimal = Decimal("0")


# --- BOMs ---------------------------------------------------------------------------------------


def bom_cycle_path(*, product_id: int, component_ids: list[int]) -> list[str] | None:
    """The cycle (SKUs, first repeated last) that the active BOM graph would contain if
    ``product_id``'s active BOM had exactly ``component_ids``; None when it stays acyclic."""
    edges = [
        (parent, component)
        for parent, component in BomLine.objects.filter(bom__is_active=True)
        .exclude(bom__product_id=product_id)
        .values_list("bom__product_id", "component_id")
    ]
    edges += [(product_id, component) for component in component_ids]
    if not edges:
        return None
    ids = sorted({p for p, _ in edges} | {c for _, c in edges})
    index = {pk: i for i, pk in enumerate(ids)}
    skus = dict(Product.objects.filter(pk__in=ids).values_list("id", "sku"))
    parent = np.array([index[p] for p, _ in edges], dtype=np.int64)
    component = np.array([index[c] for _, c in edges], dtype=np.int64)
    return find_cycle(parent, component, [skus.get(pk, str(pk)) for pk in ids])


def _check_no_cycle(product_id: int, component_ids: list[int]) -> None:
    cycle = bom_cycle_path(product_id=product_id, component_ids=component_ids)
    if cycle:
        path = " → ".join(cycle)
        raise BomCycle(f"The BOM would make a cycle: {path}.", details={"cycle": cycle})


def unit_factor(*, component: Product, uom: str) -> Decimal:
    """Stock units in one ``uom`` of ``component`` (1 for its stock unit or an empty uom)."""
    if not uom or uom == component.uom:
        return ONE
    unit = ProductUnit.objects.filter(product=component, name=uom).first()
    if unit is None:
        raise ValidationFailed(
            f"{component.sku} has no unit {uom!r}; define it on the product first.",
            details={"uom": [f"unknown unit of {component.sku}"]},
        )
    return unit.factor


def bom_save(
    *,
    product: Product,
    lines: list[BomLineInput],
    version: int = 1,
    is_active: bool = True,
    valid_from: date | None = None,
    valid_to: date | None = None,
    operations: list[OperationInput] | None = None,
) -> BillOfMaterials:
    """Create or replace version ``version`` of ``product``'s BOM with ``lines`` (and
    ``operations`` when given). Activating it deactivates the product's other versions.
    Refused (BomCycle, 400) when the active BOMs would form a cycle, naming it
    ``A → B → C → A``; a component twice or the product itself is refused too."""
    component_ids = [line.component_id for line in lines]
    if len(set(component_ids)) != len(component_ids):
        raise ValidationFailed("A component appears twice in the BOM.")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed("valid_to is before valid_from.")
    with transaction.atomic():
        Product.objects.select_for_update().filter(pk=product.pk).first()
        if is_active:
            _check_no_cycle(product.pk, component_ids)
        components = Product.objects.in_bulk(component_ids)
        if len(components) != len(set(component_ids)):
            raise ValidationFailed("Unknown component.")
        if is_active:
            BillOfMaterials.objects.filter(product=product, is_active=True).exclude(
                version=version
            ).update(is_active=False)
        bom, _ = BillOfMaterials.objects.update_or_create(
            product=product,
            version=version,
            defaults={"is_active": is_active, "valid_from": valid_from, "valid_to": valid_to},
        )
        bom.lines.all().delete()
        BomLine.objects.bulk_create(
            [
                BomLine(
                    bom=bom,
                    component_id=line.component_id,
                    quantity=line.quantity,
                    scrap_pct=line.scrap_pct,
                    uom=line.uom,
                    factor=unit_factor(component=components[line.component_id], uom=line.uom),
                )
                for line in lines
            ]
        )
        if operations is not None:
            operations_replace(bom=bom, operations=operations)
    return bom


def bom_delete(*, bom: BillOfMaterials) -> None:
    bom.delete()


def operations_replace(*, bom: BillOfMaterials, operations: list[OperationInput]) -> None:
    with transaction.atomic():
        bom.operations.all().delete()
        Operation.objects.bulk_create(
            [
                Operation(
                    bom=bom,
                    sequence=op.sequence,
                    work_centre_id=op.work_centre_id,
                    run_minutes=op.run_minutes,
                    setup_minutes=op.setup_minutes,
                )
                for op in operations
            ]
        )


def work_centre_save(*, code: str, **fields: Any) -> WorkCentre:
    centre, _ = WorkCentre.objects.update_or_create(code=code, defaults=fields)
    return centre


def mps_set(
    *, product_id: int, location_id: int, on: date, quantity: Decimal
) -> MasterProductionSchedule:
    row, _ = MasterProductionSchedule.objects.update_or_create(
        product_id=product_id, location_id=location_id, date=on, defaults={"quantity": quantity}
    )
    return row


# --- Working orders -----------------------------------------------------------------------------

TRANSITIONS: dict[str, tuple[str, ...]] = {
    WorkingOrder.Status.PLANNED: (WorkingOrder.Status.RELEASED, WorkingOrder.Status.CANCELLED),
    WorkingOrder.Status.RELEASED: (WorkingOrder.Status.IN_PROGRESS, WorkingOrder.Status.CANCELLED),
    WorkingOrder.Status.IN_PROGRESS: (WorkingOrder.Status.DONE, WorkingOrder.Status.CANCELLED),
    WorkingOrder.Status.DONE: (),
    WorkingOrder.Status.CANCELLED: (),
}


def _q(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(QTY, rounding=ROUND_HALF_UP)


def working_order_create(
    *,
    product: Product,
    location_id: int,
    quantity: Decimal,
    due_date: date,
    start_date: date | None = None,
    subcontract_supplier_code: str = "",
    mrp_run_id: int | None = None,
    firmed: bool = False,
    reference: str | None = None,
) -> WorkingOrder:
    """A planned working order with its component needs from the product's effective active
    BOM (its own, else its parent's): ``quantity × qty per × factor × (1 + scrap % / 100)``."""
    bom = effective_bom_for(product=product, on=due_date)
    if bom is None:
        raise ValidationFailed(
            f"{product.sku} has no active BOM: it cannot be made.",
            details={"product": ["no active BOM"]},
        )
    quantity = _q(quantity)
    if subcontract_supplier_code and not purchasing_link.is_subcontractor(
        subcontract_supplier_code
    ):
        raise ValidationFailed(
            f"{subcontract_supplier_code} is not a supplier of kind subcontract.",
            details={"subcontract_supplier_code": ["not a subcontract supplier"]},
        )
    with transaction.atomic():
        order = WorkingOrder.objects.create(
            reference=reference or f"WO-{uuid.uuid4().hex[:10].upper()}",
            product=product,
            location_id=location_id,
            quantity=quantity,
            due_date=due_date,
            start_date=start_date,
            subcontract_supplier_code=subcontract_supplier_code,
            mrp_run_id=mrp_run_id,
            firmed=firmed,
        )
        WorkingOrderComponent.objects.bulk_create(
            [
                WorkingOrderComponent(
                    order=order,
                    component_id=line.component_id,
                    required_quantity=_q(
                        quantity
                        * line.quantity
                        * line.factor
                        * (1 + line.scrap_pct / Decimal("100"))
                    ),
                )
                for line in bom.lines.all()
            ]
        )
    return order


def _locked(order_id: int) -> WorkingOrder:
    return WorkingOrder.objects.select_for_update().get(pk=order_id)


def _check_transition(order: WorkingOrder, target: str) -> None:
    allowed = TRANSITIONS[order.status]
    if target not in allowed:
        raise IllegalTransition(
            f"A {order.status} working order cannot become {target}.",
            details={"status": order.status, "allowed": list(allowed)},
        )


def working_order_release(*, order_id: int, override: bool = False) -> WorkingOrder:
    """planned → released: reserve the components at the order's location. Reserving more
    than is available (on hand less reserved) is refused (409) unless ``override``."""
    with transaction.atomic():
        order = _locked(order_id)
        _check_transition(order, WorkingOrder.Status.RELEASED)
        components = list(order.components.all())
        # Components reserved; the output is on order at the location until done/cancelled
        # (the inventory refresh reads it in the position, ``open_working_order_supply``).
        stock_reserve(
            changes=[
                ReservationChange(c.component_id, order.location_id, c.required_quantity)
                for c in components
                if c.required_quantity > 0
            ]
            + [ReservationChange(order.product_id, order.location_id, ZERO, order.quantity)],
            allow_over=override,
        )
        for c in components:
            c.reserved_quantity = c.required_quantity
        WorkingOrderComponent.objects.bulk_update(components, ["reserved_quantity"])
        order.status = WorkingOrder.Status.RELEASED
        order.start_date = order.start_date or timezone.localdate()
        order.save(update_fields=["status", "start_date", "updated_at"])
    return order


def working_order_start(*, order_id: int) -> WorkingOrder:
    with transaction.atomic():
        order = _locked(order_id)
        _check_transition(order, WorkingOrder.Status.IN_PROGRESS)
        order.status = WorkingOrder.Status.IN_PROGRESS
        order.save(update_fields=["status", "updated_at"])
    return order


def _release_reservations(order: WorkingOrder, components: list[WorkingOrderComponent]) -> None:
    """Release the components' reservations and, for a released order, its output on order."""
    changes = [
        ReservationChange(c.component_id, order.location_id, -c.reserved_quantity)
        for c in components
        if c.reserved_quantity > 0
    ]
    if order.status in (WorkingOrder.Status.RELEASED, WorkingOrder.Status.IN_PROGRESS):
        changes.append(
            ReservationChange(order.product_id, order.location_id, ZERO, -order.quantity)
        )
    if changes:
        stock_reserve(changes=changes)
    for c in components:
        c.reserved_quantity = Decimal("0")


def working_order_complete(
    *,
    order_id: int,
    actual_quantity: Decimal | None = None,
    scrap_quantity: Decimal | None = None,
    consumed: dict[int, Decimal] | None = None,
    actor: Any = None,
) -> WorkingOrder:
    """in_progress → done, in ONE transaction: consume the components (``consumed`` per
    component id, else the required quantities), produce ``actual_quantity`` (else the
    ordered quantity) of the product, record ``scrap_quantity``, release the reservations.
    Stock levels are locked once, in (product, location) order, before any change."""
    with transaction.atomic():
        order = _locked(order_id)
        _check_transition(order, WorkingOrder.Status.DONE)
        components = list(order.components.all())
        produced = _q(order.quantity if actual_quantity is None else actual_quantity)
        if produced < 0:
            raise ValidationFailed("actual_quantity must not be negative.")
        consumed = consumed or {}
        unknown = set(consumed) - {c.component_id for c in components}
        if unknown:
            raise ValidationFailed(
                "consumed names components that are not on the order.",
                details={"consumed": sorted(unknown)},
            )
        stock_levels_lock(
            [(c.component_id, order.location_id) for c in components]
            + [(order.product_id, order.location_id)]
        )
        _release_reservations(order, components)
        reference = f"WO {order.reference}"
        changes = []
        for c in components:
            c.consumed_quantity = _q(consumed.get(c.component_id, c.required_quantity))
            if c.consumed_quantity > 0:
                changes.append(
                    StockChange(
                        c.component_id,
                        order.location_id,
                        -c.consumed_quantity,
                        "production_consume",
                        reference,
                    )
                )
        if produced > 0:
            changes.append(
                StockChange(
                    order.product_id, order.location_id, produced, "production_produce", reference
                )
            )
        if changes:
            stock_change(changes=changes, actor=actor)
        WorkingOrderComponent.objects.bulk_update(
            components, ["reserved_quantity", "consumed_quantity"]
        )
        order.status = WorkingOrder.Status.DONE
        order.actual_quantity = produced
        order.scrap_quantity = _q(scrap_quantity or 0)
        order.completed_at = timezone.now()
        order.save(
            update_fields=[
                "status",
                "actual_quantity",
                "scrap_quantity",
                "completed_at",
                "updated_at",
            ]
        )
        emit_event(
            "work_order.completed",
            {
                "working_order_id": order.pk,
                "reference": order.reference,
                "product_id": order.product_id,
                "location_id": order.location_id,
                "quantity": produced,
                "scrap_quantity": order.scrap_quantity,
            },
            actor=actor,
        )
    return order


def working_order_cancel(*, order_id: int) -> WorkingOrder:
    """Any open status → cancelled; reservations are released."""
    with transaction.atomic():
        order = _locked(order_id)
        _check_transition(order, WorkingOrder.Status.CANCELLED)
        components = list(order.components.all())
        _release_reservations(order, components)
        WorkingOrderComponent.objects.bulk_update(components, ["reserved_quantity"])
        order.status = WorkingOrder.Status.CANCELLED
        order.save(update_fields=["status", "updated_at"])
    return order


__all__ = [
    "TRANSITIONS",
    "BomLineInput",
    "OperationInput",
    "bom_save",
    "is_bom_valid_on",
    "working_order_cancel",
    "working_order_complete",
    "working_order_create",
    "working_order_release",
    "working_order_start",
]


def planned_order_firm(*, order_id: int, user: User | None = None) -> PlannedOrder:
    """Firm a planned order: a make order becomes a planned working order (counted as open
    supply by later runs); a buy order is marked firmed (it is in purchasing's cart since its
    run handed the run's buy orders over) and counts as open supply until it is received.
    Firming twice is 409."""
    from manufacturing.models import PlannedOrder

    with transaction.atomic():
        order = PlannedOrder.objects.select_for_update().select_related("product").get(pk=order_id)
        if order.firmed:
            raise IllegalTransition("The planned order is already firmed.", details={"allowed": []})
        if order.kind == PlannedOrder.Kind.MAKE:
            working_order = working_order_create(
                product=order.product,
                location_id=order.location_id,
                quantity=Decimal(str(order.quantity)),
                due_date=order.due_date,
                start_date=max(order.release_date, timezone.localdate()),
                mrp_run_id=order.run_id,
                firmed=True,
            )
            order.working_order = working_order
        order.firmed = True
        order.save(update_fields=["firmed", "working_order"])
    return order
