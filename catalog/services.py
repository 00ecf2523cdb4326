"""Every write to the catalogue, the stock ledger and sales history.

Stock rule: ``StockLevel.on_hand`` equals the sum of the ``StockMovement`` rows of that
product and location, always. Every change inserts movements and updates the levels in the
same transaction, after locking the affected level rows in one fixed order (product id, then
location id) so that concurrent writers neither lose updates nor deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog.bulk import demand_history_lock
from catalog.exceptions import ExclusionExists, InsufficientStock, InvalidMovement, LocationInUse
from catalog.models import (
    DemandHistory,
    Location,
    Product,
    ProductExclusion,
    StockLevel,
    StockMovement,
)
from core.cache import bump_namespace

if TYPE_CHECKING:
    from accounts.models import User

SIGN_BY_KIND: dict[str, int] = {
    StockMovement.Kind.RECEIPT: 1,
    StockMovement.Kind.TRANSFER_IN: 1,
    StockMovement.Kind.PRODUCTION_PRODUCE: 1,
    StockMovement.Kind.SALE: -1,
    StockMovement.Kind.TRANSFER_OUT: -1,
    StockMovement.Kind.PRODUCTION_CONSUME: -1,
    StockMovement.Kind.ADJUSTMENT: 0,  # either sign
}


@dataclass(frozen=True)
class StockChange:
    """One line of a stock change: ``quantity`` is signed (+ adds stock, − removes it)."""

    product_id: int
    location_id: int
    quantity: Decimal
    kind: str
    reference: str = ""


def _check_sign(change: StockChange) -> None:
    if change.kind not in SIGN_BY_KIND:
        raise InvalidMovement(f"Unknown movement kind {change.kind!r}.")
    sign = SIGN_BY_KIND[change.kind]
    if change.quantity == 0:
        raise InvalidMovement("A movement must change stock.", details={"quantity": "0"})
    if sign and (change.quantity > 0) != (sign > 0):
        direction = "add" if sign > 0 else "remove"
        raise InvalidMovement(
            f"A {change.kind} must {direction} stock.",
            details={"kind": change.kind, "quantity": str(change.quantity)},
        )


def stock_levels_lock(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Create missing level rows, then lock all of them in (product, location) order."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    StockLevel.objects.bulk_create(
        [StockLevel(product_id=p, location_id=loc) for p, loc in keys], ignore_conflicts=True
    )
    products = sorted({p for p, _ in keys})
    locations = sorted({loc for _, loc in keys})
    rows = (
        StockLevel.objects.select_for_update()
        .filter(product_id__in=products, location_id__in=locations)
        .order_by("product_id", "location_id")
    )
    wanted = set(keys)
    return {
        (r.product_id, r.location_id): r for r in rows if (r.product_id, r.location_id) in wanted
    }


def stock_change(
    *,
    changes: list[StockChange],
    actor: Any = None,
    occurred_at: datetime | None = None,
    allow_negative: bool = False,
) -> list[StockMovement]:
    """Apply stock changes atomically: ledger rows plus level updates. Raises
    InsufficientStock (409) when a line would take on-hand below zero."""
    for change in changes:
        _check_sign(change)
    occurred_at = occurred_at or timezone.now()
    with transaction.atomic():
        levels = stock_levels_lock((c.product_id, c.location_id) for c in changes)
        delta: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for change in changes:
            delta[(change.product_id, change.location_id)] += change.quantity
        for key, amount in delta.items():
            level = levels[key]
            new_on_hand = level.on_hand + amount
            if new_on_hand < 0 and not allow_negative:
                raise InsufficientStock(
                    details={
                        "product_id": key[0],
                        "location_id": key[1],
                        "on_hand": str(level.on_hand),
                        "requested": str(-amount),
                    }
                )
            level.on_hand = new_on_hand
        StockLevel.objects.bulk_update([levels[key] for key in delta], ["on_hand", "updated_at"])
        return StockMovement.objects.bulk_create(
            [
                StockMovement(
                    product_id=c.product_id,
                    location_id=c.location_id,
                    kind=c.kind,
                    quantity=c.quantity,
                    reference=c.reference[:128],
                    actor=actor if getattr(actor, "pk", None) else None,
                    occurred_at=occurred_at,
                )
                for c in changes
            ]
        )


def stock_on_order_change(*, changes: dict[tuple[int, int], Decimal]) -> None:
    """Add signed quantities to ``StockLevel.on_order`` per (product id, location id).

    Purchasing calls it when an order is approved (+), received (−) or cancelled / closed (−
    what is still open). Levels are locked in the same (product, location) order as every other
    stock change; on-order never goes below zero (a release beyond it stops at zero)."""
    deltas = {key: amount for key, amount in changes.items() if amount}
    if not deltas:
        return
    keys = sorted(deltas)
    with transaction.atomic(), connection.cursor() as cursor:
        stock_levels_lock(keys)
        # One statement for every level (bulk_update's CASE per row is slow at 1,000 levels).
        cursor.execute(
            f"UPDATE {StockLevel._meta.db_table} s "  # noqa: S608 (table name from the model)
            "SET on_order = greatest(s.on_order + d.delta, 0), updated_at = now() "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS d(p, l, delta) "
            "WHERE s.product_id = d.p AND s.location_id = d.l",
            [[k[0] for k in keys], [k[1] for k in keys], [deltas[k] for k in keys]],
        )


@dataclass(frozen=True)
class ReservationChange:
    """Reserve (``quantity`` > 0) or release (< 0) stock of a product at a location, and/or
    change what is on order there (``on_order``: + an open supply order, − when it closes)."""

    product_id: int
    location_id: int
    quantity: Decimal
    on_order: Decimal = Decimal("0")


def stock_reserve(
    *, changes: list[ReservationChange], allow_over: bool = False
) -> dict[tuple[int, int], StockLevel]:
    """Change ``StockLevel.reserved`` atomically, locking levels in the same fixed order as
    ``stock_change``. A reservation may not take ``reserved`` above ``on_hand`` (reserve more
    than is available) unless ``allow_over``: InsufficientStock (409) names the first short
    line. Releases never take ``reserved`` below zero. Returns the updated levels."""
    with transaction.atomic():
        levels = stock_levels_lock((c.product_id, c.location_id) for c in changes)
        delta: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        ordered: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for change in changes:
            delta[(change.product_id, change.location_id)] += Decimal(change.quantity)
            ordered[(change.product_id, change.location_id)] += Decimal(change.on_order)
        short = []
        for key in sorted(delta):
            level, amount = levels[key], delta[key]
            reserved = max(level.reserved + amount, Decimal("0"))
            if amount > 0 and reserved > level.on_hand and not allow_over:
                short.append(
                    {
                        "product_id": key[0],
                        "location_id": key[1],
                        "available": str(level.on_hand - level.reserved),
                        "requested": str(amount),
                    }
                )
            level.reserved = reserved
            level.on_order = max(level.on_order + ordered[key], Decimal("0"))
        if short:
            raise InsufficientStock(
                "Not enough available stock to reserve (on hand less reserved).",
                details={"short": short},
            )
        if delta:
            StockLevel.objects.bulk_update(
                [levels[key] for key in delta], ["reserved", "on_order", "updated_at"]
            )
        return {key: levels[key] for key in delta}


def stock_transfer(
    *,
    product_id: int,
    from_location_id: int,
    to_location_id: int,
    quantity: Decimal,
    reference: str = "",
    actor: Any = None,
) -> list[StockMovement]:
    if from_location_id == to_location_id:
        raise InvalidMovement("A transfer needs two different locations.")
    if quantity <= 0:
        raise InvalidMovement("A transfer moves a positive quantity.")
    return stock_change(
        changes=[
            StockChange(product_id, from_location_id, -quantity, "transfer_out", reference),
            StockChange(product_id, to_location_id, quantity, "transfer_in", reference),
        ],
        actor=actor,
    )


def stock_count_set(
    *, counts: dict[tuple[int, int], Decimal], reference: str = "count", actor: Any = None
) -> list[StockMovement]:
    """Set on-hand to counted quantities with one adjustment movement per difference."""
    with transaction.atomic():
        levels = stock_levels_lock(counts)
        changes = [
            StockChange(key[0], key[1], counted - levels[key].on_hand, "adjustment", reference)
            for key, counted in sorted(counts.items())
            if counted != levels[key].on_hand
        ]
        return stock_change(changes=changes, actor=actor, allow_negative=True) if changes else []


# --- Locations ----------------------------------------------------------------------------------


def location_usage(*, location: Location) -> dict[str, int]:
    """What still refers to ``location``: the counts a deletion must reassign first."""
    return {
        "products_with_stock": StockLevel.objects.filter(location=location)
        .exclude(on_hand=0, reserved=0, on_order=0)
        .count(),
        "stock_movements": StockMovement.objects.filter(location=location).count(),
        "sales_history_rows": DemandHistory.objects.filter(location_id=location.pk).count(),
    }


def location_delete(*, location: Location) -> None:
    """Delete a location nothing refers to; otherwise 409 with the counts of what does."""
    with transaction.atomic():
        usage = location_usage(location=location)
        if any(usage.values()):
            parts = [
                f"{usage['products_with_stock']} products with stock",
                f"{usage['stock_movements']} stock movements",
                f"{usage['sales_history_rows']} sales history rows",
            ]
            raise LocationInUse(
                f"Location {location.code} still has {', '.join(parts)}. "
                "Reassign them to another location first.",
                details=usage,
            )
        StockLevel.objects.filter(location=location).delete()  # only all-zero rows remain
        location.delete()


def location_reassign(*, source: Location, target: Location) -> dict[str, int]:
    """Move stock, the ledger and sales history from ``source`` to ``target``.

    Stock levels are merged (quantities added); movements move with them, so on-hand still
    equals the sum of movements at the target; sales history rows on the same product and
    date are added together.
    """
    if source.pk == target.pk:
        raise InvalidMovement("Source and target are the same location.")
    with transaction.atomic():
        products = list(
            StockLevel.objects.filter(location=source).values_list("product_id", flat=True)
        )
        levels = stock_levels_lock(
            [(p, source.pk) for p in products] + [(p, target.pk) for p in products]
        )
        merged = 0
        for (product_id, location_id), level in levels.items():
            if location_id != source.pk:
                continue
            into = levels[(product_id, target.pk)]
            into.on_hand += level.on_hand
            into.reserved += level.reserved
            into.on_order += level.on_order
            into.save(update_fields=["on_hand", "reserved", "on_order", "updated_at"])
            level.delete()
            merged += 1
        movements = StockMovement.objects.filter(location=source).update(location=target)
        with connection.cursor() as cursor:
            # A writer of the sales history like the imports: it waits for them, not the
            # reverse halfway (the table's version row, ADR 50, is taken by each writer).
            demand_history_lock(cursor)
            history_table = DemandHistory._meta.db_table
            cursor.execute(
                f"""
                INSERT INTO {history_table} (product_id, location_id, date, quantity, revenue,
                                             stockout, on_promotion)
                SELECT product_id, %(target)s, date, quantity, revenue, stockout, on_promotion
                  FROM {history_table} WHERE location_id = %(source)s
                ON CONFLICT (product_id, location_id, date) DO UPDATE
                   SET quantity = {history_table}.quantity + EXCLUDED.quantity,
                       revenue = CASE WHEN {history_table}.revenue IS NULL
                                       AND EXCLUDED.revenue IS NULL THEN NULL
                                      ELSE coalesce({history_table}.revenue, 0)
                                           + coalesce(EXCLUDED.revenue, 0) END
                """,  # noqa: S608 (table name from the model, values bound)
                {"source": source.pk, "target": target.pk},
            )
            cursor.execute(
                f"DELETE FROM {history_table} WHERE location_id = %s",  # noqa: S608
                [source.pk],
            )
            history = cursor.rowcount
    return {"stock_levels": merged, "stock_movements": movements, "sales_history_rows": history}


def product_exclusion_create(
    *, product: Product, reason: str, scopes: list[str], user: User | None = None
) -> ProductExclusion:
    """Exclude ``product`` from ``scopes``. One exclusion per product (409 when it has one:
    change that one instead). Takes effect at the next refresh of each feature."""
    try:
        with transaction.atomic():
            exclusion = ProductExclusion.objects.create(
                product=product,
                reason=reason,
                scopes=sorted(set(scopes)),
                created_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:  # one per product (the one-to-one key), also under concurrency
        raise ExclusionExists() from None
    bump_namespace("inventory")
    return exclusion


def product_exclusion_update(
    *, exclusion: ProductExclusion, reason: str | None = None, scopes: list[str] | None = None
) -> ProductExclusion:
    with transaction.atomic():
        if reason is not None:
            exclusion.reason = reason
        if scopes is not None:
            exclusion.scopes = sorted(set(scopes))
        exclusion.save(update_fields=["reason", "scopes", "updated_at"])
    bump_namespace("inventory")
    return exclusion


def product_exclusion_delete(*, exclusion: ProductExclusion) -> None:
    exclusion.delete()
    bump_namespace("inventory")
