"""Every write of purchasing: suppliers, purchase orders and their workflow, receiving, the
MRP hand-over. Stock changes go through ``catalog.services`` (on-hand through the ledger,
on-order through ``stock_on_order_change``), in the same transaction as the order's change.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Location, Product
from catalog.services import StockChange, stock_change, stock_on_order_change
from core.audit import audit_record
from core.events import emit_event
from core.exports import xlsx_bytes
from core.pgcopy import copy_to_table
from purchasing import selectors
from purchasing.exceptions import ApprovalNeedsAdmin, IllegalTransition, InvalidOrder, OverReceipt
from purchasing.learning import lead_times_learn
from purchasing.models import (
    PlannedPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
    Receipt,
    Supplier,
    SupplierProduct,
)

Status = PurchaseOrder.Status

# The workflow: which action each status allows.
ALLOWED: dict[str, tuple[str, ...]] = {
    Status.DRAFT: ("approve", "cancel"),
    Status.APPROVED: ("send", "receive", "confirm", "cancel", "close"),
    Status.SENT: ("receive", "confirm", "cancel", "close"),
    Status.PARTIALLY_RECEIVED: ("receive", "confirm", "close"),
    Status.RECEIVED: (),
    Status.CANCELLED: (),
    Status.CLOSED: (),
}
EVENT_BY_ACTION = {
    "approve": "purchase_order.approved",
    "send": "purchase_order.sent",
    "receive": "purchase_order.received",
    "cancel": "purchase_order.cancelled",
    "close": "purchase_order.closed",
}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def purchasing_settings_update(**values: Any) -> PurchasingSettings:
    with transaction.atomic():
        settings = selectors.purchasing_settings_get()
        for name, value in values.items():
            setattr(settings, name, value)
        settings.save()
    return settings


# --- Suppliers ----------------------------------------------------------------------------------


def supplier_products_link_from_catalogue() -> int:
    """Make the catalogue's free-text ``supplier_code`` a real link: a preferred supplier
    product for every product whose code names a supplier and that has no preferred supplier
    yet (price = the product's unit cost). Returns the number of links created."""
    with connection.cursor() as cursor:
        cursor.execute(LINK_SQL)
        return int(cursor.rowcount)


LINK_SQL = """
    INSERT INTO purchasing_supplierproduct (supplier_id, product_id, supplier_sku, unit_price,
                                            pack_size, moq, lead_time_days, is_preferred,
                                            created_at, updated_at)
    SELECT s.id, p.id, '', p.unit_cost, p.pack_size, p.moq, NULL,
           NOT EXISTS (SELECT 1 FROM purchasing_supplierproduct x
                       WHERE x.product_id = p.id AND x.is_preferred),
           now(), now()
    FROM inventory_product p JOIN purchasing_supplier s ON s.code = p.supplier_code
    WHERE p.supplier_code <> ''
    ON CONFLICT DO NOTHING
"""


def supplier_save(*, supplier: Supplier) -> Supplier:
    with transaction.atomic():
        supplier.save()
        supplier_products_link_from_catalogue()
    return supplier


def supplier_product_save(*, term: SupplierProduct) -> SupplierProduct:
    """Save supplier terms; a preferred one takes the preference from the product's others."""
    with transaction.atomic():
        if term.is_preferred:
            SupplierProduct.objects.filter(product_id=term.product_id, is_preferred=True).exclude(
                pk=term.pk
            ).update(is_preferred=False)
        term.save()
    return term


# --- Purchase orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineInput:
    product_id: int
    quantity: Decimal
    location_id: int | None = None
    unit_price: Decimal | None = None
    expected_date: date | None = None


def _new_reference() -> str:
    return f"PO-{timezone.localdate():%y%m%d}-{secrets.token_hex(3).upper()}"


def purchase_order_create(
    *,
    supplier: Supplier,
    location: Location,
    lines: list[OrderLineInput],
    user: User | None = None,
    reference: str | None = None,
    note: str = "",
    today: date | None = None,
) -> PurchaseOrder:
    """A draft order. Unit prices default to the supplier's price for the product, expected
    dates to today + the product's lead time with this supplier (learned when it can be)."""
    if not lines:
        raise InvalidOrder("An order needs at least one line.", details={"lines": ["empty"]})
    today = today or timezone.localdate()
    keys = [(line.product_id, line.location_id or location.pk) for line in lines]
    if len(set(keys)) != len(keys):
        raise InvalidOrder(
            "A product appears twice for the same location.", details={"lines": ["duplicate"]}
        )
    prices = dict(
        SupplierProduct.objects.filter(
            supplier=supplier, product_id__in=[k[0] for k in keys]
        ).values_list("product_id", "unit_price")
    )
    lead = _lead_times_with(supplier, [k[0] for k in keys])
    with transaction.atomic():
        order = PurchaseOrder.objects.create(
            reference=reference or _new_reference(),
            supplier=supplier,
            location=location,
            currency=supplier.currency,
            note=note,
            created_by=_user(user),
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    order=order,
                    product_id=line.product_id,
                    location_id=line.location_id or location.pk,
                    quantity=line.quantity,
                    unit_price=line.unit_price
                    if line.unit_price is not None
                    else prices.get(line.product_id, Decimal("0")),
                    expected_date=line.expected_date
                    or today + timedelta(days=round(lead.get(line.product_id, 0.0))),
                )
                for line in lines
            ]
        )
        audit_record(
            action="create",
            object_type="purchasing.purchaseorder",
            object_id=order.pk,
            object_repr=order.reference,
            changes={"status": order.status, "lines": len(lines)},
            actor=_user(user),
        )
    return order


