"""The link to ``purchasing`` (below manufacturing in the layers): supplier terms in, planned
buy orders out, and whether a supplier subcontracts (ADR 19, ADR 21).

- ``buy_terms``: purchasing's terms of the preferred supplier (lead time learned from receipts
  → supplier-product override → supplier default → product), rounded up to whole days for the
  daily buckets; without a preferred supplier the catalogue's terms and no supplier.
- ``hand_over_buy_arrays``: every buy order of a run becomes a ``PlannedPurchase`` the cart
  builds its MRP lines from (``source: mrp``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from catalog.models import Product
from purchasing.models import Supplier
from purchasing.selectors import purchase_terms
from purchasing.services import (
    planned_purchases_replace_arrays,
)


@dataclass(frozen=True)
class BuyTerms:
    """What MRP needs to plan a bought item: lead time in whole days (rounded up), lot rules in
    stock units, and the supplier (``None`` when there is none)."""

    lead_time_days: int
    moq: float
    pack_size: float
    supplier_code: str | None


def buy_terms(product_ids: Iterable[int]) -> dict[int, BuyTerms]:
    """Terms of the given products for buy orders (two queries). The supplier is the preferred
    one, else the supplier code the product names (a supplier not loaded as such yet)."""
    ids = list(product_ids)
    named = dict(Product.objects.filter(pk__in=ids).values_list("id", "supplier_code"))
    return {
        product_id: BuyTerms(
            lead_time_days=math.ceil(float(terms.lead_time_days) - 1e-9),
            moq=float(terms.moq),
            pack_size=float(terms.pack_size),
            supplier_code=terms.supplier_code or named.get(product_id) or None,
        )
        for product_id, terms in purchase_terms(ids).items()
    }


def hand_over_buy_arrays(
    *,
    run_id: int,
    product_id: np.ndarray,
    location_id: np.ndarray,
    quantity: np.ndarray,
    needed_by: np.ndarray,
    release_date: np.ndarray,
) -> int:
    """Give MRP's buy orders of ``run_id`` to purchasing's cart, replacing earlier runs' ones
    (one COPY); dates are ``datetime64[D]``. Returns how many were handed over."""
    return planned_purchases_replace_arrays(
        run_id=run_id,
        product_id=product_id,
        location_id=location_id,
        quantity=quantity,
        needed_by=needed_by,
        release_date=release_date,
    )


def is_subcontractor(supplier_code: str) -> bool:
    """Whether ``supplier_code`` is a supplier of kind ``subcontract``."""
    return Supplier.objects.filter(code=supplier_code, kind=Supplier.Kind.SUBCONTRACT).exists()
