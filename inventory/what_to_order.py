"""The "what to order" list (the planner's daily screen): product × location rows of the
inventory metrics with their stock on order, filtered, sorted and paged in the database.

``what_to_order_query`` reads and cleans the request's parameters (unknown values fall back to
the defaults, sort keys are whitelisted); ``what_to_order_rows`` returns the filtered, sorted
queryset and ``what_to_order_page_rows`` one page of it (a deferred join);
``what_to_order_tab_counts`` counts rows per status tab under the same filters.
The list, its export and its bulk actions all use the same query, so an export holds exactly
what the list shows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, FilteredRelation, Q, QuerySet

from inventory.models import InventoryMetrics

Status = InventoryMetrics.Status

# Status tabs: (key, label, statuses); None = every row.
TABS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("action", "Needs action", (Status.CRITICAL, Status.REORDER_NOW)),
    ("critical", "Critical", (Status.CRITICAL,)),
    ("overstock", "Overstock", (Status.OVERSTOCK,)),
    ("dead_stock", "Dead stock", (Status.DEAD_STOCK,)),
    ("all", "All", None),
)
TAB_STATUSES = {key: statuses for key, _, statuses in TABS}

# Columns: (key, header, sort expression, numeric). Every column sorts; nothing else does.
COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("sku", "SKU", "product__sku", False),
    ("name", "Product", "product__name", False),
    ("location", "Location", "location__code", False),
    ("on_hand", "On hand", "on_hand", True),
    ("on_order", "On order", "on_order", True),
    ("days_of_cover", "Days of cover", "days_of_cover", True),
    ("reorder_point", "Reorder point", "reorder_point", True),
    ("order_up_to", "Order-up-to", "order_up_to", True),
    ("recommended_order_qty", "Recommended qty", "recommended_order_qty", True),
    ("latest_order_date", "Order by", "latest_order_date", False),
    ("stockout_risk", "Stockout risk", "stockout_risk", True),
    ("status", "Status", "status", False),
    ("abc_class", "ABC", "abc_class", False),
    ("xyz_class", "XYZ", "xyz_class", False),
)
SORTS = {key: expression for key, _, expression, _ in COLUMNS}
PAGE_SIZES = (25, 50, 100, 200)


@dataclass(frozen=True)
class WhatToOrderQuery:
    tab: str = "action"
    location: str = ""
    category: int | None = None
    supplier: str = ""
    abc: str = ""
    xyz: str = ""
    search: str = ""
    sort: str = "latest_order_date"
    descending: bool = False
    page: int = 1
    page_size: int = 50

    def params(self, **changes: Any) -> dict[str, Any]:
        """The query as URL parameters (defaults left out), with ``changes`` applied."""
        query = replace(self, **changes)
        values = {
            "tab": query.tab,
            "location": query.location,
            "category": query.category or "",
            "supplier": query.supplier,
            "abc": query.abc,
            "xyz": query.xyz,
            "q": query.search,
            "sort": ("-" if query.descending else "") + query.sort,
            "page": query.page if query.page > 1 else "",
            "size": query.page_size if query.page_size != 50 else "",
        }
        return {key: value for key, value in values.items() if value not in ("", None)}

    def url(self, **changes: Any) -> str:
        return "?" + urlencode(self.params(**changes))


def what_to_order_query(params: Mapping[str, str]) -> WhatToOrderQuery:
    """Clean request parameters: anything unknown or malformed takes the default."""
    tab = params.get("tab", "action")
    sort = params.get("sort", "latest_order_date")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    try:
        category = int(params.get("category") or 0) or None
    except ValueError:
        category = None
    try:
        page = max(1, min(int(params.get("page") or 1), 1_000_000))
    except ValueError:
        page = 1
    try:
        size = int(params.get("size") or 50)
    except ValueError:
        size = 50
    abc, xyz = params.get("abc", "").upper(), params.get("xyz", "").upper()
    return WhatToOrderQuery(
        tab=tab if tab in TAB_STATUSES else "action",
        location=params.get("location", "").strip()[:64],
        category=category,
        supplier=params.get("supplier", "").strip()[:64],
        abc=abc if abc in ("A", "B", "C") else "",
        xyz=xyz if xyz in ("X", "Y", "Z") else "",
        search=params.get("q", "").strip()[:100],
        sort=sort if sort in SORTS else "latest_order_date",
        descending=descending if sort in SORTS else False,
        page=page,
        page_size=size if size in PAGE_SIZES else 50,
    )


def _filtered(query: WhatToOrderQuery) -> QuerySet[InventoryMetrics]:
    """Every filter but the status tab."""
    rows = InventoryMetrics.objects.all()
    if query.location:
        rows = rows.filter(location__code=query.location)
    if query.category:
        rows = rows.filter(product__category_id=query.category)
    if query.supplier:
        rows = rows.filter(product__supplier_code=query.supplier)
    if query.abc:
        rows = rows.filter(abc_class=query.abc)
    if query.xyz:
        rows = rows.filter(xyz_class=query.xyz)
    if query.search:
        rows = rows.filter(
            Q(product__sku__icontains=query.search) | Q(product__name__icontains=query.search)
        )
    return rows


def _ordering(query: WhatToOrderQuery, *, reverse: bool = False) -> tuple[Any, Any]:
    """The list's order: the sort column with NULLs last, then the id, so pages never overlap.
    ``reverse`` is exactly that order backwards (NULLs first, ids descending)."""
    expression, tie_break = F(SORTS[query.sort]), F("id")
    if query.descending == reverse:
        if reverse:
            return expression.asc(nulls_first=True), tie_break.desc()
        return expression.asc(nulls_last=True), tie_break.asc()
    if reverse:
        return expression.desc(nulls_first=True), tie_break.desc()
    return expression.desc(nulls_last=True), tie_break.asc()


def _with_on_order(rows: QuerySet[InventoryMetrics]) -> QuerySet[InventoryMetrics]:
    """``on_order`` from the pair's stock level by a LEFT JOIN (product → its stock levels at
    the row's location), not a correlated subquery: a subquery runs once per row the database
    walks, including the rows an OFFSET skips (ADR 30)."""
    return rows.annotate(
        stock_here=FilteredRelation(
            "product__stock_levels",
            condition=Q(product__stock_levels__location_id=F("location_id")),
        ),
        on_order=F("stock_here__on_order"),
    )


def _tabbed(query: WhatToOrderQuery) -> QuerySet[InventoryMetrics]:
    rows = _filtered(query)
    statuses = TAB_STATUSES[query.tab]
    if statuses is not None:
        rows = rows.filter(status__in=statuses)
    return rows


def what_to_order_rows(*, user: Any, query: WhatToOrderQuery) -> QuerySet[InventoryMetrics]:
    """The rows of the list (every page), with ``product``, ``location`` and ``on_order``
    (the stock level's units on open purchase orders), in the list's order: the export's
    query."""
    return (
        _with_on_order(_tabbed(query))
        .select_related("product", "location")
        .order_by(*_ordering(query))
    )


def what_to_order_page_rows(
    *, user: Any, query: WhatToOrderQuery, offset: int, limit: int, total: int | None = None
) -> QuerySet[InventoryMetrics]:
    """Rows ``offset`` to ``offset + limit`` of ``what_to_order_rows``, by a deferred join in
    one SQL statement: the inner query filters, sorts and pages the metrics ids alone (joining
    product, location or the stock level only when a filter or the sort needs them), the outer
    one loads those rows with their product, location and on-order. An OFFSET then skips
    narrow id rows instead of rows joined to three tables. Given the list's ``total``, a page
    in the second half is read from the other end in the reverse order (the last page is
    then the first rows of a reverse sort: a top-N sort, not a sort of every row); the outer
    query puts the rows back in the list's order (ADR 30)."""
    ids = _tabbed(query)
    if query.sort == "on_order":
        ids = _with_on_order(ids)
    if total is not None and offset < total and 2 * offset + limit > total:
        from_end = total - offset - limit
        if from_end < 0:  # the last page holds fewer than ``limit`` rows
            limit, from_end = limit + from_end, 0
        ids = ids.order_by(*_ordering(query, reverse=True)).values("id")
        ids = ids[from_end : from_end + limit]
    else:
        ids = ids.order_by(*_ordering(query)).values("id")[offset : offset + limit]
    return (
        _with_on_order(InventoryMetrics.objects.filter(id__in=ids))
        .select_related("product", "location")
        .order_by(*_ordering(query))
    )


def what_to_order_tab_counts(*, user: Any, query: WhatToOrderQuery) -> dict[str, int]:
    """Rows per tab under the query's other filters: one GROUP BY status."""
    per_status = dict(
        _filtered(query)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        key: sum(per_status.values())
        if statuses is None
        else sum(per_status.get(status, 0) for status in statuses)
        for key, _, statuses in TABS
    }


EXPORT_HEADER = [
    "sku", "name", "location", "on_hand", "on_order", "days_of_cover", "reorder_point",
    "order_up_to", "recommended_order_qty", "latest_order_date", "stockout_risk", "status",
    "abc_class", "xyz_class", "supplier", "category",
]  # fmt: skip


def what_to_order_export_rows(*, user: Any, query: WhatToOrderQuery) -> Iterator[tuple[Any, ...]]:
    """Every row of the query (all pages) in the list's order, for CSV/XLSX; streamed from a
    server-side cursor. Stockout risk stays a probability 0–1 (ARCHITECTURE §8)."""
    rows = what_to_order_rows(user=user, query=query).values_list(
        "product__sku", "product__name", "location__code", "on_hand", "on_order",
        "days_of_cover", "reorder_point", "order_up_to", "recommended_order_qty",
        "latest_order_date", "stockout_risk", "status", "abc_class", "xyz_class",
        "product__supplier_code", "product__category__name",
    )  # fmt: skip
    yield from rows.iterator(chunk_size=2000)