def _lead_times_with(supplier: Supplier, product_ids: list[int]) -> dict[int, float]:
    """Lead time in days of each product bought from ``supplier``, by the usual precedence."""
    terms = {
        t.product_id: t
        for t in selectors.supplier_product_list(user=None).filter(
            supplier=supplier, product_id__in=product_ids
        )
    }
    result = {}
    for product in Product.objects.filter(pk__in=product_ids).only("id", "lead_time_days"):
        term = terms.get(product.pk)
        if term is not None:
            result[product.pk] = selectors.lead_time_of(term)[0]
        elif supplier.lead_time_days is not None:
            result[product.pk] = float(supplier.lead_time_days)
        else:
            result[product.pk] = float(product.lead_time_days)
    return result


def _locked(order: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update().select_related("supplier").get(pk=order.pk)


def _check(order: PurchaseOrder, action: str) -> None:
    allowed = ALLOWED[order.status]
    if action not in allowed:
        raise IllegalTransition(
            f"Cannot {action} a {order.status} purchase order.",
            details={"status": order.status, "action": action, "allowed": list(allowed)},
        )


def _transition_recorded(order: PurchaseOrder, action: str, user: User | None, **data: Any) -> None:
    audit_record(
        action="update",
        object_type="purchasing.purchaseorder",
        object_id=order.pk,
        object_repr=order.reference,
        changes={"transition": action, "status": order.status, **data},
        actor=_user(user),
    )
    if action in EVENT_BY_ACTION:
        emit_event(
            EVENT_BY_ACTION[action],
            {
                "purchase_order": order.pk,
                "reference": order.reference,
                "status": order.status,
                **data,
            },
            actor=_user(user),
        )


def _open_quantities(order: PurchaseOrder) -> dict[tuple[int, int], Decimal]:
    open_by_key: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for line in order.lines.all():
        if line.open_quantity > 0:
            open_by_key[(line.product_id, line.location_id)] += line.open_quantity
    return open_by_key


def purchase_order_approve(*, order: PurchaseOrder, user: User | None) -> PurchaseOrder:
    """draft → approved; adds the lines to on-order. Above the tenant's approval threshold
    (order value in the tenant currency) only an admin may approve."""
    with transaction.atomic():
        order = _locked(order)
        _check(order, "approve")
        settings = selectors.purchasing_settings_get()
        if settings.approval_threshold is not None:
            rate = selectors.exchange_rates().get(order.currency)
            value = selectors.purchase_order_value(order) * (rate or Decimal("1"))
            if value > settings.approval_threshold and not (
                user is not None and user.has_role(User.Role.ADMIN)
            ):
                raise ApprovalNeedsAdmin(
                    details={
                        "value": str(round(value, 2)),
                        "approval_threshold": str(settings.approval_threshold),
                    }
                )
        now = timezone.now()
        order.status = Status.APPROVED
        order.approved_at = now
        order.approved_by = _user(user)
        order.ordered_on = timezone.localdate(now)
        order.save(
            update_fields=["status", "approved_at", "approved_by", "ordered_on", "updated_at"]
        )
        stock_on_order_change(changes=_open_quantities(order))
        _transition_recorded(order, "approve", user)
    return order


def purchase_order_csv(order: PurchaseOrder) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_EXPORT_HEADER)
    writer.writerows(order_export_rows(order))
    return buffer.getvalue().encode()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def purchase_order_xlsx(order: PurchaseOrder) -> bytes:
    """The order's export (same columns and rows as the CSV) as an XLSX workbook."""
    return xlsx_bytes(
        list(ORDER_EXPORT_HEADER), order_export_rows(order), title=order.reference[:31]
    )


