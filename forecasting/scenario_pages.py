"""The what-if pages (``/app/scenarios/…``, ADR 46): the tenant's scenarios with a planner's
form to add one (a campaign only the what-if has, or a change of the forecast in percent),
and one scenario's page, which charts a SKU's base and what-if forecasts and the what-if's
parts (level, trend, weekly, yearly, promotion, other) from the selector the explain API
uses. The form goes through the API's input serializer and service, so the page and
``POST /api/v1/scenarios/`` accept and refuse the same things."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalog.models import Product
from core.exceptions import DomainError, NotFound
from core.pages import can_act, member_page, planner_action
from forecasting import selectors, services
from forecasting.api.serializers import ScenarioInputSerializer
from forecasting.models import Scenario

# The SKUs offered in the detail page's search list (a longer list is cut; any SKU may be typed).
MAX_LISTED_SKUS = 500

CAMPAIGN_FIELDS = ("campaign_name", "campaign_start", "campaign_end", "campaign_sku")
CAMPAIGN_FIELDS += ("campaign_category", "campaign_uplift")
CHANGE_FIELDS = ("change_percent", "change_sku", "change_category", "change_from", "change_to")
LABELS = {
    "name": "Name",
    "start": "Campaign start",
    "end": "Campaign end",
    "sku": "SKU",
    "category": "Category",
    "uplift": "Uplift",
    "multiplier": "Change",
    "date_from": "From",
    "date_to": "To",
    "base_run": "Forecast run",
}


def describe(adjustment: dict[str, Any]) -> str:
    """One adjustment in a planner's words (no query)."""
    if "multipliers" in adjustment:
        factors = list(adjustment["multipliers"].values())
        span = f"{adjustment.get('date_from')} to {adjustment.get('date_to')}"
        what_if = adjustment.get("what_if")
        if what_if is not None:
            scope = (
                f"SKU {what_if['sku']}" if what_if.get("sku") else f"category {what_if['category']}"
            )
            uplift = what_if.get("uplift")
            lift = "learned uplift" if uplift is None else f"{100 * float(uplift):+.0f} %"
            return (
                f"New campaign “{adjustment.get('campaign_name', '')}” on {scope}, {span}, "
                f"{lift} ({len(factors)} SKU{'s' if len(factors) != 1 else ''})"
            )
        mean = sum(factors) / len(factors) if factors else 1.0
        return (
            f"Campaign “{adjustment.get('campaign_name', '')}”, {span}, "
            f"{len(factors)} SKU{'s' if len(factors) != 1 else ''} × {mean:.2f} on average"
        )
    scope = []
    if adjustment.get("sku"):
        scope.append(f"SKU {adjustment['sku']}")
    if adjustment.get("category"):
        scope.append(f"category {adjustment['category']}")
    text = f"{100 * (float(adjustment['multiplier']) - 1):+.0f} % on "
    text += " and ".join(scope) if scope else "every SKU"
    if adjustment.get("date_from") or adjustment.get("date_to"):
        text += f", {adjustment.get('date_from') or '…'} to {adjustment.get('date_to') or '…'}"
    return text


def _percent(value: str, field: str, errors: list[str]) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value.replace(",", ".").replace("%", "").strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # "nan" and "inf" parse as floats
        errors.append(f"{field}: not a number.")
        return None
    return number / 100.0


