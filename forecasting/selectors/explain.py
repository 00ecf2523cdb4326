"""The explanation of one SKU's forecast (ADR 39) and the campaign days of one SKU, for the
API and the product page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from catalog.models import Category, Location, Product
from forecasting.engine.explain import COMPONENTS
from forecasting.models import Campaign, ForecastExplanation, ForecastValue
from forecasting.selectors.campaigns import category_descendants
from forecasting.selectors.runs import _location_by_code, _product_by_sku, resolve_run

if TYPE_CHECKING:
    from accounts.models import User


def forecast_explanation(
    *, user: User, sku: str, location: str | None = None, run_id: Any = None
) -> dict[str, Any]:
    """Per forecast day of the SKU (at one location, or summed over its locations): the
    served ``forecast`` and its parts (``level``, ``trend``, ``weekly``, ``yearly``,
    ``promotion``, ``other``), which add up to it; the methods; for the gradient-boosting
    model the mean feature importance over the series it served; and the SKU's campaigns
    from the run's first day to the end of its horizon."""
    run = resolve_run(user=user, run_id=run_id)
    product = _product_by_sku(sku)
    place = _location_by_code(location) if location else None
    assert run.data_start is not None and run.data_end is not None  # a successful run
    end = run.data_end + timedelta(days=run.horizon)
    return {
        "run": run.pk,
        "sku": product.sku,
        "location": place.code if place else None,
        **explanation_of(run_id=run.pk, product=product, location=place),
        "campaigns": product_campaigns(
            product=product, location=place, start=run.data_start, end=end
        ),
    }


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
