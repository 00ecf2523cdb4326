"""Server-rendered forecasting pages (session login, the active tenant's data only): the Test
Bed summary of a run. The product page, which adds the stock panel, is in
``inventory.product_page`` (ADR 30)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, NotFound
from core.pages import can_act, heavy_work, member_page, planner_action
from forecasting import selectors, services
from forecasting.planning import stock_classes


def _label(method: str) -> str:
    """A chart label short enough for the axis."""
    return method.replace("holt_winters_", "HW ").replace("_", " ")


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
    worst = selectors.test_bed_worst_series(user=request.user, run_id=summary["run"])
    classes = stock_classes([(s["product_id"], s["location_id"]) for s in worst])
    worst = [
        {
            **s,
            "stock_class": classes.get((s["product_id"], s["location_id"]), "–"),
            "accuracy": _accuracy(s["wape"]),
        }
        for s in worst
    ]
    accuracy = summary.get("accuracy") or {}
    bias = _percent(accuracy.get("bias_pct"))
    try:
        roi = selectors.test_bed_roi(user=request.user, run_id=summary["run"], top=5)
    except DomainError:  # the run did not backtest the comparison method: no estimate
        roi = None
    context.update(
        has_run=True,
        summary=summary,
        accuracy={
            **{
                key: None if value is None else max(0.0, value)
                for key, value in (
                    ("day", _percent(accuracy.get("accuracy_day"))),
                    ("week", _percent(accuracy.get("accuracy_week"))),
                    ("month", _percent(accuracy.get("accuracy_month"))),
                )
            },
            "bias": bias,
            "bias_warn": bias is not None and abs(bias) > 10,
        },
        methods=[_planner_terms(m) for m in summary["methods"]],
        roi=roi,
        worst=worst,
        patterns=patterns,
        rows=rows,
        chart={
            "labels": [_label(method) for method in methods],
            "rmsse": [m["mean_rmsse"] for m in summary["methods"]],
            "selected": [m["selected_series"] for m in summary["methods"]],
        },
    )
    return render(request, "forecasting/test_bed.html", context)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100.0 * share, 1)


def _accuracy(wape: float | None) -> float | None:
    """Accuracy % = 1 − WAPE, floored at 0 % (a WAPE above 100 % reads as no accuracy)."""
    return None if wape is None else max(0.0, round(100.0 * (1.0 - wape), 1))


def _planner_terms(method: dict[str, Any]) -> dict[str, Any]:
    """A method's mean backtest scores as a planner reads them: accuracy % per day, week and
    month, and bias %."""
    return {
        **method,
        "accuracy_day": _accuracy(method.get("mean_wape")),
        "accuracy_week": _accuracy(method.get("mean_wape_week")),
        "accuracy_month": _accuracy(method.get("mean_wape_month")),
        "bias_pct": _percent(method.get("mean_bias_pct")),
    }


@require_POST
@planner_action
@heavy_work("forecast_run", "forecast runs")
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


@require_POST
@planner_action
def challenger_promote(request, entry_id: int):
    """The "Promote" button of the Test Bed and the product page: the planner promotes a
    series' challenger now (the API's ``promote`` action; the evidence so far is kept)."""
    try:
        entry = selectors.access_model_registry_entry(user=request.user, entry_id=entry_id)
    except NotFound as exc:
        return HttpResponse(f"<p>{escape(exc.message)}</p>", status=404)
    if request.POST.get("next") == "product":
        back = reverse("product-forecast-page", args=[entry.product_id])
        back += f"?location={quote(entry.location.code)}"
    else:
        back = reverse("test-bed-page")
    try:
        services.challenger_promote(entry=entry, user=request.user)
    except DomainError as exc:
        return HttpResponse(
            f'<p>{escape(exc.message)}</p><p><a href="{escape(back)}">Back</a></p>', status=409
        )
    messages.success(
        request,
        f"{entry.challenger} is now the champion of {entry.product.sku}@{entry.location.code}.",
    )
    return redirect(back)


@require_POST
@planner_action
def challenger_nominate(request, entry_id: int):
    """The product page's "Nominate" form: a planner names the challenger of one series (the
    API's ``challenge`` action); the next run forecasts it in shadow."""
    try:
        entry = selectors.access_model_registry_entry(user=request.user, entry_id=entry_id)
    except NotFound as exc:
        return HttpResponse(f"<p>{escape(exc.message)}</p>", status=404)
    back = reverse("product-forecast-page", args=[entry.product_id])
    back += f"?location={quote(entry.location.code)}"
    method = request.POST.get("method", "")
    try:
        services.challenger_nominate(
            entry=entry, method=method, user=request.user, replace=bool(request.POST.get("replace"))
        )
    except DomainError as exc:
        return HttpResponse(
            f'<p>{escape(exc.message)}</p><p><a href="{escape(back)}">Back</a></p>',
            status=exc.status_code,
        )
    messages.success(
        request,
        f"{method} is the challenger of {entry.product.sku}@{entry.location.code} from the "
        "next forecast run.",
    )
    return redirect(back)
