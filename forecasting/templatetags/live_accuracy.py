"""Template tags of the live accuracy panels (ADR 38): the Test Bed's and the product page's
live scores and champion / challenger trials render from their own partials, so the pages'
views and templates change by one line each."""

from __future__ import annotations

from typing import Any

from django import template

from core.pages import can_act
from forecasting import selectors
from forecasting.engine.methods import METHODS

register = template.Library()

TRIALS_SHOWN = 20
METHOD_CHOICES = sorted(METHODS)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100.0 * share, 1)


def _planner(metrics: dict[str, Any]) -> dict[str, Any]:
    """Shares as the pages show them: accuracy % (1 − WAPE, floored at 0), bias % and
    value added over seasonal naive %."""
    wape = metrics.get("wape")
    return {
        **metrics,
        "accuracy": None if wape is None else max(0.0, round(100.0 * (1.0 - wape), 1)),
        "bias_pct": _percent(metrics.get("bias")),
        "fva_pct": _percent(metrics.get("fva")),
    }


def _trial(trial: dict[str, Any]) -> dict[str, Any]:
    return {
        **trial,
        "champion": _planner(trial["champion"]),
        "challenger": _planner(trial["challenger"]),
        "improvement_pct": _percent(trial.get("improvement")),
    }


@register.inclusion_tag("forecasting/_test_bed_live.html", takes_context=True)
def test_bed_live(context: Any) -> dict[str, Any]:
    """The Test Bed's live accuracy (tenant, per demand class) and challengers on trial."""
    request = context["request"]
    summary = selectors.live_accuracy_summary(user=request.user)
    trials = selectors.challenger_trials(user=request.user, limit=TRIALS_SHOWN)
    return {
        "live": summary,
        "tenant": _planner(summary["tenant"]),
        "by_class": [_planner(row) for row in summary["by_class"]],
        "trials": [_trial(t) for t in trials],
        "can_act": can_act(request.user),
        "methods": METHOD_CHOICES,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("forecasting/_product_live.html", takes_context=True)
def product_live(context: Any, product: Any) -> dict[str, Any]:
    """The product page's live accuracy per location and its champion / challenger."""
    request = context["request"]
    panel = selectors.product_live_panel(user=request.user, product_id=product.pk)
    return {
        "product": product,
        "series": [
            {**row, "live": _planner(row["live"]), "trial": _trial(row["trial"])}
            if row["trial"]
            else {**row, "live": _planner(row["live"])}
            for row in panel
        ],
        "can_act": can_act(request.user),
        "methods": METHOD_CHOICES,
        "csrf_token": context.get("csrf_token"),
    }
