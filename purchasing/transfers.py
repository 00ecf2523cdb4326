"""Transfer orders: stock from a DC to a store it replenishes, through the ledger.

``draft → shipped → received``, or ``cancelled`` from draft. Shipping writes ``transfer_out``
movements at the source (refused with 409 when the stock is not there) and adds the quantity to
the destination's on-order; receiving writes ``transfer_in`` at the destination and takes it off
on-order again. Every transition is audited.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Location
from catalog.services import StockChange, stock_change, stock_on_order_change
from core.audit import audit_record
from purchasing.exceptions import IllegalTransfer, InvalidOrder
from purchasing.models import TransferOrder, TransferOrderLine

Status = TransferOrder.Status

ALLOWED: dict[str, tuple[str, ...]] = {
    Status.DRAFT: ("ship", "cancel"),
    Status.SHIPPED: ("receive",),
    Status.RECEIVED: (),
    Status.CANCELLED: (),
}


@dataclass(frozen=True)
class TransferLineInput:
    product_id: int
    quantity: Decimal


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _new_reference() -> str:
    return f"TO-{timezone.localdate():%y%m%d}-{secrets.token_hex(3).upper()}"


def _record(order: TransferOrder, action: str, user: Any, **changes: Any) -> None:
    audit_record(
        action=action if action == "create" else "update",
        object_type="purchasing.transferorder",
        object_id=order.pk,
        object_repr=order.reference,
        changes={"transition": action, "status": order.status, **changes},
        actor=_user(user),
    )


def transfer_order_create(
    *,
    from_location: Location,
    to_location: Location,
    lines: list[TransferLineInput],
    user: Any = None,
    note: str = "",
) -> TransferOrder:
    """A draft transfer order (quantities of the same product are added up)."""
    if not lines:
        raise InvalidOrder(
            "A transfer order needs at least one line.", details={"lines": ["empty"]}
        )
    if from_location.pk == to_location.pk:
        raise InvalidOrder(
            "A transfer needs two different locations.", details={"to_location": ["same"]}
        )
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        quantities[line.product_id] += line.quantity
    with transaction.atomic():
        order = TransferOrder.objects.create(
            reference=_new_reference(),
            from_location=from_location,
            to_location=to_location,
            note=note,
            created_by=_user(user),
        )
        TransferOrderLine.objects.bulk_create(
            [
                TransferOrderLine(order=order, product_id=product_id, quantity=quantity)
                for product_id, quantity in sorted(quantities.items())
            ]
        )
        _record(order, "create", user, lines=len(quantities))
    return order


def _locked(order: TransferOrder, action: str) -> TransferOrder:
    order = TransferOrder.objects.select_for_update().get(pk=order.pk)
    allowed = ALLOWED[order.status]
    if action not in allowed:
        raise IllegalTransfer(
            f"Cannot {action} a {order.status} transfer order.",
            details={"status": order.status, "action": action, "allowed": list(allowed)},
        )
    return order


def transfer_order_ship(*, order: TransferOrder, user: Any = None) -> TransferOrder:
    """draft → shipped: ``transfer_out`` at the source (409 without the stock), on-order + at
    the destination, in one transaction."""
    with transaction.atomic():
        order = _locked(order, "ship")
        lines = list(order.lines.all())
        stock_change(
            changes=[
                StockChange(
                    line.product_id,
                    order.from_location_id,
                    -line.quantity,
                    "transfer_out",
                    order.reference,
                )
                for line in lines
            ],
            actor=_user(user),
        )
        stock_on_order_change(
            changes={(line.product_id, order.to_location_id): line.quantity for line in lines}
        )
        for line in lines:
            line.shipped_quantity = line.quantity
        TransferOrderLine.objects.bulk_update(lines, ["shipped_quantity"])
        order.status = Status.SHIPPED
        order.shipped_at = timezone.now()
        order.save(update_fields=["status", "shipped_at", "updated_at"])
        _record(order, "ship", user)
    return order


def transfer_order_receive(*, order: TransferOrder, user: Any = None) -> TransferOrder:
    """shipped → received: ``transfer_in`` at the destination, on-order − there."""
    with transaction.atomic():
        order = _locked(order, "receive")
        lines = [line for line in order.lines.all() if line.shipped_quantity > 0]
        if lines:
            stock_change(
                changes=[
                    StockChange(
                        line.product_id,
                        order.to_location_id,
                        line.shipped_quantity,
                        "transfer_in",
                        order.reference,
                    )
                    for line in lines
                ],
                actor=_user(user),
            )
        stock_on_order_change(
            changes={
                (line.product_id, order.to_location_id): -line.shipped_quantity for line in lines
            }
        )
        for line in lines:
            line.received_quantity = line.shipped_quantity
        TransferOrderLine.objects.bulk_update(lines, ["received_quantity"])
        order.status = Status.RECEIVED
        order.received_at = timezone.now()
        order.save(update_fields=["status", "received_at", "updated_at"])
        _record(order, "receive", user)
    return order


def transfer_order_cancel(*, order: TransferOrder, user: Any = None) -> TransferOrder:
    """draft → cancelled (nothing has moved yet)."""
    with transaction.atomic():
        order = _locked(order, "cancel")
        order.status = Status.CANCELLED
        order.save(update_fields=["status", "updated_at"])
        _record(order, "cancel", user)
    return order
