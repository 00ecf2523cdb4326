"""Server-rendered inventory pages (``/app/…``): session login, the active tenant's data only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from inventory.dashboard import PERIODS, inventory_dashboard


@login_required
def dashboard_page(request):
    """The inventory dashboard: the same cached body as ``GET /api/v1/inventory/dashboard/``,
    drawn with the offline chart helpers. An unknown ``period`` falls back to weekly."""
    period = request.GET.get("period", "weekly")
    if period not in PERIODS:
        period = "weekly"
    data = inventory_dashboard(period=period)
    return render(
        request,
        "inventory/dashboard.html",
        {"data": data, "period": period, "periods": PERIODS},
    )
