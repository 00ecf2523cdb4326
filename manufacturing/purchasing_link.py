"""The thin link to ``purchasing`` (supplier terms in, planned buy orders out).

Manufacturing sits above purchasing in the layers, but purchasing may be absent from a
deployment or older than this code: every call imports lazily and falls back when the module
or the function is missing (``ImportError`` / ``AttributeError``):

- terms: the product's own ``lead_time_days``, ``moq`` and ``pack_size``; the product "has a
  supplier" when its ``supplier_code`` is not empty;
- hand-over of buy orders: nothing is handed over (``False`` is returned).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.models import Product


@dataclass(frozen=True)
class BuyTerms:
    """What MRP needs to plan a bought item: lead time in whole days (rounded up), lot rules in
    stock units, and the supplier (``None`` when there is none)."""

    lead_time_days: int
    moq: float
    pack_size: float
    supplier_code: str | None


@dataclass(frozen=True)
class BuyLine:
    product_id: int
    location_id: int
    quantity: float
    needed_by: date
    release_date: date


def _fallback_terms(products: Iterable[Any]) -> dict[int, BuyTerms]:
    return {
        p.pk: BuyTerms(
            lead_time_days=int(p.lead_time_days),
            moq=float(p.moq),
            pack_size=float(p.pack_size),
            supplier_code=p.supplier_code or None,
        )
        for p in products
    }


def buy_terms(product_ids: list[int]) -> dict[int, BuyTerms]:
    """Terms of the given products for buy orders (purchasing's when it knows them)."""
    products = list(
        Product.objects.filter(pk__in=product_ids).only(
            "id", "lead_time_days", "moq", "pack_size", "supplier_code"
        )
    )
    terms = _fallback_terms(products)
    try:
        from purchasing.selectors import purchase_terms  # type: ignore[attr-defined]

        known = purchase_terms(product_ids)
    except (ImportError, AttributeError):
        return terms
    for product_id, t in known.items():
        fallback = terms.get(product_id)
        if fallback is None:
            continue
        lead = getattr(t, "lead_time_days", None)
        terms[product_id] = BuyTerms(
            lead_time_days=math.ceil(float(lead)) if lead is not None else fallback.lead_time_days,
            moq=float(t.moq) if getattr(t, "moq", None) is not None else fallback.moq,
            pack_size=float(t.pack_size)
            if getattr(t, "pack_size", None) is not None
            else fallback.pack_size,
            supplier_code=getattr(t, "supplier_code", None) or None,
        )
    return terms


def hand_over_buy_orders(*, run_id: int, lines: list[BuyLine]) -> bool:
    """Give MRP's buy orders of ``run_id`` to purchasing's cart (replacing that run's earlier
    ones). False when purchasing cannot take them (absent or older)."""
    try:
        from purchasing.services import (  # type: ignore[attr-defined]
            PlannedPurchaseLine,
            planned_purchases_replace,
        )
    except (ImportError, AttributeError):
        return False
    planned_purchases_replace(
        run_id=run_id,
        lines=[
            PlannedPurchaseLine(
                product_id=line.product_id,
                location_id=line.location_id,
                quantity=line.quantity,
                needed_by=line.needed_by,
                release_date=line.release_date,
            )
            for line in lines
        ],
    )
    return True


def purchasing_takes_buy_orders() -> bool:
    """True when purchasing offers the hand-over of planned buy orders."""
    try:
        from purchasing import services  # type: ignore[attr-defined]
    except ImportError:
        return False
    return hasattr(services, "planned_purchases_replace") and hasattr(
        services, "PlannedPurchaseLine"
    )


def is_subcontractor(supplier_code: str) -> bool | None:
    """Whether purchasing knows ``supplier_code`` as a supplier of kind ``subcontract``; None
    when purchasing cannot tell (absent or older): the code is then taken as it is."""
    try:
        from purchasing.models import Supplier  # type: ignore[attr-defined]

        return Supplier.objects.filter(code=supplier_code, kind="subcontract").exists()
    except (ImportError, AttributeError):
        return None