ORDER_EXPORT_HEADER = (
    "reference",
    "supplier",
    "sku",
    "supplier_sku",
    "location",
    "quantity",
    "received_quantity",
    "unit_price",
    "currency",
    "expected_date",
    "status",
)


def order_export_rows(order: PurchaseOrder) -> Iterator[tuple[Any, ...]]:
    skus = dict(
        SupplierProduct.objects.filter(supplier_id=order.supplier_id).values_list(
            "product_id", "supplier_sku"
        )
    )
    for line in order.lines.select_related("product", "location").order_by("id"):
        yield (
            order.reference,
            order.supplier.code,
            line.product.sku,
            skus.get(line.product_id, ""),
            line.location.code,
            line.quantity,
            line.received_quantity,
            line.unit_price,
            order.currency,
            line.confirmed_date or line.expected_date,
            order.status,
        )


def _mail_order(order_id: int) -> None:
    order = PurchaseOrder.objects.select_related("supplier").get(pk=order_id)
    message = EmailMessage(
        subject=f"Purchase order {order.reference}",
        body=f"Please find attached our purchase order {order.reference}.",
        to=[order.supplier.email],
    )
    message.attach(f"{order.reference}.csv", purchase_order_csv(order), "text/csv")
    message.attach(f"{order.reference}.xlsx", purchase_order_xlsx(order), XLSX_CONTENT_TYPE)
    message.send(fail_silently=True)


def purchase_order_send(*, order: PurchaseOrder, user: User | None) -> PurchaseOrder:
    """approved → sent; e-mails the order (CSV and XLSX attached) to the supplier after commit
    when the supplier has an address. The sent date becomes the order date."""
    with transaction.atomic():
        order = _locked(order)
        _check(order, "send")
        now = timezone.now()
        order.status = Status.SENT
        order.sent_at = now
        order.ordered_on = timezone.localdate(now)
        order.save(update_fields=["status", "sent_at", "ordered_on", "updated_at"])
        _transition_recorded(order, "send", user, emailed=bool(order.supplier.email))
        if order.supplier.email:
            order_id = order.pk
            transaction.on_commit(lambda: _mail_order(order_id))
    return order


def _release(
    order: PurchaseOrder, action: str, status: str, reason: str, user: User | None
) -> PurchaseOrder:
    with transaction.atomic():
        order = _locked(order)
        _check(order, action)
        if action == "cancel" and order.lines.filter(received_quantity__gt=0).exists():
            raise IllegalTransition(
                "An order with receipts cannot be cancelled; close it instead.",
                details={"status": order.status, "action": action, "allowed": ["close"]},
            )
        holds_on_order = order.status != Status.DRAFT
        order.status = status
        order.status_reason = (reason or "")[:255]
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "status_reason", "closed_at", "updated_at"])
        if holds_on_order:
            stock_on_order_change(changes={k: -v for k, v in _open_quantities(order).items()})
        _transition_recorded(order, action, user, reason=order.status_reason)
    return order


def purchase_order_cancel(
    *, order: PurchaseOrder, user: User | None, reason: str = ""
) -> PurchaseOrder:
    """draft/approved/sent (no receipt yet) → cancelled; releases what was on order."""
    return _release(order, "cancel", Status.CANCELLED, reason, user)


