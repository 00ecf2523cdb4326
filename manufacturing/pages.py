"""Server-rendered manufacturing pages (session login, the active tenant's data only): the
indented BOM tree with cost roll-up, the latest MRP result with pegging and exceptions, and
the work-centre load against capacity."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from catalog.models import Location, Product
from core.pages import member_page
from manufacturing import selectors
from manufacturing.models import Peg

MAX_ORDERS_SHOWN = 500


@member_page
def bom_tree_page(request, product_id: int):
    try:
        product = Product.objects.get(pk=product_id)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None
    rows = selectors.bom_tree(product=product)
    return render(
        request,
        "manufacturing/bom_tree.html",
        {"product": product, "rows": rows, "unit_cost": rows[0]["unit_cost"] if rows else None},
    )


@member_page
def mrp_page(request):
    run = selectors.latest_mrp_run()
    context: dict = {"run": run}
    if run is not None:
        orders = list(
            selectors.planned_order_list(run=run).order_by(
                "product__sku", "location__code", "due_date"
            )[:MAX_ORDERS_SHOWN]
        )
        pegs = defaultdict(list)
        for peg in Peg.objects.filter(planned_order_id__in=[o.pk for o in orders]):
            pegs[peg.planned_order_id].append(peg)
        skus = dict(
            Product.objects.filter(
                pk__in={p.product_id for ps in pegs.values() for p in ps}
            ).values_list("id", "sku")
        )
        codes = dict(Location.objects.values_list("id", "code"))
        items: dict[str, list] = defaultdict(list)
        for order in orders:
            order.pegged_to = "; ".join(
                selectors.peg_label(p, skus, codes) for p in pegs.get(order.pk, [])
            )
            items[f"{order.product.sku} @ {order.location.code}"].append(order)
        context.update(
            items=sorted(items.items()),
            shown=len(orders),
            exceptions=list(selectors.mrp_exception_list(run=run)[:200]),
        )
    return render(request, "manufacturing/mrp.html", context)


@member_page
def capacity_page(request):
    try:
        first = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = timezone.localdate()
    last = first + timedelta(days=27)
    centres = selectors.capacity_load(date_from=first, date_to=last)
    charts = [
        {
            "id": f"wc-{c['work_centre_id']}",
            "code": c["work_centre"],
            "x": [d["date"].isoformat() for d in c["days"]],
            "load": [d["load_hours"] for d in c["days"]],
            "capacity": [d["capacity_hours"] for d in c["days"]],
            "overloaded": [d["date"].isoformat() for d in c["days"] if d["overloaded"]],
        }
        for c in centres
    ]
    return render(
        request, "manufacturing/capacity.html", {"charts": charts, "first": first, "last": last}
    )
