"""Server-rendered forecasting pages (session login, the active tenant's data only): a
product's history and forecast with its interval band and Test Bed leaderboard, and the
Test Bed summary of a run."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.http import require_POST

from catalog.models import Location, Product
from core.exceptions import DomainError, NotFound
from core.pages import can_act, member_page, planner_action
from forecasting import selectors, services


def _chart_data(series: dict[str, Any]) -> dict[str, Any]:
    history, forecast = series["history"], series["forecast"]
    x = [h["period"].isoformat() for h in history] + [f["period"].isoformat() for f in forecast]
    gap_h, gap_f = [None] * len(forecast), [None] * len(history)
    return {
        "x": x,
        "markX": forecast[0]["period"].isoformat() if forecast else None,
        "history": [h["quantity"] for h in history] + gap_h,
        "forecast": gap_f + [f["forecast"] for f in forecast],
        "p50": gap_f + [f["p50"] for f in forecast],
        "p10": gap_f + [f["p10"] for f in forecast],
        "p90": gap_f + [f["p90"] for f in forecast],
        "p05": gap_f + [f["p05"] for f in forecast],
        "p95": gap_f + [f["p95"] for f in forecast],
        "lower_90": gap_f + [f["lower_90"] for f in forecast],
        "upper_90": gap_f + [f["upper_90"] for f in forecast],
    }


def _label(method: str) -> str:
    """A chart label short enough for the axis."""
    return method.replace("holt_winters_", "HW ").replace("_", " ")


def _leaderboard_chart(board: dict[str, Any]) -> dict[str, Any]:
    """Mean RMSSE per method over the SKU's locations, best first."""
    totals: dict[str, list[float]] = {}
    for series in board["series"]:
        for method in series["methods"]:
            if method["rmsse"] is not None:
                totals.setdefault(method["method"], []).append(method["rmsse"])
    ranked = sorted((sum(v) / len(v), name) for name, v in totals.items())
    return {"labels": [_label(name) for _, name in ranked], "values": [v for v, _ in ranked]}


@member_page
def product_forecast(request, product_id: int):
    try:
        product = Product.objects.select_related("category").get(pk=product_id)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None
    interval = request.GET.get("interval", "day")
    if interval not in selectors.INTERVALS:
        interval = "day"
    code = request.GET.get("location") or None
    context: dict[str, Any] = {
        "product": product,
        "interval": interval,
        "location": code,
        "locations": list(Location.objects.order_by("code").values_list("code", flat=True)),
        "has_run": False,
    }
    try:
        series = selectors.forecast_series(
            user=request.user, sku=product.sku, location=code, interval=interval
        )
        board = selectors.test_bed_leaderboard(user=request.user, sku=product.sku, location=code)
    except NotFound:
        return render(request, "forecasting/product_forecast.html", context)
    context.update(
        has_run=True,
        run_id=series["run"],
        chart=_chart_data(series),
        leaderboard=_leaderboard_chart(board),
        board=board["series"],
        horizon_total=sum(f["forecast"] for f in series["forecast"]),
        horizon_p90=sum(f["p90"] for f in series["forecast"]),
    )
    return render(request, "forecasting/product_forecast.html", context)


@member_page
def test_bed(request):
    context: dict[str, Any] = {"has_run": False, "can_act": can_act(request.user)}
    try:
        summary = selectors.test_bed_summary(user=request.user)
    except NotFound:
        return render(request, "forecasting/test_bed.html", context)
    patterns = sorted({cell["pattern"] for cell in summary["matrix"]})
    methods = [m["method"] for m in summary["methods"]]
    cells = {(c["pattern"], c["method"]): c for c in summary["matrix"]}
    rows = [
        {
            "method": method,
            "cells": [cells.get((pattern, method), {}) for pattern in patterns],
        }
        for method in methods
    ]
    context.update(
        has_run=True,
        summary=summary,
        worst=selectors.test_bed_worst_series(user=request.user, run_id=summary["run"]),
        patterns=patterns,
        rows=rows,
        chart={
            "labels": [_label(method) for method in methods],
            "rmsse": [m["mean_rmsse"] for m in summary["methods"]],
            "selected": [m["selected_series"] for m in summary["methods"]],
        },
    )
    return render(request, "forecasting/test_bed.html", context)


@require_POST
@planner_action
def forecast_run_start(request):
    """The Test Bed's "Run a forecast" button: a run with the tenant's settings (or the one
    already queued or running, as the API does); answers the job's progress bar."""
    try:
        run = services.forecast_run_active() or services.forecast_run_start(user=request.user)
    except DomainError as exc:
        return HttpResponse(f'<p class="muted">{escape(exc.message)}</p>', status=400)
    if run.job is None:  # a run started without a job (a command): nothing to poll
        return HttpResponse(f'<p class="muted">Run {run.pk} is already {run.status}.</p>')
    return render(request, "pages/_job_progress.html", {"job": run.job, "label": "Forecast run"})