def _input(post: Any) -> tuple[dict[str, Any], list[str], list[str]]:
    """The API's input body from the form (and the kind of each adjustment, for messages)."""
    errors: list[str] = []
    adjustments: list[dict[str, Any]] = []
    kinds: list[str] = []
    if any(post.get(f, "").strip() for f in CAMPAIGN_FIELDS):
        campaign: dict[str, Any] = {
            key: post.get(f"campaign_{key}", "").strip() for key in ("start", "end")
        }
        campaign["name"] = post.get("campaign_name", "").strip()
        for key in ("sku", "category"):
            if post.get(f"campaign_{key}", "").strip():
                campaign[key] = post[f"campaign_{key}"].strip()
        uplift = _percent(post.get("campaign_uplift", ""), "Uplift", errors)
        if uplift is not None:
            campaign["uplift"] = uplift
        adjustments.append({"new_campaign": campaign})
        kinds.append("Campaign")
    if any(post.get(f, "").strip() for f in CHANGE_FIELDS):
        change = _percent(post.get("change_percent", ""), "Change", errors)
        adjustment: dict[str, Any] = {"multiplier": None if change is None else 1.0 + change}
        for key, field in (
            ("sku", "change_sku"),
            ("category", "change_category"),
            ("date_from", "change_from"),
            ("date_to", "change_to"),
        ):
            if post.get(field, "").strip():
                adjustment[key] = post[field].strip()
        if change is None:
            adjustment.pop("multiplier")
        adjustments.append(adjustment)
        kinds.append("Change")
    body = {
        "name": post.get("name", "").strip(),
        "description": post.get("description", "").strip(),
        "adjustments": adjustments,
    }
    return body, kinds, errors


def _messages(errors: Any, kinds: list[str], prefix: str = "") -> list[str]:
    """A serializer's nested errors as sentences: ``Campaign start: Enter a valid date.``"""
    found: list[str] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            nested_by_adjustment = (
                key == "adjustments"
                and isinstance(value, list)
                and bool(value)
                and bool(kinds)
                and all(isinstance(v, dict) for v in value)
            )
            if nested_by_adjustment:
                for kind, nested in zip(kinds, value, strict=False):
                    found += _messages(nested, kinds, f"{kind} ")
                continue
            label = LABELS.get(key, "") if key not in ("non_field_errors", "new_campaign") else ""
            found += _messages(value, kinds, f"{prefix}{label}".strip() + " " if label else prefix)
    elif isinstance(errors, list):
        for value in errors:
            found += _messages(value, kinds, prefix)
    else:
        text = str(errors)
        if text == "This list may not be empty.":
            text = "Add a campaign or a change of the forecast."
        found.append(f"{prefix.strip()}: {text}" if prefix.strip() else text)
    return found


def _list_context(request) -> dict[str, Any]:
    scenarios = list(selectors.scenario_list(user=request.user))
    return {
        "scenarios": [
            {"scenario": s, "changes": [describe(a) for a in s.adjustments]} for s in scenarios
        ],
        "can_act": can_act(request.user),
        "run": selectors.latest_successful_run(),
        "form": {"campaign_sku": request.GET.get("sku", "")},
        "errors": [],
    }


@require_http_methods(["GET", "POST"])
@member_page
def scenario_list_page(request):
    """The scenarios, newest first; a planner's POST adds one (viewers: 403; bad input: the
    form again with its errors, 400, nothing written)."""
    if request.method == "POST":
        if not can_act(request.user):
            raise PermissionDenied
        return _create(request)
    return render(request, "forecasting/scenarios.html", _list_context(request))


def _create(request) -> HttpResponse:
    body, kinds, errors = _input(request.POST)
    data = ScenarioInputSerializer(data=body)
    if not data.is_valid():
        errors += _messages(data.errors, kinds)
    scenario: Scenario | None = None
    if not errors:
        values = data.validated_data
        try:
            scenario = services.scenario_create(
                name=values["name"],
                description=values["description"],
                base_run=selectors.resolve_run(user=request.user),
                adjustments=[
                    {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in a.items()}
                    for a in values["adjustments"]
                ],
                user=request.user,
            )
        except DomainError as exc:
            details = getattr(exc, "details", None) or {}
            errors += _messages(details, []) or [exc.message]
    if scenario is None:
        context = _list_context(request)
        context.update(form=request.POST, errors=errors)
        return render(request, "forecasting/scenarios.html", context, status=400)
    messages.success(request, f"Scenario “{scenario.name}” created.")
    return redirect("scenario-detail-page", scenario_id=scenario.pk)


