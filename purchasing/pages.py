"""Server-rendered purchasing pages (session login, the active tenant's data only): the cart
grouped by supplier, the purchase order list with status tabs and an order's detail page.
Forms post here and call the same services as the API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from core.exceptions import DomainError
from core.models import AuditLog
from core.pages import member_page, planner_action
from inventory.models import InventoryMetrics
from purchasing import cart_service, selectors, services
from purchasing.models import PurchaseOrder


def _can_write(request) -> bool:
    return request.user.has_role(User.Role.PLANNER)


def _order_or_404(request, order_id: int) -> PurchaseOrder:
    try:
        return selectors.access_purchase_order(user=request.user, order_id=order_id)
    except DomainError:
        raise Http404("No such purchase order.") from None


@member_page
def cart(request):
    lines = list(selectors.order_suggestion_list(user=request.user).filter(status="open"))
    budget = selectors.purchasing_settings_get().cart_budget
    groups: dict[str, dict] = {}
    for line in lines:
        key = (
            line.supplier.code
            if line.supplier_id
            else (f"transfer from {line.source_location.code}" if line.source_location_id else "—")
        )
        group = groups.setdefault(
            key,
            {
                "name": key,
                "lines": [],
                "total": Decimal("0"),
                "minimum": line.supplier.min_order_value if line.supplier_id else Decimal("0"),
            },
        )
        group["lines"].append(line)
        if line.reason is None and line.value is not None:
            group["total"] += line.value
    for group in groups.values():
        group["below_minimum"] = group["total"] < group["minimum"]
    return render(
        request,
        "purchasing/cart.html",
        {
            "groups": list(groups.values()),
            "totals": selectors.cart_totals(lines, budget),
            "can_write": _can_write(request),
        },
    )


@planner_action
@require_POST
def cart_action(request):
    if not _can_write(request):
        raise Http404("No such page.")
    action = request.POST.get("action")
    try:
        if action == "build":
            raw = (request.POST.get("budget") or "").strip()
            budget = Decimal(raw) if raw else None
            cart_service.cart_build(budget=budget)
        elif action == "update":
            line = selectors.access_order_suggestion(
                user=request.user, suggestion_id=request.POST["line"]
            )
            cart_service.order_suggestion_update(
                suggestion=line, quantity=Decimal(request.POST["quantity"])
            )
        elif action == "remove":
            selectors.access_order_suggestion(
                user=request.user, suggestion_id=request.POST["line"]
            ).delete()
        elif action == "convert":
            converted = cart_service.cart_convert(user=request.user)
            messages.success(
                request,
                f"{len(converted.purchase_orders)} purchase order(s) and "
                f"{len(converted.transfer_orders)} transfer order(s) created.",
            )
            return redirect("/app/purchase-orders/?status=draft")
    except (DomainError, InvalidOperation, KeyError) as exc:
        messages.error(request, str(exc) or "Invalid input.")
    return redirect("/app/cart/")


@planner_action
@require_POST
def cart_add(request):
    """The what-to-order page's "add to cart": the chosen metrics rows become (or refresh)
    cart lines; the rest of the cart stays as it is."""
    ids = [int(v) for v in request.POST.getlist("rows") if v.isdigit()][:1000]
    pairs = list(
        InventoryMetrics.objects.filter(pk__in=ids).values_list("product_id", "location_id")
    )
    htmx = bool(request.headers.get("HX-Request"))  # a row's button: answer in the row
    if not pairs:
        text = "Choose rows to add to the cart."
        if htmx:
            return render(request, "pages/_row_status.html", {"text": text, "level": "warning"})
        messages.warning(request, text)
        return redirect("/app/what-to-order/?" + request.POST.get("query", ""))
    result = cart_service.cart_build(pairs=pairs)
    text = f"{result.lines} line(s) added to the cart, {result.kept} with a quantity to buy."
    if htmx:
        return render(
            request,
            "pages/_row_status.html",
            {"text": text, "level": "success", "link": "/app/cart/", "link_label": "Open cart"},
        )
    messages.success(request, text)
    return redirect("/app/cart/")


@member_page
def order_list(request):
    status = request.GET.get("status") or ""
    orders = selectors.purchase_order_list(user=request.user)
    if status:
        orders = orders.filter(status=status)
    return render(
        request,
        "purchasing/order_list.html",
        {
            "orders": orders.order_by("-created_at")[:200],
            "status": status,
            "statuses": PurchaseOrder.Status.values,
        },
    )


@member_page
def order_detail(request, order_id: int):
    order = _order_or_404(request, order_id)
    timeline = AuditLog.objects.filter(
        object_type="purchasing.purchaseorder", object_id=str(order.pk)
    ).order_by("created_at")
    return render(
        request,
        "purchasing/order_detail.html",
        {
            "order": order,
            "receipts": selectors.receipt_list(order=order),
            "timeline": timeline,
            "allowed": services.ALLOWED[order.status],
            "can_write": _can_write(request),
        },
    )


@planner_action
@require_POST
def order_action(request, order_id: int):
    order = _order_or_404(request, order_id)
    if not _can_write(request):
        raise Http404("No such page.")
    action = request.POST.get("action", "")
    try:
        if action in {"approve", "send"}:
            getattr(services, f"purchase_order_{action}")(order=order, user=request.user)
        elif action in {"cancel", "close"}:
            getattr(services, f"purchase_order_{action}")(
                order=order, user=request.user, reason=request.POST.get("reason", "")
            )
        elif action == "receive":
            receipts = [
                services.ReceiptInput(line.pk, Decimal(request.POST[f"qty_{line.pk}"]))
                for line in order.lines.all()
                if (request.POST.get(f"qty_{line.pk}") or "").strip() not in {"", "0"}
            ]
            services.purchase_order_receive(order=order, receipts=receipts, user=request.user)
        else:
            raise KeyError(action)
        messages.success(request, f"{order.reference}: {action} done.")
    except (DomainError, InvalidOperation, KeyError) as exc:
        messages.error(request, str(exc) or "Invalid input.")
    return redirect(f"/app/purchase-orders/{order.pk}/")
