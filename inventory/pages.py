"""Server-rendered inventory pages (``/app/…``): session login, the active tenant's data only —
the dashboard (with the refresh and simulation buttons), "what to order" (list, export, bulk
exclusion) and the simulation reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Category, Location, ProductExclusion
from core import selectors as core_selectors
from core import services as core_services
from core.exceptions import DomainError, NotFound
from core.exports import csv_stream, xlsx_bytes
from core.pages import can_act, heavy_work, member_page, planner_action
from inventory import product_page
from inventory import simulation_service as service
from inventory import what_to_order as wto
from inventory.dashboard import PERIODS, inventory_dashboard
from inventory.metrics import inventory_settings_get
from inventory.models import SimulationRun
from inventory.simulation_verdict import simulation_verdict


@member_page
def dashboard_page(request):
    """The inventory dashboard: the same cached body as ``GET /api/v1/inventory/dashboard/``,
    drawn with the offline chart helpers. An unknown ``period`` falls back to weekly."""
    period = request.GET.get("period", "weekly")
    if period not in PERIODS:
        period = "weekly"
    data = inventory_dashboard(period=period)
    latest = SimulationRun.objects.order_by("-created_at").only("pk", "status").first()
    announced = core_selectors.announced_job()  # e.g. "The demo is being prepared"
    return render(
        request,
        "inventory/dashboard.html",
        {
            "data": data,
            "period": period,
            "periods": PERIODS,
            "can_act": can_act(request.user),
            "latest_simulation": latest,
            "announced_job": announced[0] if announced else None,
            "announcement": announced[1] if announced else "",
        },
    )


@require_POST
@planner_action
@heavy_work("inventory_refresh", "inventory refreshes")
def inventory_refresh_start(request):
    """The dashboard's "Refresh" button: the same job as ``POST /api/v1/inventory/calculate``;
    answers the job's progress bar (htmx polls it)."""
    job = core_services.job_create(kind="inventory_refresh", user=request.user)
    return render(request, "pages/_job_progress.html", {"job": job, "label": "Inventory refresh"})


@require_POST
@planner_action
@heavy_work("simulation", "simulations")
def simulation_start(request):
    """The "Simulate" button: a 365-day replay with the tenant's settings, or the run already
    queued or running (one at a time per tenant, like the API)."""
    raw_cost = request.POST.get("stockout_cost", "").strip()
    try:
        stockout_cost = float(raw_cost) if raw_cost else None
    except ValueError:
        return HttpResponse('<p class="muted">The stockout cost must be a number.</p>', status=400)
    try:
        run = service.simulation_run_active() or service.simulation_run_start(
            user=request.user, stockout_cost=stockout_cost
        )
    except DomainError as exc:
        return HttpResponse(f'<p class="muted">{escape(exc.message)}</p>', status=400)
    if run.job is None:  # a run started without a job (a command): nothing to poll
        return HttpResponse(f'<p class="muted">Run {run.pk} is already {run.status}.</p>')
    return render(
        request, "pages/_job_progress.html", {"job": run.job, "label": "Simulation (365 days)"}
    )


@require_GET
@member_page
def simulation_list(request):
    """The latest replays, newest first (one query)."""
    runs = list(SimulationRun.objects.order_by("-created_at").defer("daily")[:50])
    context = {"runs": runs, "can_act": can_act(request.user)}
    if context["can_act"]:
        context["settings_stockout_cost"] = inventory_settings_get().stockout_cost
    return render(request, "inventory/simulation_list.html", context)


def _cart_url() -> str | None:
    """The purchasing app's "add to cart" page action, by URL name: inventory sits below
    purchasing and does not import it; without purchasing the button is not shown."""
    try:
        return reverse("cart-add")
    except NoReverseMatch:
        return None


@require_GET
@member_page
def what_to_order(request):
    """The planner's daily list. Fixed query count per page: the tab counts (one GROUP BY, which
    is also the pager's count), the page of rows (one query: the page's ids sorted and
    paged alone, then their product, location and on-order) and the filter choices. An
    htmx request (filters, sort, pages) gets only the results fragment."""
    query = wto.what_to_order_query(request.GET)
    counts = wto.what_to_order_tab_counts(user=request.user, query=query)
    # The pager only numbers the pages: the tab counts already hold the count (no second
    # COUNT(*)), and the page's rows come from a deferred join instead of slicing the list.
    paginator = Paginator(range(counts[query.tab]), query.page_size)
    page = paginator.get_page(query.page)
    on_page = len(page.object_list)  # the rows this page holds (none: no query)
    page.object_list = (
        list(
            wto.what_to_order_page_rows(
                user=request.user,
                query=query,
                offset=page.start_index() - 1,
                limit=on_page,
                total=paginator.count,
            )
        )
        if on_page
        else []
    )
    for row in page.object_list:
        row.risk_pct = None if row.stockout_risk is None else round(100 * row.stockout_risk, 1)
    context = {
        "query": query,
        "page": page,
        "tabs": [
            {"key": key, "label": label, "url": query.url(tab=key, page=1), "count": counts[key]}
            for key, label, _ in wto.TABS
        ],
        "tab_counts": counts,
        "columns": [
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "sorted": query.sort == key,
                "url": query.url(
                    sort=key, descending=query.sort == key and not query.descending, page=1
                ),
            }
            for key, label, _, numeric in wto.COLUMNS
        ],
        "export_query": query.url(page=1)[1:],
        "can_act": can_act(request.user),
        "cart_url": _cart_url(),
        "scopes": ProductExclusion.Scope.choices,
        "exclude_url": reverse("what-to-order-exclude"),
        "page_sizes": wto.PAGE_SIZES,
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render(request, "inventory/_what_to_order_results.html", context)
    context["locations"] = list(Location.objects.order_by("code").values_list("code", "name"))
    context["categories"] = list(Category.objects.order_by("name").values_list("pk", "name"))
    return render(request, "inventory/what_to_order.html", context)


