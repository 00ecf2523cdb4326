"""What-if scenarios: multipliers and the comparison with the base forecast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db.models import QuerySet, Sum
from django.db.models.functions import Trunc

from core.cache import cached
from core.selectors import get_or_not_found
from forecasting.models import (
    ForecastValue,
    Scenario,
)

if TYPE_CHECKING:
    from accounts.models import User


def scenario_list(*, user: User | None = None) -> QuerySet[Scenario]:
    return Scenario.objects.select_related("base_run", "created_by")


def access_scenario(*, user: User, scenario_id: Any) -> Scenario:
    return cast(
        "Scenario", get_or_not_found(scenario_list(user=user), "No such scenario.", pk=scenario_id)
    )


def scenario_multipliers(
    adjustments: list[dict[str, Any]],
    sku: np.ndarray,
    category: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """The multiplier of each forecast row: the product of the multipliers of every
    adjustment whose keys (``sku``, ``category``, ``date_from``, ``date_to``) all match; a
    campaign's adjustment holds one multiplier per SKU (``multipliers``)."""
    factor = np.ones(sku.size)
    for adjustment in adjustments:  # a loop over adjustments, not rows
        match = np.ones(sku.size, dtype=bool)
        if adjustment.get("sku"):
            match &= sku == adjustment["sku"]
        if adjustment.get("category"):
            match &= category == adjustment["category"]
        if adjustment.get("date_from"):
            match &= day >= np.datetime64(adjustment["date_from"])
        if adjustment.get("date_to"):
            match &= day <= np.datetime64(adjustment["date_to"])
        if "multipliers" in adjustment:  # a campaign: one factor per SKU (ADR 32)
            import pandas as pd  # on first use: start-up stays light (ADR 27)

            mapped = pd.Series(sku[match]).map(adjustment["multipliers"]).fillna(1.0)
            factor[match] = factor[match] * mapped.to_numpy(np.float64)
            continue
        factor = np.where(match, factor * float(adjustment["multiplier"]), factor)
    return factor


def scenario_comparison(*, scenario: Scenario, interval: str = "day") -> list[dict[str, Any]]:
    """Base and scenario totals per period: the base run's selected forecast summed per
    SKU × day (one query), times each row's multiplier, summed per period."""

    def compute() -> list[dict[str, Any]]:
        rows = list(
            ForecastValue.objects.filter(run_id=scenario.base_run_id, selected=True)
            .annotate(period=Trunc("date", interval))
            .values("product__sku", "product__category__name", "date", "period")
            .annotate(total=Sum("forecast"))
            .values_list("product__sku", "product__category__name", "date", "period", "total")
            .order_by()
        )
        if not rows:
            return []
        sku, category, day, period, total = (
            np.array(column, dtype=object) for column in zip(*rows, strict=True)
        )
        base = total.astype(np.float64)
        factor = scenario_multipliers(
            scenario.adjustments,
            sku.astype(str),
            np.array(["" if c is None else c for c in category], dtype=str),
            day.astype("datetime64[D]"),
        )
        periods, index = np.unique(period.astype("datetime64[D]"), return_inverse=True)
        base_sum = np.bincount(index, weights=base, minlength=periods.size)
        scenario_sum = np.bincount(index, weights=base * factor, minlength=periods.size)
        return [
            {"period": p.item(), "base": float(b), "scenario": float(s)}
            for p, b, s in zip(periods, base_sum, scenario_sum, strict=True)
        ]

    return cached("forecasts", "scenario", scenario.pk, interval, compute=compute)
