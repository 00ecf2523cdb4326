"""Server-rendered inventory pages (``/app/…``): session login, the active tenant's data only —
the dashboard and the simulation report."""

from __future__ import annotations

from core.pages import member_page
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from core.exceptions import NotFound
from inventory import simulation_service as service
from inventory.dashboard import PERIODS, inventory_dashboard


@member_page
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


@member_page
def simulation_detail(request, run_id: int):
    """One run: daily inventory value (policy, baseline, actual), stockouts, costs, classes."""
    try:
        run = service.access_simulation_run(user=request.user, run_id=run_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    summary = run.summary or {}
    classes = [
        {
            "label": label,
            "proposed": summary["proposed"][label],
            "baseline": summary["baseline"][label],
            "actual": (summary.get("actual") or {}).get(label),
        }
        for label in ("all", "A", "B", "C")
        if label in (summary.get("proposed") or {})
    ]
    chart = {
        "daily": run.daily,
        "costs": {
            "labels": ["Holding", "Ordering", "Stockout"],
            "proposed": [summary["proposed"]["all"][key] for key in _COSTS]
            if summary.get("proposed")
            else [],
            "baseline": [summary["baseline"]["all"][key] for key in _COSTS]
            if summary.get("baseline")
            else [],
        },
    }
    return render(
        request,
        "inventory/simulation_detail.html",
        {"run": run, "summary": summary, "classes": classes, "chart": chart},
    )


_COSTS = ("holding_cost", "ordering_cost", "stockout_cost")

urlpatterns = [
    path("dashboard/", dashboard_page, name="inventory-dashboard"),
    path("simulations/<int:run_id>/", simulation_detail, name="simulation-detail"),
]