def purchase_order_close(
    *, order: PurchaseOrder, user: User | None, reason: str = ""
) -> PurchaseOrder:
    """Short-close an approved, sent or partially received order; releases what is open."""
    return _release(order, "close", Status.CLOSED, reason, user)


@dataclass(frozen=True)
class ReceiptInput:
    line_id: int
    quantity: Decimal
    received_on: date | None = None


def _on_time(received_on: date, line: PurchaseOrderLine) -> bool:
    expected = line.confirmed_date or line.expected_date
    return expected is None or received_on <= expected


def purchase_order_receive(
    *, order: PurchaseOrder, receipts: list[ReceiptInput], user: User | None = None
) -> PurchaseOrder:
    """Receive quantities against lines, in one transaction: one ``stock_change`` with every
    receipt movement, on-order lowered by what was open, received quantities, ``Receipt`` rows
    (bulk) and one lead-time learning statement. Over-receipt beyond the tenant's tolerance is
    refused (400) and writes nothing. Concurrent receipts on one order run one after the other
    (the order row is locked first, then the stock levels in their fixed order)."""
    if not receipts:
        raise InvalidOrder("Nothing to receive.", details={"lines": ["empty"]})
    today = timezone.localdate()
    with transaction.atomic():
        order = _locked(order)
        _check(order, "receive")
        lines = {line.pk: line for line in order.lines.all()}
        wanted: dict[int, Decimal] = defaultdict(Decimal)
        errors: dict[str, Any] = {}
        for item in receipts:
            if item.line_id not in lines:
                errors[str(item.line_id)] = "not a line of this order"
            elif item.quantity <= 0:
                errors[str(item.line_id)] = "quantity must be positive"
            else:
                wanted[item.line_id] += item.quantity
        if errors:
            raise InvalidOrder("Invalid receipt lines.", details={"lines": errors})
        tolerance = selectors.purchasing_settings_get().over_receipt_tolerance_pct / 100
        over = {
            str(line_id): {
                "ordered": str(lines[line_id].quantity),
                "received": str(lines[line_id].received_quantity),
                "receiving": str(quantity),
            }
            for line_id, quantity in wanted.items()
            if lines[line_id].received_quantity + quantity
            > lines[line_id].quantity * (1 + tolerance)
        }
        if over:
            raise OverReceipt(details={"lines": over})

        ordered_on = order.ordered_on or today
        on_order: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for line_id, quantity in wanted.items():
            line = lines[line_id]
            on_order[(line.product_id, line.location_id)] -= min(quantity, line.open_quantity)
            line.received_quantity += quantity
        stock_change(
            changes=[
                StockChange(
                    lines[item.line_id].product_id,
                    lines[item.line_id].location_id,
                    item.quantity,
                    "receipt",
                    order.reference,
                )
                for item in receipts
            ],
            actor=user,
        )
        stock_on_order_change(changes=on_order)
        # One statement for every line (bulk_update's CASE per row is slow at 1,000 lines).
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {PurchaseOrderLine._meta.db_table} l SET received_quantity = u.received "  # noqa: S608 (table name from the model)
                "FROM unnest(%s::bigint[], %s::numeric[]) AS u(id, received) WHERE l.id = u.id",
                [list(wanted), [lines[line_id].received_quantity for line_id in wanted]],
            )
        Receipt.objects.bulk_create(
            [
                Receipt(
                    line_id=item.line_id,
                    supplier_id=order.supplier_id,
                    product_id=lines[item.line_id].product_id,
                    quantity=item.quantity,
                    received_on=item.received_on or today,
                    lead_time_days=((item.received_on or today) - ordered_on).days,
                    on_time=_on_time(item.received_on or today, lines[item.line_id]),
                    source=Receipt.Source.APP,
                    created_by=_user(user),
                )
                for item in receipts
            ]
        )
        lead_times_learn(
            pairs={(order.supplier_id, lines[line_id].product_id) for line_id in wanted}
        )
        complete = all(line.received_quantity >= line.quantity for line in lines.values())
        order.status = Status.RECEIVED if complete else Status.PARTIALLY_RECEIVED
        if complete:
            order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at", "updated_at"])
        _transition_recorded(
            order,
            "receive",
            user,
            lines=len(wanted),
            quantity=str(sum(wanted.values(), Decimal("0"))),
        )
    return order