@require_GET
@member_page
def what_to_order_export(request, file_format: str):
    """Every row of the current filters (all pages), as CSV (streamed) or XLSX."""
    query = wto.what_to_order_query(request.GET)
    rows = wto.what_to_order_export_rows(user=request.user, query=query)
    name = f"what-to-order-{query.tab}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            csv_stream(wto.EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            xlsx_bytes(wto.EXPORT_HEADER, rows, title="what to order"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@planner_action
def what_to_order_exclude(request):
    """Bulk "exclude": the products of the chosen rows leave the chosen scopes (one exclusion
    per product; products that already have one are left as they are and counted)."""
    ids = [int(v) for v in request.POST.getlist("rows") if v.isdigit()][:1000]
    scopes = [s for s in request.POST.getlist("scopes") if s in ProductExclusion.Scope.values]
    reason = request.POST.get("reason", "").strip()[:255] or "Excluded from the what-to-order list"
    back = reverse("what-to-order") + "?" + request.POST.get("query", "")
    htmx = bool(request.headers.get("HX-Request"))  # a row's menu: answer in the row
    if not ids or not scopes:
        text = "Choose rows and at least one scope to exclude."
        if htmx:
            return render(request, "pages/_row_status.html", {"text": text, "level": "warning"})
        messages.warning(request, text)
        return redirect(back)
    product_ids = set(
        wto.InventoryMetrics.objects.filter(pk__in=ids).values_list("product_id", flat=True)
    )
    excluded = skipped = 0
    products = catalog_selectors.product_list(user=request.user).filter(pk__in=product_ids)
    for product in products.order_by("pk"):
        try:
            catalog_services.product_exclusion_create(
                product=product, reason=reason, scopes=scopes, user=request.user
            )
            excluded += 1
        except DomainError:
            skipped += 1
    text = (
        f"Excluded {excluded} product(s) from {', '.join(scopes)}"
        + (f"; {skipped} already had an exclusion." if skipped else ".")
        + " It takes effect at the next refresh."
    )
    if htmx:
        return render(request, "pages/_row_status.html", {"text": text, "level": "success"})
    messages.success(request, text)
    return redirect(back)


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
    stockout_cost = summary.get("stockout_cost") or {}
    return render(
        request,
        "inventory/simulation_detail.html",
        {
            "run": run,
            "summary": summary,
            "classes": classes,
            "chart": chart,
            "verdict": simulation_verdict(summary),
            "stockout_cost": stockout_cost,
            "stockout_cost_basis": service.STOCKOUT_COST_BASES.get(
                stockout_cost.get("basis", ""), ""
            ),
            "actual_items": ((summary.get("actual") or {}).get("all") or {}).get("items"),
        },
    )


_COSTS = ("holding_cost", "ordering_cost", "stockout_cost")

urlpatterns = [
    path("dashboard/", dashboard_page, name="inventory-dashboard"),
    path("dashboard/refresh/", inventory_refresh_start, name="inventory-refresh-page"),
    path("what-to-order/", what_to_order, name="what-to-order"),
    path(
        "what-to-order/export.csv",
        what_to_order_export,
        {"file_format": "csv"},
        name="what-to-order-export-csv",
    ),
    path(
        "what-to-order/export.xlsx",
        what_to_order_export,
        {"file_format": "xlsx"},
        name="what-to-order-export-xlsx",
    ),
    path("what-to-order/exclude/", what_to_order_exclude, name="what-to-order-exclude"),
    path(
        "products/<int:product_id>/forecast/",
        product_page.product_page,
        name="product-forecast-page",
    ),
    path(
        "products/<int:product_id>/forecast/export.csv",
        product_page.product_export,
        name="product-forecast-export",
    ),
    path("products/<int:product_id>/pin/", product_page.product_pin, name="product-pin"),
    path("simulations/", simulation_list, name="simulation-list"),
    path("simulations/start/", simulation_start, name="simulation-start-page"),
    path("simulations/<int:run_id>/", simulation_detail, name="simulation-detail"),
]
