"""Campaigns: the list and fetch behind the API, and the campaign days of a block of series
as the engine wants them (ADR 32)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.db.models import QuerySet

from catalog.models import Category, Product
from core.selectors import get_or_not_found
from forecasting.models import Campaign

if TYPE_CHECKING:
    from accounts.models import User


def campaign_list(*, user: User | None = None) -> QuerySet[Campaign]:
    return Campaign.objects.select_related("created_by").prefetch_related(
        "products", "categories", "locations"
    )


def access_campaign(*, user: User, campaign_id: Any) -> Campaign:
    return cast(
        "Campaign", get_or_not_found(campaign_list(user=user), "No such campaign.", pk=campaign_id)
    )


def campaign_export_rows() -> Iterator[tuple[Any, ...]]:
    """``name, start, end, sku, category, location, uplift`` per campaign × (product or
    category) × (location, or one empty location): the promotions import's columns, so the
    file imports back to the same campaigns. Three queries (campaigns and their links)."""
    for campaign in campaign_list().order_by("name"):
        places = sorted(loc.code for loc in campaign.locations.all()) or [""]
        uplift = campaign.expected_uplift
        targets = [(p.sku, "") for p in sorted(campaign.products.all(), key=lambda p: p.sku)]
        targets += sorted({("", c.name) for c in campaign.categories.all()})
        for sku, category in targets:
            for place in places:
                yield (campaign.name, campaign.start, campaign.end, sku, category, place, uplift)


@dataclass(frozen=True)
class CampaignDays:
    """For series ``(product[i], location[i])`` and the days ``start`` + 0 … ``days`` − 1:
    ``flags`` ``(series, days)`` campaign days, ``group`` each series' category id (−1:
    none; the pool of its uplift) and ``expected`` the mean expected uplift of the campaigns
    that touch it (nan where none says)."""

    flags: np.ndarray
    group: np.ndarray
    expected: np.ndarray


def category_descendants(tree: Sequence[tuple[int, int | None]], roots: set[int]) -> set[int]:
    """``roots`` and every category under them, from ``(id, parent id)`` pairs."""
    children: dict[int, list[int]] = {}
    for pk, parent in tree:
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    found, frontier = set(roots), list(roots)
    while frontier:  # a walk over the category tree, not over rows
        frontier = [c for pk in frontier for c in children.get(pk, ()) if c not in found]
        found.update(frontier)
    return found


def campaign_days(
    *, product: np.ndarray, location: np.ndarray, start: date, days: int
) -> CampaignDays:
    """The campaign arrays of a block of series over ``days`` days from ``start``: one query
    for the campaigns in the window with their links, one for the products' categories and
    one for the category tree; then a loop over campaigns (not over series or days)."""
    n = product.size
    flags = np.zeros((n, days), dtype=bool)
    expected_sum, expected_count = np.zeros(n), np.zeros(n)
    ids = np.unique(product).tolist()
    category_of = dict(
        Product.objects.filter(pk__in=ids).values_list("pk", "category_id").iterator()
    )
    group = np.array([category_of.get(int(p)) or -1 for p in product.tolist()], dtype=np.int64)
    end = date.fromordinal(start.toordinal() + days - 1)
    campaigns = list(
        Campaign.objects.filter(start__lte=end, end__gte=start).prefetch_related(
            "products", "categories", "locations"
        )
    )
    if not campaigns:
        return CampaignDays(flags, group, np.full(n, np.nan))
    tree: list[tuple[int, int | None]] | None = None
    for campaign in campaigns:  # a loop over campaigns
        hit = np.isin(product, [p.pk for p in campaign.products.all()])
        roots = {c.pk for c in campaign.categories.all()}
        if roots:
            if tree is None:
                tree = list(Category.objects.values_list("pk", "parent_id"))
            hit |= np.isin(group, sorted(category_descendants(tree, roots)))
        places = [loc.pk for loc in campaign.locations.all()]
        if places:
            hit &= np.isin(location, places)
        first = max((campaign.start - start).days, 0)
        last = min((campaign.end - start).days, days - 1)
        flags[hit, first : last + 1] = True
        if campaign.expected_uplift is not None:
            expected_sum[hit] += float(campaign.expected_uplift)
            expected_count[hit] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(expected_count > 0, expected_sum / expected_count, np.nan)
    return CampaignDays(flags, group, expected)