@dataclass(frozen=True)
class ConfirmationInput:
    line_id: int
    confirmed_date: date | None = None
    confirmed_quantity: Decimal | None = None


def purchase_order_confirm(
    *, order: PurchaseOrder, confirmations: list[ConfirmationInput], user: User | None = None
) -> PurchaseOrder:
    """Record the supplier's confirmation per line (date and quantity); the expected date
    follows the confirmed date."""
    with transaction.atomic():
        order = _locked(order)
        _check(order, "confirm")
        lines = {line.pk: line for line in order.lines.all()}
        unknown = [str(c.line_id) for c in confirmations if c.line_id not in lines]
        if unknown or not confirmations:
            raise InvalidOrder(
                "Invalid confirmation lines.",
                details={
                    "lines": {key: "not a line of this order" for key in unknown} or ["empty"]
                },
            )
        for item in confirmations:
            line = lines[item.line_id]
            if item.confirmed_date is not None:
                line.confirmed_date = item.confirmed_date
                line.expected_date = item.confirmed_date
            if item.confirmed_quantity is not None:
                line.confirmed_quantity = item.confirmed_quantity
        PurchaseOrderLine.objects.bulk_update(
            [lines[c.line_id] for c in confirmations],
            ["confirmed_date", "expected_date", "confirmed_quantity"],
        )
        _transition_recorded(order, "confirm", user, lines=len(confirmations))
    return order


# --- MRP hand-over ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedPurchaseLine:
    product_id: int
    location_id: int
    quantity: Decimal
    needed_by: date
    release_date: date


def planned_purchases_replace_arrays(
    *,
    run_id: int,
    product_id: np.ndarray,
    location_id: np.ndarray,
    quantity: np.ndarray,
    needed_by: np.ndarray,
    release_date: np.ndarray,
) -> int:
    """``planned_purchases_replace`` for whole arrays (MRP hands over hundreds of thousands of
    buy orders): one binary COPY into a temporary table and one ``INSERT … SELECT``. Dates
    are ``datetime64[D]``, quantities units (rounded to 3 decimals)."""
    table = PlannedPurchase._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (table name from the model)
        cursor.execute(
            "CREATE TEMPORARY TABLE planned_buys (product int8, location int8, quantity float8, "
            "needed_by date, release_date date) ON COMMIT DROP"
        )
        copy_to_table(
            cursor,
            "planned_buys",
            {
                "product": ("int8", np.asarray(product_id, dtype=np.int64)),
                "location": ("int8", np.asarray(location_id, dtype=np.int64)),
                "quantity": ("float8", np.asarray(quantity, dtype=np.float64)),
                "needed_by": ("date", np.asarray(needed_by, dtype="datetime64[D]")),
                "release_date": ("date", np.asarray(release_date, dtype="datetime64[D]")),
            },
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (product_id, location_id, quantity, needed_by, release_date,
                                 mrp_run_id, created_at)
            SELECT product, location, round(quantity::numeric, 3), needed_by, release_date,
                   %s, now()
            FROM planned_buys
            """,  # noqa: S608 (table name from the model, values bound)
            [run_id],
        )
        count = int(cursor.rowcount)
        cursor.execute("DROP TABLE planned_buys")
    return count


def planned_purchases_replace(*, run_id: int, lines: list[PlannedPurchaseLine]) -> int:
    """Replace every planned purchase with MRP run ``run_id``'s buy orders (bulk). The cart
    takes the buy quantities of these products from here (source ``mrp``). Returns the count."""
    return planned_purchases_replace_arrays(
        run_id=run_id,
        product_id=np.array([line.product_id for line in lines], dtype=np.int64),
        location_id=np.array([line.location_id for line in lines], dtype=np.int64),
        quantity=np.array([float(line.quantity) for line in lines], dtype=np.float64),
        needed_by=np.array([line.needed_by for line in lines], dtype="datetime64[D]"),
        release_date=np.array([line.release_date for line in lines], dtype="datetime64[D]"),
    )
