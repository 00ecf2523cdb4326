"""What-if scenarios on a run's forecast."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog.models import Category, Product
from core.cache import bump_namespace
from forecasting.exceptions import ForecastInputError
from forecasting.models import (
    Campaign,
    ForecastRun,
    Scenario,
    SeriesClassification,
)
from forecasting.selectors.campaigns import category_descendants

if TYPE_CHECKING:
    from accounts.models import User


def scenario_create(
    *,
    name: str,
    base_run: ForecastRun,
    adjustments: list[dict[str, Any]],
    description: str = "",
    user: User | None = None,
) -> Scenario:
    """A named what-if on a successful run (adjustments checked by the API serializer)."""
    if base_run.status != ForecastRun.Status.SUCCEEDED:
        raise ForecastInputError(
            "A scenario needs a successful base run.", details={"base_run": ["Not succeeded."]}
        )
    adjustments = [
        campaign_adjustment(base_run=base_run, adjustment=a)
        if a.get("campaign")
        else what_if_campaign_adjustment(base_run=base_run, campaign=a["new_campaign"])
        if a.get("new_campaign")
        else a
        for a in adjustments
    ]
    scenario = Scenario.objects.create(
        name=name,
        description=description,
        base_run=base_run,
        adjustments=adjustments,
        created_by=user if getattr(user, "pk", None) else None,
    )
    bump_namespace("forecasts")
    return scenario


def campaign_adjustment(*, base_run: ForecastRun, adjustment: dict[str, Any]) -> dict[str, Any]:
    """A campaign added to a what-if: ``{"campaign", "date_from", "date_to", "multipliers":
    {sku: factor}}`` over the campaign's SKUs (its products and those of its categories and
    their sub-categories). Each SKU's factor is the adjustment's ``multiplier`` when given,
    else the uplift the base run learned for it (``campaign_uplift``, averaged over its
    locations), else ``1 + expected_uplift``, else the mean of the uplifts the run learned,
    else 1."""
    campaign = Campaign.objects.prefetch_related("products", "categories").get(
        pk=adjustment["campaign"]
    )
    skus = _campaign_skus(
        skus={p.sku for p in campaign.products.all()},
        roots={c.pk for c in campaign.categories.all()},
    )
    uplift = None if campaign.expected_uplift is None else float(campaign.expected_uplift)
    return {
        "campaign": campaign.pk,
        "campaign_name": campaign.name,
        "date_from": campaign.start.isoformat(),
        "date_to": campaign.end.isoformat(),
        "multipliers": _campaign_multipliers(
            base_run=base_run,
            skus=skus,
            expected_uplift=uplift,
            given=adjustment.get("multiplier"),
        ),
    }


def what_if_campaign_adjustment(
    *, base_run: ForecastRun, campaign: dict[str, Any]
) -> dict[str, Any]:
    """A campaign that exists only in the what-if (ADR 46): ``{"name", "start", "end",
    "sku" | "category", "uplift"?}`` (dates as ``date`` or ISO text; ``category`` a name,
    its sub-categories included; ``uplift`` the relative lift, 0.3 = +30 %). Stored like
    :func:`campaign_adjustment`'s (``campaign`` is null: no ``Campaign`` row is written, so
    the next forecast run does not see it), each SKU's factor ``1 + uplift`` when given,
    else learned as there."""
    sku, category = campaign.get("sku") or "", campaign.get("category") or ""
    roots = (
        set(Category.objects.filter(name=category).values_list("pk", flat=True))
        if category
        else set()
    )
    if category and not roots:
        raise ForecastInputError(
            "Invalid campaign.", details={"category": [f"No such category: {category}."]}
        )
    uplift = campaign.get("uplift")
    start, end = (
        day.isoformat() if isinstance(day, date) else str(day)
        for day in (campaign["start"], campaign["end"])
    )
    return {
        "campaign": None,
        "campaign_name": campaign["name"],
        "date_from": start,
        "date_to": end,
        "what_if": {"sku": sku, "category": category, "uplift": uplift},
        "multipliers": _campaign_multipliers(
            base_run=base_run,
            skus=_campaign_skus(skus={sku} if sku else set(), roots=roots),
            expected_uplift=None if uplift is None else float(uplift),
            given=None,
        ),
    }


def _campaign_skus(*, skus: set[str], roots: set[int]) -> set[str]:
    """The SKUs named plus those of the ``roots`` categories and their sub-categories."""
    skus = set(skus)
    if roots:
        tree = list(Category.objects.values_list("pk", "parent_id"))
        covered = category_descendants(tree, roots)
        skus |= set(Product.objects.filter(category_id__in=covered).values_list("sku", flat=True))
    return skus


def _campaign_multipliers(
    *, base_run: ForecastRun, skus: set[str], expected_uplift: float | None, given: Any
) -> dict[str, float]:
    """Each SKU's factor: ``given`` when set, else the uplift ``base_run`` learned for it
    (averaged over its locations), else ``1 + expected_uplift``, else the mean learned
    uplift, else 1."""
    learned: dict[str, list[float]] = {}
    for sku, parameters in SeriesClassification.objects.filter(
        run_id=base_run.pk, parameters__has_key="campaign_uplift"
    ).values_list("product__sku", "parameters"):
        learned.setdefault(sku, []).append(float(parameters["campaign_uplift"]))
    every = [v for values in learned.values() for v in values]
    if expected_uplift is not None:
        fallback = 1.0 + expected_uplift
    else:
        fallback = float(np.mean(every)) if every else 1.0
    return {
        sku: float(given)
        if given is not None
        else (float(np.mean(learned[sku])) if sku in learned else fallback)
        for sku in sorted(skus)
    }


def scenario_delete(*, scenario: Scenario) -> None:
    scenario.delete()
    bump_namespace("forecasts")
