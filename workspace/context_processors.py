"""The navigation bar of every page (``templates/pages/base.html``).

Pages of other apps (cart and purchase orders, MRP and capacity) join the bar as their URL
names appear: a link whose name does not resolve is left out, so the bar never points at a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

# (label, URL name, the path prefixes that mark the link active). Order is the bar's order.
NAVIGATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Dashboard", "inventory-dashboard", ("/app/dashboard/",)),
    ("What to order", "what-to-order", ("/app/what-to-order/",)),
    ("Forecasts / Test Bed", "test-bed-page", ("/app/test-bed/", "/app/products/")),
    ("What-if", "scenario-list-page", ("/app/scenarios/",)),
    ("Simulation", "simulation-list", ("/app/simulations/",)),
    ("Routes", "route-plan-list", ("/app/route-plans/",)),
    # Slots for the purchasing and manufacturing pages (their own issues): shown once they land.
    ("Cart", "cart-page", ("/app/cart/",)),
    ("Purchase orders", "purchase-order-list-page", ("/app/purchase-orders/",)),
    ("MRP", "mrp-page", ("/app/mrp/",)),
    ("BOMs", "bom-list-page", ("/app/boms/",)),
    ("Capacity", "capacity-page", ("/app/capacity/",)),
)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: the links of the bar that exist on this deployment; no database query."""
    if not request.path.startswith("/app/"):
        return {}
    links = []
    for label, name, prefixes in NAVIGATION:
        url = _url(name)
        if url is not None:
            links.append({"label": label, "url": url, "active": request.path.startswith(prefixes)})
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.has_role("planner"):
        url = reverse("import-list-page")  # planners and admins upload files (viewers: URL)
        links.append({"label": "Imports", "url": url, "active": request.path.startswith(url)})
    if user is not None and user.is_authenticated and user.has_role("admin"):
        url = reverse("workspace-users")  # admins also manage the tenant's users
        links.append({"label": "Users", "url": url, "active": request.path.startswith(url)})
    return {"nav": links}


def currency(request: HttpRequest) -> dict[str, Any]:
    """``currency``: the tenant's currency code for money on the pages, looked up only when a
    template shows it (lazy: pages without money make no query)."""
    if not request.path.startswith("/app/") or not hasattr(request, "tenant"):
        return {}
    from purchasing.selectors import tenant_currency

    return {"currency": SimpleLazyObject(tenant_currency)}
