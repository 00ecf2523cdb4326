"""The explanation of one SKU's forecast (ADR 39) and the campaign days of one SKU, for the
API and the product page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog.models import Category, Location, Product
from forecasting.engine.explain import COMPONENTS
from forecasting.exceptions import ForecastInputError
from forecasting.models import Campaign, ForecastExplanation, ForecastValue, Scenario
from forecasting.selectors.campaigns import category_descendants
from forecasting.selectors.runs import _location_by_code, _product_by_sku, resolve_run
from forecasting.selectors.scenarios import access_scenario, scenario_multipliers

if TYPE_CHECKING:
    from accounts.models import User


def forecast_explanation(
    *,
    user: User,
    sku: str,
    location: str | None = None,
    run_id: Any = None,
    scenario_id: Any = None,
) -> dict[str, Any]:
    """Per forecast day of the SKU (at one location, or summed over its locations): the
    served ``forecast`` and its parts (``level``, ``trend``, ``weekly``, ``yearly``,
    ``promotion``, ``other``), which add up to it; the methods; for the gradient-boosting
    model the mean feature importance over the series it served; and the SKU's campaigns
    from the run's first day to the end of its horizon.

    With ``scenario_id`` the forecast is the what-if's (its base run's forecast times the
    scenario's multipliers, as :func:`scenario_comparison` computes it) and the parts are
    :func:`scenario_explained`'s; ``run_id``, when given too, must be the scenario's base
    run."""
    scenario: Scenario | None = None
    if scenario_id not in (None, ""):
        scenario = access_scenario(user=user, scenario_id=scenario_id)
        if run_id not in (None, "") and int(run_id) != scenario.base_run_id:
            raise ForecastInputError(
                f"Scenario {scenario.pk} is a what-if on run {scenario.base_run_id}.",
                details={"run": ["Not the scenario's base run."]},
            )
        run_id = scenario.base_run_id
    run = resolve_run(user=user, run_id=run_id)
    product = _product_by_sku(sku)
    place = _location_by_code(location) if location else None
    assert run.data_start is not None and run.data_end is not None  # a successful run
    end = run.data_end + timedelta(days=run.horizon)
    explained = explanation_of(run_id=run.pk, product=product, location=place)
    what_if = None
    if scenario is not None:
        explained["days"], added = scenario_explained(
            explained["days"], adjustments=scenario.adjustments, product=product
        )
        what_if = {"id": scenario.pk, "name": scenario.name, "campaigns": added}
    return {
        "run": run.pk,
        "sku": product.sku,
        "location": place.code if place else None,
        "scenario": what_if,
        **explained,
        "campaigns": product_campaigns(
            product=product, location=place, start=run.data_start, end=end
        ),
    }


def scenario_explained(
    days: list[dict[str, Any]], *, adjustments: list[dict[str, Any]], product: Product
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The base run's explained ``days`` of ``product`` turned into the what-if's: each
    day's forecast times the scenario's factor ``f`` (:func:`scenario_multipliers`, every
    adjustment matching the SKU, its category and the day — the location plays no part, as
    in the comparison), split like the engine splits a campaign (ADR 39): the campaigns the
    scenario adds, ``c`` (the product of their factors), are peeled off first, ``S − S/c``,
    and go to ``promotion``; the rest ``S/c`` is the base forecast times the plain
    multipliers ``g`` (the other adjustments), which scale every base part alike. ``other``
    is again the forecast minus the other parts, so they add up exactly. Also returns the added
    campaigns that lift this SKU (``campaign, name, start, end, multiplier``), computed on
    the fly: one pass over the horizon's days, no query."""
    if not days:
        return days, []
    category = product.category.name if product.category is not None else ""
    sku = np.full(len(days), product.sku)
    kind = np.full(len(days), category)
    dates = np.array([row["date"] for row in days], dtype="datetime64[D]")
    factor = scenario_multipliers(adjustments, sku, kind, dates)
    campaigns = [a for a in adjustments if "multipliers" in a]
    plain = scenario_multipliers(
        [a for a in adjustments if "multipliers" not in a], sku, kind, dates
    )
    explained = []
    for row, f, g in zip(days, factor, plain, strict=True):
        scenario = row["forecast"] * float(f)  # what the comparison sums
        parts = {name: row[name] * float(g) for name in COMPONENTS if name != "other"}
        parts["promotion"] += scenario - row["forecast"] * float(g)  # S − S/c
        parts["other"] = scenario - sum(parts.values())
        explained.append({"date": row["date"], "forecast": scenario, **parts})
    added = [
        {
            "campaign": a.get("campaign"),
            "name": a.get("campaign_name", ""),
            "start": a["date_from"],
            "end": a["date_to"],
            "multiplier": float(a["multipliers"][product.sku]),
        }
        for a in campaigns
        if product.sku in a["multipliers"]
    ]
    return explained, added