def _scenario_or_404(request, scenario_id: int) -> Scenario:
    try:
        return selectors.access_scenario(user=request.user, scenario_id=scenario_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _affected_skus(adjustments: list[dict[str, Any]]) -> list[str]:
    """The SKUs the scenario changes, sorted (at most ``MAX_LISTED_SKUS``): a campaign's own
    list, a change's SKU, the SKUs of a change's category (one query), every SKU for a
    change with neither (one query)."""
    skus: set[str] = set()
    categories: set[str] = set()
    everything = False
    for adjustment in adjustments:
        if "multipliers" in adjustment:
            skus |= set(adjustment["multipliers"])
        elif adjustment.get("sku"):
            skus.add(adjustment["sku"])
        elif adjustment.get("category"):
            categories.add(adjustment["category"])
        else:
            everything = True
    if everything:
        products = Product.objects.all()
    elif categories:
        products = Product.objects.filter(category__name__in=categories)
    else:
        return sorted(skus)[:MAX_LISTED_SKUS]
    listed = products.order_by("sku").values_list("sku", flat=True)[:MAX_LISTED_SKUS]
    return sorted(skus | set(listed))[:MAX_LISTED_SKUS]


def _chart_data(view: dict[str, Any]) -> dict[str, Any]:
    days = view["days"]
    x = [d["date"].isoformat() for d in days]

    def rounded(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(v, 3) for v in values]

    return {
        "comparison": {
            "x": x,
            "base": rounded([d["base"] for d in days]),
            "forecast": rounded([d["forecast"] for d in days]),
            "p10": rounded([d["p10"] for d in days]),
            "p90": rounded([d["p90"] for d in days]),
        },
        # The product page's explanation chart reads the same shape (forecast_explanation.js).
        "explanation": {
            "x": x,
            "parts": [
                {"name": name, "values": rounded([d[name] for d in days])}
                for name in view["components"]
            ],
            "forecast": rounded([d["forecast"] for d in days]),
            "importance": [],
        },
    }


@require_http_methods(["GET"])
@member_page
def scenario_detail_page(request, scenario_id: int):
    scenario = _scenario_or_404(request, scenario_id)
    affected = _affected_skus(scenario.adjustments)
    sku = request.GET.get("sku", "").strip() or (affected[0] if affected else "")
    context: dict[str, Any] = {
        "scenario": scenario,
        "changes": [describe(a) for a in scenario.adjustments],
        "affected": affected,
        "sku": sku,
        "can_act": can_act(request.user),
    }
    periods = selectors.scenario_comparison(scenario=scenario, interval="day")
    base_total = sum(p["base"] for p in periods)
    what_if_total = sum(p["scenario"] for p in periods)
    context["totals"] = {
        "base": base_total,
        "what_if": what_if_total,
        "change_pct": 100.0 * (what_if_total / base_total - 1.0) if base_total else None,
    }
    status = 200
    if sku:
        try:
            product = selectors._product_by_sku(sku)
        except NotFound:
            context["missing"] = f"No SKU {sku}."
            status = 404
        else:
            view = selectors.scenario_product_view(scenario=scenario, product=product)
            days = view["days"]
            base = sum(d["base"] for d in days)
            what_if = sum(d["forecast"] for d in days)
            context.update(
                product=product,
                view=view,
                chart=_chart_data(view),
                table=[{**d, "parts": [d[n] for n in view["components"]]} for d in days],
                sku_totals={
                    "base": base,
                    "what_if": what_if,
                    "change_pct": 100.0 * (what_if / base - 1.0) if base else None,
                    "parts": [
                        {"name": n, "value": sum(d[n] for d in days)} for n in view["components"]
                    ],
                },
            )
    return render(request, "forecasting/scenario_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@planner_action
def scenario_delete_page(request, scenario_id: int):
    """A planner confirms (GET shows the question) and deletes (POST)."""
    scenario = _scenario_or_404(request, scenario_id)
    if request.method == "POST":
        name = scenario.name
        services.scenario_delete(scenario=scenario)
        messages.success(request, f"Scenario “{name}” deleted.")
        return redirect(reverse("scenario-list-page"))
    return render(request, "forecasting/scenario_delete.html", {"scenario": scenario})