def explanation_of(*, run_id: int, product: Product, location: Location | None) -> dict[str, Any]:
    """``components``, ``methods``, ``days`` and ``importance`` of
    :func:`forecast_explanation` for a run, product and location already in hand (the
    product page has them): two queries."""
    values = ForecastValue.objects.filter(run_id=run_id, product_id=product.pk, selected=True)
    stored = ForecastExplanation.objects.filter(run_id=run_id, product_id=product.pk)
    if location is not None:
        values = values.filter(location_id=location.pk)
        stored = stored.filter(location_id=location.pk)
    days: dict[date, dict[str, float]] = {}
    for day, forecast in values.order_by("date").values_list("date", "forecast"):
        row = days.setdefault(day, {"forecast": 0.0, **dict.fromkeys(COMPONENTS, 0.0)})
        row["forecast"] += forecast
    dates = sorted(days)
    methods: set[str] = set()
    importance: dict[str, float] = {}
    explained = 0
    for method, components, weights in stored.values_list("method", "components", "importance"):
        methods.add(method)
        for name, path in components.items():
            for day, value in zip(dates, path, strict=False):
                days[day][name] += value
        if weights:
            explained += 1
            for feature, share in weights.items():
                importance[feature] = importance.get(feature, 0.0) + share
    for row in days.values():  # the rest: exact by construction
        row["other"] = row["forecast"] - sum(row[name] for name in COMPONENTS if name != "other")
    return {
        "components": list(COMPONENTS),
        "methods": sorted(methods),
        "days": [{"date": day, **days[day]} for day in dates],
        "importance": [
            {"feature": feature, "share": round(total / explained, 4)}
            for feature, total in sorted(importance.items(), key=lambda item: -item[1])
        ],
    }


def product_campaigns(
    *, product: Product, location: Location | None, start: date, end: date
) -> list[dict[str, Any]]:
    """The campaigns touching ``product`` (named, or through its category and the categories
    above it) at ``location`` (any location when ``None``) between ``start`` and ``end``,
    each clipped to the window: ``name, kind, start, end, expected_uplift``. One query
    without campaigns in the window; then their links and, for category campaigns, the
    category tree."""
    campaigns = Campaign.objects.filter(start__lte=end, end__gte=start).prefetch_related(
        "products", "categories", "locations"
    )
    tree: list[tuple[int, int | None]] | None = None
    found = []
    for campaign in campaigns.order_by("start", "name"):  # a loop over campaigns
        named = any(p.pk == product.pk for p in campaign.products.all())
        roots = {c.pk for c in campaign.categories.all()}
        covered = False
        if roots and not named and product.category_id is not None:
            if tree is None:
                tree = list(Category.objects.values_list("pk", "parent_id"))
            covered = product.category_id in category_descendants(tree, roots)
        places = [loc.pk for loc in campaign.locations.all()]
        here = not places or location is None or location.pk in places
        if (named or covered) and here:
            uplift = campaign.expected_uplift
            found.append(
                {
                    "name": campaign.name,
                    "kind": campaign.kind,
                    "start": max(campaign.start, start),
                    "end": min(campaign.end, end),
                    "expected_uplift": None if uplift is None else float(uplift),
                }
            )
    return found


def scenario_product_view(*, scenario: Scenario, product: Product) -> dict[str, Any]:
    """What the scenario page charts for one SKU (all its locations summed): per forecast
    day of the base run the ``base`` forecast, the what-if ``forecast`` and its parts
    (:func:`scenario_explained`, as the explain API answers with ``scenario``), and the
    base run's ``p10``/``p90`` times the day's scenario factor (the band moves with the
    forecast, as a campaign lifts the quantiles); also ``components``, ``methods`` and the
    added ``campaigns``. Three queries."""
    found = explanation_of(run_id=scenario.base_run_id, product=product, location=None)
    base_days = found["days"]
    days, added = scenario_explained(base_days, adjustments=scenario.adjustments, product=product)
    band: dict[date, list[float]] = {}
    rows = ForecastValue.objects.filter(
        run_id=scenario.base_run_id, product_id=product.pk, selected=True
    ).values_list("date", "p10", "p90")
    for day, p10, p90 in rows:
        low_high = band.setdefault(day, [0.0, 0.0])
        low_high[0] += p10
        low_high[1] += p90
    merged = []
    for base, row in zip(base_days, days, strict=True):
        # The day's factor from the forecasts; 1 where the base forecast is zero.
        factor = row["forecast"] / base["forecast"] if base["forecast"] else 1.0
        low, high = band.get(row["date"], [None, None])
        merged.append(
            {
                **row,
                "base": base["forecast"],
                "p10": None if low is None else low * factor,
                "p90": None if high is None else high * factor,
            }
        )
    return {
        "components": found["components"],
        "methods": found["methods"],
        "days": merged,
        "campaigns": added,
    }
